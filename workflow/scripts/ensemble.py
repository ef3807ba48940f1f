"""The task's ensemble: member weights fitted on out-of-fold predictions, and its metrics."""

import logging
from pathlib import Path

from dlgenomics import plots
from dlgenomics.ensemble import build_ensemble, write_combination
from dlgenomics.evaluate import write_evaluation
from dlgenomics.metrics import HIGHER_IS_BETTER, selection_value
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    members = dict(zip(snakemake.params.members, map(Path, snakemake.input), strict=True))
    metric = kind.selection_metric
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    options = snakemake.params.metric_options

    def objective(target, prediction) -> float:  # higher is better
        return sign * selection_value(kind.metric_family, metric, target, prediction, **options)

    # Probabilities are not recalibrated: a binary task's ensemble is the weighted mean.
    calibrate = objective if kind.task_type == "regression" else None
    oof, test, fit = build_ensemble(members, calibrate)
    write_combination(fit, Path(snakemake.output.weights))
    result = write_evaluation(
        kind.metric_family,
        oof,
        test,
        Path(snakemake.output.metrics),
        Path(snakemake.output.predictions),
        snakemake.params.metric_options,
    )
    logging.info(
        "weights %s, calibration %.4f + %.4f x; out of fold (cross-fitted) %s",
        fit["weights"], fit["offset"], fit["slope"], result["oof"],
    )  # fmt: skip
    plots.prediction_plot(
        kind.metric_family,
        oof["target"].to_numpy(),
        oof["prediction"].to_numpy(),
        f"{snakemake.wildcards.task}: ensemble (out of fold, cross-fitted)",
        Path(snakemake.output.plot),
    )


run_step(main, snakemake.log[0])
