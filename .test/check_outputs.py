"""After the smoke run (`snakemake --cores 2 --directory .test`): every stage left its outputs.
Run from the repository root; exits non-zero naming what is missing."""

import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
EXPECTED = {
    "download, encode": ["sirna/encoded/train.parquet", "binding/encoded/train.parquet"],
    "siRNA features": ["sirna/features/train.parquet"],
    "training": [
        "sirna/models/cnn/fold1/model.pt",
        "sirna/models/gbm/fold1/model.joblib",
        "binding/models/tutorial_cnn/fold1/model.pt",
    ],
    "evaluation, leaderboard": ["sirna/leaderboard.md", "binding/leaderboard.md"],
    "ensemble": ["sirna/ensemble/metrics.json"],
    "interpretation": ["binding/interpretation/logos.png", "sirna/interpretation/logos.png"],
    "design (GAN)": ["binding/generated/sequences.fasta", "binding/generated/judged.html"],
    "export": ["sirna/export/model.torchscript.pt", "binding/export/model.torchscript.pt"],
    "submission": ["sirna/submission.csv", "binding/submission.csv"],
    "report pages": ["sirna/provenance.html", "binding/provenance.html", "benchmarks/summary.html"],
}
missing = [
    f"{stage}: {path}"
    for stage, paths in EXPECTED.items()
    for path in paths
    if not (RESULTS / path).is_file() or (RESULTS / path).stat().st_size == 0
]
if missing:
    sys.exit("smoke run outputs missing:\n" + "\n".join(missing))
print(f"smoke run: all {sum(map(len, EXPECTED.values()))} stage outputs present")
