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


def tensors_and_vocab():
    """Encoded tensors and vocabulary, with the target context for networks that read it."""
    train = read_tensors(Path(snakemake.input.train))
    test = read_tensors(Path(snakemake.input.test))
    vocab = read_vocab(Path(snakemake.input.vocab))
    if snakemake.input.get("features_spec"):
        spec = json.loads(Path(snakemake.input.features_spec).read_text())
        features = {r: read_tensors(Path(snakemake.input[f"features_{r}"]), required=(ROW_ID,))
                    for r in ("train", "test")}  # fmt: skip
        train, merged = with_target_context(train, features["train"], vocab, spec)
        test, _ = with_target_context(test, features["test"], vocab, spec)
        vocab = merged
    return train, test, vocab


def main() -> None:
    settings = TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads})
    fold = int(snakemake.wildcards.fold)
    pretrained = snakemake.input.get("pretrained")
    train_columns, test_columns, vocab = tensors_and_vocab()
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
