"""Train one architecture on one fold of one task."""

import logging
from pathlib import Path

from dlgenomics.provenance import write_provenance
from dlgenomics.schema import read_tensors, read_vocab
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS
from dlgenomics.training import TrainSettings, train_fold


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    settings = TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads})
    fold = int(snakemake.wildcards.fold)
    result = train_fold(
        task_type=kind.task_type,
        selection_metric=kind.selection_metric,
        arch=snakemake.wildcards.arch,
        model_params=snakemake.params.model_params,
        settings=settings,
        train_columns=read_tensors(Path(snakemake.input.train)),
        test_columns=read_tensors(Path(snakemake.input.test)),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        fold=fold,
        out_checkpoint=Path(snakemake.output.model),
        out_history=Path(snakemake.output.history),
        out_predictions=Path(snakemake.output.predictions),
    )
    logging.info("best: %s", result)
    write_provenance(
        Path(snakemake.output.run),
        task=snakemake.wildcards.task,
        arch=snakemake.wildcards.arch,
        fold=fold,
        seed=settings.seed,
        settings=snakemake.params.settings,
        model_params=snakemake.params.model_params,
        task_config=snakemake.params.task,
        result=result,
    )


run_step(main, snakemake.log[0])
