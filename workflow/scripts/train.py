"""Train one architecture on one fold of one task (resuming a killed run of it)."""

import logging
from pathlib import Path

from dlgenomics.report.provenance import write_provenance
from dlgenomics.steps import run_step
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold
from dlgenomics.training.memory import read_fold_inputs


def main() -> None:
    settings = TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads})
    fold = int(snakemake.wildcards.fold)
    pretrained = snakemake.input.get("pretrained")
    features = [snakemake.input.get(f"features_{n}") for n in ("train", "test", "spec")]
    train_columns, test_columns, stream, vocab = read_fold_inputs(
        (Path(snakemake.input.train), Path(snakemake.input.test)),
        Path(snakemake.input.vocab),
        settings.memory_budget,
        tuple(map(Path, features)) if all(features) else None,
    )
    result = train_fold(
        FoldRun(
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
