"""Predictions for new sequences with a trained task's models (`snakemake predict`)."""

import logging
from pathlib import Path

from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.evaluation.ensemble import read_combination
from dlgenomics.evaluation.inference import member_models
from dlgenomics.evaluation.predict import predict_sequences
from dlgenomics.files import atomic_path
from dlgenomics.report import plots
from dlgenomics.steps import run_step
from dlgenomics.tasks.kinds.sequences import SequenceInput
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    job, name = snakemake.params.job, snakemake.wildcards.job
    scoring = Scoring.from_params(snakemake.params.scoring)
    weights, leaderboard = snakemake.input.get("weights"), snakemake.input.get("leaderboard")
    table, prediction = predict_sequences(
        SequenceInput.from_config(job["input"]),
        {p: Path(p) for p in snakemake.input.sequences},
        task=job["task"],
        choice=job["model"],
        scoring=scoring,
        members=member_models(snakemake.params.members, snakemake.input.models),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        leaderboard=Path(leaderboard) if leaderboard else None,
        ensemble=read_combination(Path(weights)) if weights else None,
    )
    with atomic_path(Path(snakemake.output.csv)) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(Path(snakemake.output.parquet)) as tmp:
        table.to_parquet(tmp, index=False)
    training = read_tensors(Path(snakemake.input.train), ("target",), ("target",))["target"]
    title = f"{name}: {len(table)} sequences scored by {job['task']} ({table['model'].iloc[0]})"
    plots.prediction_distribution(
        prediction, training, scoring.labels, title, Path(snakemake.output.plot)
    )
    logging.info("%s: %d rows, %d padded", name, len(table), int(table["padded"].sum()))


run_step(main, snakemake.log[0])
