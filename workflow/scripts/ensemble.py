"""The task's ensemble: member weights fitted on out-of-fold predictions, and its metrics."""

import logging
from pathlib import Path

from dlgenomics.evaluation.ensemble import EnsembleSettings, build_ensemble, write_combination
from dlgenomics.evaluation.evaluate import (
    leak_of_test_rows,
    prediction_figure,
    test_prediction_figures,
    test_sets_of,
    write_evaluation,
)
from dlgenomics.files import column_values
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    scoring = Scoring.from_params(snakemake.params.scoring)
    summary = Path(snakemake.input.encode_summary)
    test_sets = test_sets_of(summary)
    members = dict(zip(snakemake.params.members, map(Path, snakemake.input.members), strict=True))
    oof, test, fit = build_ensemble(members, scoring, EnsembleSettings(**snakemake.params.fit))
    write_combination(fit, Path(snakemake.output.weights))
    result = write_evaluation(
        scoring,
        oof,
        test,
        Path(snakemake.output.metrics),
        Path(snakemake.output.predictions),
        test_sets,
        leak_of_test_rows(summary),
    )
    logging.info(
        "weights %s, calibration %.4f + %.4f x, cut %s; out of fold (cross-fitted) %s",
        fit["weights"],
        fit["offset"],
        fit["slope"],
        fit["cut"],
        result["oof"],
    )
    prediction_figure(
        scoring,
        column_values(oof["target"]),
        column_values(oof["prediction"]),
        f"{snakemake.wildcards.task}: ensemble (out of fold, cross-fitted)",
        Path(snakemake.output.plot),
    )
    test_prediction_figures(
        scoring,
        Path(snakemake.output.predictions),
        test_sets,
        f"{snakemake.wildcards.task}: ensemble",
        Path(snakemake.output.test_plots),
    )


run_step(main, snakemake.log[0])
