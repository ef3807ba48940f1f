"""Train one architecture on one fold of one task (resuming a killed run of it)."""

import json
import logging
from pathlib import Path

from dlgenomics.report.provenance import write_provenance
from dlgenomics.steps import run_step
from dlgenomics.training.loop import TrainSettings, job_fold_run, train_fold
from dlgenomics.training.memory import read_fold_inputs
from dlgenomics.training.tuning import with_tuned


def read_json(path: str) -> dict:
    return json.loads(Path(path).read_text())


def main() -> None:
    settings = TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads})
    fold = int(snakemake.wildcards.fold)
    pretrained = snakemake.input.get("pretrained")
    features = [snakemake.input.get(f"features_{n}") for n in ("train", "test", "spec")]
    tables = read_fold_inputs(
        (Path(snakemake.input.train), Path(snakemake.input.test)),
        Path(snakemake.input.vocab),
        settings.memory_budget,
        tuple(map(Path, features)) if all(features) else None,
    )
    tuned = read_json(snakemake.input.tuned)["values"] if snakemake.input.get("tuned") else {}
    run = job_fold_run(
        snakemake.params,
        snakemake.wildcards,
        snakemake.threads,
        tables,
        (
            Path(snakemake.output.model),
            Path(snakemake.output.history),
            Path(snakemake.output.predictions),
        ),
        multitask=snakemake.params.multitask,
        pretrained=Path(pretrained) if pretrained else None,
        resume=Path(snakemake.params.resume),
    )
    result = train_fold(with_tuned(run, tuned))
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
        **({"tuned": tuned} if tuned else {}),  # the fold's tuned values, over the two above
        multitask=snakemake.params.multitask,
        pretrained=pretrained,
        task_config=snakemake.params.task,
        scoring=snakemake.params.scoring,  # objective, metric family, selection metric
        result=result,
    )


run_step(main, snakemake.log[0])
