"""Encode one task's raw tables into Parquet tensors and vocab.json."""

from pathlib import Path

from dlgenomics.data.encode import encode_task
from dlgenomics.files import write_json
from dlgenomics.steps import run_step


def main() -> None:
    files = {name: Path(path) for name, path in snakemake.params.files.items()}
    out = {name: Path(snakemake.output[name]) for name in ("train", "test", "vocab", "groups")}
    task = snakemake.wildcards.task
    summary = encode_task(snakemake.params.kind, files, snakemake.params.task, out, task)
    write_json(snakemake.output.summary, summary)


run_step(main, snakemake.log[0])
