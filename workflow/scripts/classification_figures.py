"""ROC, precision-recall and confusion-matrix figures of one task's ranked architectures."""

from pathlib import Path

from dlgenomics.evaluate import classification_figures
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    classification_figures(
        TASK_KINDS[snakemake.params.kind].metric_family,
        list(snakemake.params.names),
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.input.leaderboard),
        snakemake.params.metric_options,
        f"{snakemake.wildcards.task} (out of fold)",
        {name: Path(snakemake.output[name]) for name in ("roc", "pr", "confusion")},
    )


run_step(main, snakemake.log[0])
