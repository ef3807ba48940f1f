"""The task's ensemble: member weights fitted on out-of-fold predictions, and its metrics."""

import logging
from pathlib import Path

from dlgenomics import plots
from dlgenomics.ensemble import build_ensemble, write_weights
from dlgenomics.evaluate import write_evaluation
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    members = dict(zip(snakemake.params.members, map(Path, snakemake.input), strict=True))
    oof, test, weights = build_ensemble(members)
    write_weights(weights, Path(snakemake.output.weights))
    result = write_evaluation(
        kind.metric_family,
        oof,
        test,
        Path(snakemake.output.metrics),
        Path(snakemake.output.predictions),
        snakemake.params.metric_options,
    )
    logging.info("weights %s; out of fold %s", weights["weights"], result["oof"])
    plots.prediction_plot(
        kind.metric_family,
        oof["target"].to_numpy(),
        oof["prediction"].to_numpy(),
        f"{snakemake.wildcards.task}: ensemble (out of fold, cross-fitted)",
        Path(snakemake.output.plot),
    )


run_step(main, snakemake.log[0])
