"""Write `published_sirna_*.csv`: a small synthetic siRNA benchmark laid out as public tables
come: a training file and two fixed test files, no gene column, the target context a window of
20 nt either side of the 21-nt site padded with `X` where it runs past the transcript's ends,
and the label an inhibition percentage.

Five random transcripts (seeded); guides tile each one every 7 nt, so neighbouring rows share
most of their target window, as in a tiled screen: random folds would validate on stretches
they trained on. Transcripts 1-3 are the training file, 4 and 5 one test file each. A few
guides are 19 nt written as 21 with `XX` at the 3′ end. The label follows the same learnable
rule as `example_sirna_table.csv` (make_example_sirna_table.knockdown_logit).

Run `python tests/data/make_published_sirna_tables.py` to rewrite the files (same bytes each
time). Their `table:` mapping, for a `sirna_table` task:

    table:
      file: published_sirna_train.csv
      test_files: [published_sirna_test_a.csv, published_sirna_test_b.csv]
      guide: antisense
      passenger: sense
      target: target_context
      id: siRNA
      label: {column: inhibition, scale: efficacy_percent, effective_at: 70}
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_example_sirna_table import guide_for, knockdown_logit  # noqa: E402

SEED = 11
TRANSCRIPT_LENGTH = 600
SITE = 21  # nt of mRNA the 21-nt guide pairs with
FLANK = 20  # nt of target context each side of the site
STEP = 7  # nt between neighbouring sites: windows overlap by 54 of 61 nt
FILES = {"train": (0, 1, 2), "test_a": (3,), "test_b": (4,)}


def target_window(transcript: str, start: int) -> str:
    """The site with FLANK nt each side, `X` where the window leaves the transcript."""
    left = max(0, FLANK - start)
    right = max(0, start + SITE + FLANK - len(transcript))
    inside = transcript[max(0, start - FLANK) : start + SITE + FLANK]
    return "X" * left + inside + "X" * right


def rows_of(transcript: str, name: str, rng: np.random.Generator) -> list[dict]:
    rows = []
    for k, start in enumerate(range(0, len(transcript) - SITE + 1, STEP)):
        guide = guide_for(transcript[start : start + SITE])
        if k % 10 == 3:  # a 19-nt guide in a 21-wide column, as some tables print them
            guide = guide[:19] + "XX"
        logit = knockdown_logit(guide[:19], 10.0) + rng.normal(0.0, 0.4)
        rows.append(
            {
                "siRNA": f"{name}_{start + 1}",
                "antisense": guide,
                "sense": transcript[start + 2 : start + SITE].replace("T", "U"),
                "target_context": target_window(transcript, start),
                "inhibition": round(100 / (1 + np.exp(-logit)), 1),
            }
        )
    return rows


def make_tables(seed: int = SEED) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    transcripts = ["".join(rng.choice(list("ACGT"), TRANSCRIPT_LENGTH)) for _ in range(5)]
    return {
        role: pd.DataFrame(
            [row for t in which for row in rows_of(transcripts[t], f"T{t + 1}", rng)]
        )
        for role, which in FILES.items()
    }


def main(folder: Path = HERE) -> None:
    for role, table in make_tables().items():
        table.to_csv(folder / f"published_sirna_{role}.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
