"""Encode one task's raw tables into Parquet tensors and vocab.json."""

import json
import logging
from pathlib import Path

from dlgenomics.data.encode import encode_task
from dlgenomics.files import atomic_path
from dlgenomics.steps import run_step


def main() -> None:
    files = {Path(p).name: Path(p) for p in snakemake.input}
    out = {name: Path(snakemake.output[name]) for name in ("train", "test", "vocab")}
    summary = encode_task(snakemake.params.kind, files, snakemake.params.task, out)
    logging.info("encoded %s: %s", snakemake.wildcards.task, json.dumps(summary))
    with atomic_path(snakemake.output.summary) as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")


run_step(main, snakemake.log[0])
