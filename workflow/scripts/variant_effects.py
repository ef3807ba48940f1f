"""Variant effects: reference and alternative windows scored by a trained task's model."""

import logging
from pathlib import Path

from dlgenomics.data.schema import read_vocab
from dlgenomics.evaluation.inference import member_models
from dlgenomics.evaluation.variants import variant_job, write_variant_effects
from dlgenomics.steps import run_step


def main() -> None:
    job, name = snakemake.params.job, snakemake.wildcards.job
    effects, ism, arch = variant_job(
        job,
        member_models(snakemake.params.members, snakemake.input.models),
        read_vocab(Path(snakemake.input.vocab)),
        Path(snakemake.input.leaderboard),
    )
    title = f"{name}: {len(effects)} variants scored by {job['task']} ({arch})"
    write_variant_effects(effects, ism, Path(snakemake.output.csv).parent, title, job["top"])
    logging.info("%s\n%s", title, effects.sort_values("rank").head(10).to_string(index=False))


run_step(main, snakemake.log[0])
