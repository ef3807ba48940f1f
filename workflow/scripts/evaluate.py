"""Metrics and figures of one architecture on one task, from its fold predictions."""

from pathlib import Path

import pandas as pd

from dlgenomics import plots
from dlgenomics.evaluate import evaluate_architecture
from dlgenomics.files import column_values
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    task, arch = snakemake.wildcards.task, snakemake.wildcards.arch
    evaluate_architecture(
        kind.metric_family,
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.output.metrics),
        Path(snakemake.output.predictions),
        snakemake.params.metric_options,
    )
    histories = {i: pd.read_csv(p) for i, p in enumerate(snakemake.input.histories)}
    plots.learning_curves(
        histories, kind.selection_metric, f"{task}: {arch}", Path(snakemake.output.curves)
    )
    oof = pd.read_parquet(snakemake.output.predictions).query("role == 'oof'")
    target, prediction = column_values(oof["target"]), column_values(oof["prediction"])
    title, plot = f"{task}: {arch} (out of fold)", Path(snakemake.output.plot)
    if kind.task_type == "multilabel":  # one ROC curve per label
        plots.roc_curves(target, prediction, snakemake.params.metric_options["labels"], title, plot)
    else:
        plots.prediction_plot(kind.metric_family, target, prediction, title, plot)


run_step(main, snakemake.log[0])
