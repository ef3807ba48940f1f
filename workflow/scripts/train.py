"""Train one architecture on one fold of one task (resuming a killed run of it)."""

import json
import logging
from pathlib import Path

from dlgenomics.data.schema import ROW_ID, read_tensors, read_vocab
from dlgenomics.report.provenance import write_provenance
from dlgenomics.sirna.features import with_target_context
from dlgenomics.steps import run_step
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.loop import TrainSettings, train_fold
from dlgenomics.training.memory import load_fold_tables


def tensors_and_vocab(budget):
    """Encoded tensors and vocabulary, with the target context for networks that read it;
    the stream of token columns where the tables exceed the memory budget."""
    vocab = read_vocab(Path(snakemake.input.vocab))
    paths = Path(snakemake.input.train), Path(snakemake.input.test)
    if not snakemake.input.get("features_spec"):
        return (*load_fold_tables(*paths, budget), vocab)
    # siRNA tables (small): held whole, their target context joined in.
    train, test = read_tensors(paths[0]), read_tensors(paths[1])
    spec = json.loads(Path(snakemake.input.features_spec).read_text())
    features = {r: read_tensors(Path(snakemake.input[f"features_{r}"]), required=(ROW_ID,))
                for r in ("train", "test")}  # fmt: skip
    train, merged = with_target_context(train, features["train"], vocab, spec)
    test, _ = with_target_context(test, features["test"], vocab, spec)
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
