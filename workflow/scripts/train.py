"""Train one architecture on one fold of one task (resuming a killed run of it)."""

import logging
from pathlib import Path

from dlgenomics.data.schema import read_vocab
from dlgenomics.report.provenance import write_provenance
from dlgenomics.sirna.features import read_with_target_context
from dlgenomics.steps import run_step
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.loop import TrainSettings, train_fold
from dlgenomics.training.memory import load_fold_tables


def tensors_and_vocab(budget):
    """Encoded tensors (and the stream of token columns where they exceed the memory budget)
    and vocabulary; siRNA tables with the target context for networks that read it."""
    vocab = read_vocab(Path(snakemake.input.vocab))
    paths = Path(snakemake.input.train), Path(snakemake.input.test)
    if not snakemake.input.get("features_spec"):
        return (*load_fold_tables(*paths, budget), vocab)
    features = Path(snakemake.input.features_train), Path(snakemake.input.features_test)
    train, test, merged = read_with_target_context(
        paths, features, Path(snakemake.input.features_spec), vocab
    )
    return train, test, None, merged


def main() -> None:
    settings = TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads})
    fold = int(snakemake.wildcards.fold)
    pretrained = snakemake.input.get("pretrained")
    train_columns, test_columns, stream, vocab = tensors_and_vocab(settings.memory_budget)
    result = train_fold(
        kind=TASK_KINDS[snakemake.params.kind],
        scoring=Scoring.from_params(snakemake.params.scoring),
        arch=snakemake.wildcards.arch,
        model=snakemake.params.model,
        model_params=snakemake.params.model_params,
        multitask=snakemake.params.multitask,
        settings=settings,
        train_columns=train_columns,
        test_columns=test_columns,
        stream=stream,
        vocab=vocab,
        fold=fold,
        pretrained=Path(pretrained) if pretrained else None,
        resume=Path(snakemake.params.resume),
        out_checkpoint=Path(snakemake.output.model),
        out_history=Path(snakemake.output.history),
        out_predictions=Path(snakemake.output.predictions),
    )
    logging.info("best: %s", result)
    write_provenance(
        Path(snakemake.output.run),
        task=snakemake.wildcards.task,
        arch=snakemake.wildcards.arch,
        model=snakemake.params.model,
        fold=fold,
        seed=settings.seed,
        settings=snakemake.params.settings,
        model_params=snakemake.params.model_params,
        multitask=snakemake.params.multitask,
        pretrained=pretrained,
        task_config=snakemake.params.task,
        scoring=snakemake.params.scoring,  # objective, metric family, selection metric
        result=result,
    )


run_step(main, snakemake.log[0])
