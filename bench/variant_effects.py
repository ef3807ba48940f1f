"""Variant-effect scoring throughput: 10,000 random SNVs on a generated genome, scored by the
fold models of a CNN the size of the primer task's (config/config.yaml: architecture `cnn`,
50 nt windows, as many folds as the primer's split), on 2 threads.

The target (issue 17): 10,000 variants in at most 60 s, reading the VCF and genome, the
reference and alternative predictions and the ISM maps of the top 20 included. For scale, the
same 20,000 windows are also predicted by plain `predict_member`: the ratio is what variant
scoring adds to the model's own cost. The weights are random (speed does not depend on them).
Not a test: timings on a shared machine vary, so it is run by hand.

    python bench/variant_effects.py [--variants 10000] [--folds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMOSOMES, CHROMOSOME_BP, LINE_WIDTH = 4, 250_000, 60
LENGTH, COLUMN = 50, "seq_dna"  # the primer's sequence length and column
TARGET_S = 60.0


def primer_cnn() -> tuple[dict, int]:
    """The `cnn` architecture's parameters and the primer task's fold count, from the config."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    params = dict(config["architectures"]["cnn"])
    return params, int(config["tasks"]["primer"]["split"]["folds"])


def write_genome(path: Path, rng: np.random.Generator) -> dict[str, str]:
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    chroms = {
        f"chr{k + 1}": letters[rng.integers(0, 4, CHROMOSOME_BP)].tobytes().decode()
        for k in range(CHROMOSOMES)
    }
    with path.open("w") as handle:
        for name, seq in chroms.items():
            lines = "\n".join(seq[i : i + LINE_WIDTH] for i in range(0, len(seq), LINE_WIDTH))
            handle.write(f">{name}\n{lines}\n")
    return chroms


def write_vcf(path: Path, chroms: dict[str, str], n: int, rng: np.random.Generator) -> None:
    """n SNVs at random positions clear of the chromosome ends, ALT a random other base."""
    names = list(chroms)
    with path.open("w") as handle:
        handle.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for k in range(n):
            chrom = names[int(rng.integers(len(names)))]
            pos = int(rng.integers(LENGTH, CHROMOSOME_BP - LENGTH))
            ref = chroms[chrom][pos - 1]
            alt = str(rng.choice([b for b in "ACGT" if b != ref]))
            handle.write(f"{chrom}\t{pos}\tsnv{k}\t{ref}\t{alt}\t.\tPASS\t.\n")


def save_models(
    folder: Path, params: dict, folds: int, length: int = LENGTH
) -> tuple[list[Path], dict]:
    """`folds` randomly initialised CNN checkpoints reading `length`-nt DNA, as training saves
    them (bench/predict_throughput.py uses them too)."""
    import torch

    from dlgenomics.data import tokens
    from dlgenomics.data.schema import InputLayout
    from dlgenomics.models.architectures import build_model, make_config
    from dlgenomics.models.checkpoint import layout_dict, save_checkpoint

    vocab = {
        "format": 1, "tokens": {"nucleotide": tokens.nucleotide_vocab()}, "categories": {},
        "columns": {COLUMN: {"vocab": "nucleotide", "length": length}},
    }  # fmt: skip
    layout = InputLayout.from_vocab(vocab)
    paths = []
    for fold in range(folds):
        torch.manual_seed(fold)
        network = build_model("cnn", params, layout, {}, 1)
        path = folder / f"fold{fold}.pt"
        save_checkpoint(
            path, network, model="cnn", arch="cnn", params=asdict(make_config("cnn", params)),
            n_outputs=1, layout=layout_dict(layout), numeric_stats={}, vocab=vocab,
            objective="binary", target_scale=(0.0, 1.0), fold=fold,
        )  # fmt: skip
        paths.append(path)
    return paths, vocab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--folds", type=int, default=None, help="default: the primer's folds")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from dlgenomics.evaluation.inference import encode_rows, predict_member
    from dlgenomics.evaluation.variants import score_variants, variants_from_vcf

    params, primer_folds = primer_cnn()
    folds = args.folds or primer_folds
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="variant_effects.") as scratch:
        folder = Path(scratch)
        chroms = write_genome(folder / "genome.fa", rng)
        write_vcf(folder / "variants.vcf", chroms, args.variants, rng)
        models, vocab = save_models(folder, params, folds)
        print(f"cnn {params}, {folds} fold models, {torch.get_num_threads()} threads")

        started = time.perf_counter()
        windows = variants_from_vcf(folder / "variants.vcf", folder / "genome.fa", LENGTH)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        table, ism = score_variants(windows, models, vocab, ism_flank=10, ism_top=20)
        score_s = time.perf_counter() - started
        total = read_s + score_s

        alternatives = windows.alternatives()
        pairs = zip(windows.sequences, alternatives, strict=True)
        sequences = [s for pair in pairs for s in pair]
        frame = pd.DataFrame({"row_id": np.arange(len(sequences)).astype(str), COLUMN: sequences})
        started = time.perf_counter()
        columns, _ = encode_rows(frame, vocab, None, "bench")
        predict_member(models, columns, None, vocab)
        plain_s = time.perf_counter() - started

    n = len(table)
    ism_rows = int(np.isfinite(ism.delta[..., 0]).sum())
    print(f"read VCF + genome windows: {read_s:6.2f} s")
    print(f"score (ref + alt, ISM of top {len(ism.variants)}: {ism_rows} cells): {score_s:6.2f} s")
    print(
        f"total: {total:.2f} s for {n:,} variants = {n / total:,.0f} variants/s  "
        f"({'within' if total <= TARGET_S else 'OVER'} the {TARGET_S:.0f} s target)"
    )
    print(
        f"plain predict_member, same {len(sequences):,} windows: {plain_s:.2f} s = "
        f"{len(sequences) / plain_s:,.0f} predictions/s; variant scoring makes "
        f"{2 * n / total:,.0f} predictions/s ({plain_s / total:.2f} of plain speed)"
    )


if __name__ == "__main__":
    main()
