"""Writes genome.fa and variants.vcf beside this file: a small generated genome for the
`variants:` job of config/examples/chipseq.yaml (the SRF task).

Two random chromosomes (40% GC) carry SRF's CArG box (CC[AT]6GG, JASPAR MA0083) at known
places. The VCF holds SNVs that break a box (a C of its CC or a G of its GG changed), SNVs
elsewhere, and, to show the stated rules, one multi-allelic record (split into one row per
allele) and one indel (skipped and counted). Deterministic: rerunning rewrites the same files.

    python resources/examples/variants/make_example.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CHROMOSOMES = {"chrA": 3000, "chrB": 2000}
CARG = "CCATATAAGG"  # one instance of CC[AT]6GG
BOXES = {"chrA": [300, 900, 1500, 2100, 2700], "chrB": [400, 1000, 1600]}  # 0-based starts
FLANK = 60  # variants stay this far from chromosome ends, so a 101-bp window fits
RANDOM_SNVS = 30


def genome(rng: np.random.Generator) -> dict[str, str]:
    sequences = {}
    for name, size in CHROMOSOMES.items():
        bases = rng.choice(list("ACGT"), size=size, p=[0.3, 0.2, 0.2, 0.3])
        for start in BOXES[name]:
            bases[start : start + len(CARG)] = list(CARG)
        sequences[name] = "".join(bases)
    return sequences


def records(sequences: dict[str, str], rng: np.random.Generator) -> list[tuple]:
    """(chrom, 1-based pos, id, ref, alt), sorted by chromosome and position."""
    rows = []
    for name, starts in BOXES.items():
        for k, start in enumerate(starts):
            offset = (0, 1, 8, 9)[k % 4]  # a base of the CC or of the GG
            ref = sequences[name][start + offset]
            rows.append(
                (name, start + offset + 1, f"carg_{name}_{k}", ref, "T" if ref != "T" else "A")
            )
    boxed = {(n, s + i) for n, starts in BOXES.items() for s in starts for i in range(len(CARG))}
    while len(rows) < len([s for b in BOXES.values() for s in b]) + RANDOM_SNVS:
        name = str(rng.choice(list(CHROMOSOMES)))
        position = int(rng.integers(FLANK, CHROMOSOMES[name] - FLANK))
        if (name, position) in boxed:
            continue
        ref = sequences[name][position]
        alt = str(rng.choice([b for b in "ACGT" if b != ref]))
        rows.append((name, position + 1, f"random_{len(rows)}", ref, alt))
    position = 2400  # a multi-allelic record and an indel
    rows.append(
        (
            "chrA",
            position + 1,
            "multi",
            sequences["chrA"][position],
            ",".join(b for b in "ACG" if b != sequences["chrA"][position])[:3],
        )
    )
    rows.append(("chrB", 1801, "indel", sequences["chrB"][1800], sequences["chrB"][1800] + "T"))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def main() -> None:
    rng = np.random.default_rng(7)
    sequences = genome(rng)
    with (HERE / "genome.fa").open("w") as out:
        for name, sequence in sequences.items():
            out.write(f">{name}\n")
            out.writelines(sequence[i : i + 60] + "\n" for i in range(0, len(sequence), 60))
    lines = [
        "##fileformat=VCFv4.2",
        *(f"##contig=<ID={n},length={s}>" for n, s in CHROMOSOMES.items()),
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines += [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t." for c, p, i, r, a in records(sequences, rng)]
    (HERE / "variants.vcf").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
