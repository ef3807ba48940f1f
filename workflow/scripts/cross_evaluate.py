"""Cross-dataset evaluation: one task's trained models score every labelled row of another."""

import json
import logging
from pathlib import Path

from dlgenomics.data.schema import read_vocab
from dlgenomics.evaluation.ensemble import read_combination
from dlgenomics.evaluation.evaluate import write_leaderboard
from dlgenomics.evaluation.inference import cross_evaluate, member_models
from dlgenomics.files import atomic_path
from dlgenomics.steps import run_step


def main() -> None:
    weights_file, spec_file = snakemake.input.get("weights"), snakemake.input.get("spec")
    scores, board, title = cross_evaluate(
        snakemake.wildcards.pair,
        snakemake.params.pair,
        snakemake.params.evaluated,
        raw={Path(p).name: Path(p) for p in snakemake.input.raw},
        models=member_models(snakemake.params.members, snakemake.input.models),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        spec=json.loads(Path(spec_file).read_text()) if spec_file else None,
        ensemble=read_combination(Path(weights_file)) if weights_file else None,
    )
    with atomic_path(Path(snakemake.output.scores)) as tmp:
        scores.to_parquet(tmp, index=False)
    outputs = (snakemake.output.csv, snakemake.output.md, snakemake.output.html)
    write_leaderboard(board, title, *map(Path, outputs))
    logging.info("\n%s", board.to_string(index=False))


run_step(main, snakemake.log[0])
