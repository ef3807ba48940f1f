"""Metrics and figures of one architecture on one task, from its fold predictions."""

from pathlib import Path

import pandas as pd

from dlgenomics.evaluation.evaluate import (
    evaluate_architecture,
    leak_of_test_rows,
    prediction_figure,
    test_prediction_figures,
    test_sets_of,
)
from dlgenomics.files import column_values
from dlgenomics.report import plots
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    scoring = Scoring.from_params(snakemake.params.scoring)
    summary = Path(snakemake.input.encode_summary)
    test_sets = test_sets_of(summary)
    task, arch = snakemake.wildcards.task, snakemake.wildcards.arch
    evaluate_architecture(
        scoring,
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.output.metrics),
        Path(snakemake.output.predictions),
        test_sets,
        leak_of_test_rows(summary),
    )
    histories = {i: pd.read_csv(p) for i, p in enumerate(snakemake.input.histories)}
    plots.learning_curves(
        histories, scoring.selection, f"{task}: {arch}", Path(snakemake.output.curves)
    )
    oof = pd.read_parquet(snakemake.output.predictions).query("role == 'oof'")
    target, prediction = column_values(oof["target"]), column_values(oof["prediction"])
    title = f"{task}: {arch} (out of fold)"
    prediction_figure(scoring, target, prediction, title, Path(snakemake.output.plot))
    test_prediction_figures(
        scoring,
        Path(snakemake.output.predictions),
        test_sets,
        f"{task}: {arch}",
        Path(snakemake.output.test_plots),
    )


run_step(main, snakemake.log[0])
