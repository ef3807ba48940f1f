"""Train the tabular (gradient-boosting) model on one fold of one task."""

import logging
from pathlib import Path

from threadpoolctl import threadpool_limits

from dlgenomics.data.schema import ROW_ID, read_tensors, read_vocab
from dlgenomics.report.provenance import write_provenance
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.tabular import train_tabular_fold


def features(name: str) -> dict | None:
    path = snakemake.input.get(name)
    return read_tensors(Path(path), required=(ROW_ID,)) if path else None


def main() -> None:
    fold = int(snakemake.wildcards.fold)
    with threadpool_limits(snakemake.threads):
        result = train_tabular_fold(
            scoring=Scoring.from_params(snakemake.params.scoring),
            arch=snakemake.wildcards.arch,
            model_params=snakemake.params.model_params,
            settings=snakemake.params.settings,
            train_columns=read_tensors(Path(snakemake.input.train)),
            test_columns=read_tensors(Path(snakemake.input.test)),
            train_features=features("features_train"),
            test_features=features("features_test"),
            vocab=read_vocab(Path(snakemake.input.vocab)),
            fold=fold,
            out_model=Path(snakemake.output.model),
            out_history=Path(snakemake.output.history),
            out_predictions=Path(snakemake.output.predictions),
        )
    logging.info("best: %s", result)
    write_provenance(
        Path(snakemake.output.run),
        task=snakemake.wildcards.task,
        arch=snakemake.wildcards.arch,
        model="gbm",
        fold=fold,
        seed=0,
        settings=snakemake.params.settings,
        model_params=snakemake.params.model_params,
        task_config=snakemake.params.task,
        scoring=snakemake.params.scoring,  # objective, metric family, selection metric
        result=result,
    )


run_step(main, snakemake.log[0])
