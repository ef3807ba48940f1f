"""ROC, precision-recall and confusion-matrix figures of one task's ranked architectures."""

from pathlib import Path

from dlgenomics.evaluation.evaluate import classification_figures
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    classification_figures(
        Scoring.from_params(snakemake.params.scoring),
        list(snakemake.params.names),
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.input.leaderboard),
        f"{snakemake.wildcards.task} (out of fold)",
        {name: Path(snakemake.output[name]) for name in ("roc", "pr", "confusion")},
    )


run_step(main, snakemake.log[0])
