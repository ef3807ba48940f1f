"""ViennaRNA structure features on the whole competition table (train + sample_submission):
`site_accessibility` (RNAplfold-style local folding of every target transcript) and
`strand_energies` (strand MFEs, core duplex and end stabilities), timed against the issue's
budget of 60 s for both together.

Sites come from `locate_sites(guides, transcripts, max_mismatches=3)` (timed, not counted in the
budget: the features pipeline computes them anyway). ViennaRNA runs on one core. Not a test:
run by hand.

    python bench/structure_features.py [--data DIR] [--window 80] [--span 40] [--flank 10]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from dlgenomics.sirna import structure
from dlgenomics.sirna.structure import AccessibilitySettings, site_accessibility, strand_energies
from dlgenomics.sirna.target_site import locate_sites

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 60.0


def default_data_dir() -> Path:
    mirror = os.environ.get("DLGENOMICS_MIRROR")
    return (Path(mirror) if mirror else REPO.parent / "shared" / "data") / "sirna_competition"


def read_table(folder: Path) -> pd.DataFrame:
    """Train and sample_submission rows, one index, the three sequence columns."""
    frames = []
    for name in ("train_data", "sample_submission"):
        path = next(
            (p for p in (folder / f"{name}.csv.gz", folder / f"{name}.csv") if p.exists()), None
        )
        if path is None:
            raise SystemExit(f"{name}.csv[.gz] not found in {folder} (use --data)")
        frames.append(pd.read_csv(path))
    columns = ["siRNA_antisense_seq", "siRNA_sense_seq", "gene_target_seq"]
    return pd.concat(frames, ignore_index=True)[columns]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=default_data_dir(),
        help="folder with train_data.csv.gz and sample_submission.csv.gz",
    )
    parser.add_argument("--window", type=int, default=AccessibilitySettings.window)
    parser.add_argument("--span", type=int, default=AccessibilitySettings.span)
    parser.add_argument("--flank", type=int, default=AccessibilitySettings.flank)
    args = parser.parse_args()
    settings = AccessibilitySettings(args.window, args.span, args.flank)
    table = read_table(args.data)
    guides, passengers = table["siRNA_antisense_seq"], table["siRNA_sense_seq"]
    transcripts = table["gene_target_seq"]
    load_before = os.getloadavg()[0]

    started = time.perf_counter()
    positions = locate_sites(guides, transcripts, max_mismatches=3)["position"]
    sites_s = time.perf_counter() - started

    folded: list[int] = []  # length of each sequence folded, counted where it happens
    fold = structure.unpaired_probabilities

    def counting(transcript, *fold_args, **fold_kwargs):
        folded.append(len(transcript))
        return fold(transcript, *fold_args, **fold_kwargs)

    structure.unpaired_probabilities = counting
    try:
        started = time.perf_counter()
        access = site_accessibility(transcripts, positions.to_numpy(), settings)
        access_s = time.perf_counter() - started
    finally:
        structure.unpaired_probabilities = fold

    started = time.perf_counter()
    energies = strand_energies(guides, passengers)
    energies_s = time.perf_counter() - started
    total_s = access_s + energies_s

    n_pairs = len(table[["siRNA_antisense_seq", "siRNA_sense_seq"]].drop_duplicates())
    print(
        f"data: {args.data}; settings {settings}; 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(
        f"rows: {len(table):,}; distinct guides {guides.nunique():,}; distinct guide/passenger "
        f"pairs {n_pairs:,}; rows with a site {(positions >= 0).sum():,}; rows with no "
        f"transcript {transcripts.isna().sum():,}"
    )
    print(
        f"distinct transcripts folded: {len(folded)} of {transcripts.nunique()}; "
        f"total nt folded {sum(folded):,}"
    )
    print()
    print(f"{'part':<44}{'seconds':>9}")
    print(f"{'locate_sites (not counted)':<44}{sites_s:>9.2f}")
    print(f"{'site_accessibility':<44}{access_s:>9.2f}   {sum(folded) / access_s:,.0f} nt/s")
    print(f"{'strand_energies':<44}{energies_s:>9.2f}   {n_pairs / energies_s:,.0f} pairs/s")
    print(f"{'total (both functions)':<44}{total_s:>9.2f}")
    print()
    print(
        f"NaN share: access_site {access['access_site'].isna().mean():.3f}, "
        f"duplex_dg {energies['duplex_dg'].isna().mean():.3f}"
    )
    verdict = "met" if total_s <= BUDGET_S else "NOT met"
    print(f"budget total <= {BUDGET_S:.0f} s: {verdict} ({total_s:.2f} s)")


if __name__ == "__main__":
    main()
