"""Write `example_sirna_table.csv`: a small, synthetic siRNA screen in a user's own format.

Three random transcripts (seeded); each row is a 21-nt guide, the reverse complement (RNA) of
a window of one transcript, so its target site really exists. Column names differ from the
competition's on purpose; the label `knockdown` is an efficacy fraction from a simple,
learnable rule plus noise, and a few rows have none (dropped by the loader).

Run `python tests/data/make_example_sirna_table.py` to rewrite the CSV (same bytes each time).
Its `table:` mapping, for a `sirna_table` task:

    table:
      file: example_sirna_table.csv
      guide: guide_5to3
      passenger: passenger_5to3
      target: mrna
      id: oligo_id
      group: gene
      conditions:
        concentration_nm: conc_nM
        duration_h: hours
        cell_line: cells
        transfection_method: method
      label: {column: knockdown, scale: efficacy_fraction, effective_at: 0.7}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "example_sirna_table.csv"
SEED = 7
GENES = ("KLK9", "PCSK4", "TTRL")
TRANSCRIPT_LENGTH = 1500
ROWS = 400
GUIDE_LENGTH = 21
FLANK = 10  # nt of target context on each side of the site
UNLABELLED = 4  # rows whose knockdown was not measured
_COMPLEMENT = str.maketrans("ACGT", "UGCA")
# Per-position base effects on the logit (guide position 1-based, base): a few known-style
# preferences, e.g. U at position 10 (the cleavage site) helps, G/C at 19 hurts.
POSITION_EFFECTS = {(10, "U"): 0.6, (19, "G"): -0.5, (19, "C"): -0.5, (13, "A"): 0.3}


def guide_for(site: str) -> str:
    """The guide (RNA, 5'->3') that pairs with a DNA target site: its reverse complement."""
    return site[::-1].translate(_COMPLEMENT)


def knockdown_logit(guide: str, concentration_nm: float) -> float:
    """The rule the label follows: A/U at position 1, an AU-rich seed (2-8), a few position
    effects and more knockdown at higher concentration."""
    seed_gc = sum(base in "GC" for base in guide[1:8]) / 7
    logit = -0.6 + 1.5 * (guide[0] in "AU") - 3.0 * (seed_gc - 0.5)
    logit += sum(POSITION_EFFECTS.get((i + 1, base), 0.0) for i, base in enumerate(guide))
    return logit + 0.5 * np.log10(concentration_nm)


def make_table(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    transcripts = {gene: "".join(rng.choice(list("ACGT"), TRANSCRIPT_LENGTH)) for gene in GENES}
    rows = []
    for i in range(ROWS):
        gene = GENES[i % len(GENES)]
        transcript = transcripts[gene]
        start = int(rng.integers(FLANK, TRANSCRIPT_LENGTH - GUIDE_LENGTH - FLANK))
        site = transcript[start : start + GUIDE_LENGTH]
        guide = guide_for(site)
        # The passenger pairs with the guide: the site itself as RNA, 19 or 21 nt.
        passenger = site[: int(rng.choice([19, 21]))].replace("T", "U")
        concentration = float(rng.choice([0.5, 5.0, 20.0]))
        noisy = knockdown_logit(guide, concentration) + rng.normal(0.0, 0.4)
        knockdown = float(np.clip(1 / (1 + np.exp(-noisy)) + rng.normal(0.0, 0.03), 0.0, 1.0))
        rows.append(
            {
                "oligo_id": f"OL{i + 1:04d}",
                "guide_5to3": guide,
                "passenger_5to3": passenger,
                "gene": gene,
                "mrna": transcript[start - FLANK : start + GUIDE_LENGTH + FLANK],
                "conc_nM": concentration,
                "hours": int(rng.choice([24, 48])),
                "cells": str(rng.choice(["HeLa", "HepG2"])),
                "method": str(rng.choice(["lipofection", "electroporation"])),
                "knockdown": round(knockdown, 3),
            }
        )
    table = pd.DataFrame(rows)
    unlabelled = rng.choice(ROWS, UNLABELLED, replace=False)
    table["knockdown"] = table["knockdown"].astype("float64")
    table.loc[unlabelled, "knockdown"] = np.nan
    return table


def main(out: Path = OUT) -> None:
    make_table().to_csv(out, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
