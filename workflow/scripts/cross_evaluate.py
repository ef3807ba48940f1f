"""Cross-dataset evaluation: one task's trained models score every labelled row of another."""

import json
import logging
from pathlib import Path

from dlgenomics.encode import standard_tables
from dlgenomics.ensemble import ENSEMBLE, read_combination
from dlgenomics.evaluate import score_board, write_leaderboard
from dlgenomics.files import atomic_path
from dlgenomics.inference import labelled_rows, member_models, score_rows
from dlgenomics.schema import read_vocab
from dlgenomics.steps import run_step
from dlgenomics.tasks import scoring as task_scoring


def main() -> None:
    pair, members, evaluated = (
        snakemake.params.pair,
        snakemake.params.members,
        snakemake.params.evaluated,
    )
    scoring = task_scoring(evaluated["data"])
    files = {Path(p).name: Path(p) for p in snakemake.input.raw}
    _, frames = standard_tables(evaluated["kind"], files, evaluated["data"])
    rows = labelled_rows(frames)
    models = member_models(members, snakemake.input.models)
    weights_file, spec_file = snakemake.input.get("weights"), snakemake.input.get("spec")
    ensemble = read_combination(Path(weights_file)) if weights_file else None
    spec = json.loads(Path(spec_file).read_text()) if spec_file else None
    scores = score_rows(
        rows, models, read_vocab(Path(snakemake.input.vocab)), spec, ensemble,
        f"task {evaluated['name']} scored by {pair['train']}",
    )  # fmt: skip
    with atomic_path(Path(snakemake.output.scores)) as tmp:
        scores.to_parquet(tmp, index=False)
    names = [*models, *([ENSEMBLE] if ensemble else [])]
    board = score_board(scores, names, scoring)
    title = (
        f"{snakemake.wildcards.pair}: trained on {pair['train']}, evaluated on every labelled "
        f"row of {evaluated['name']} (ranked by {scoring.selection})"
    )
    write_leaderboard(
        board,
        title,
        Path(snakemake.output.csv),
        Path(snakemake.output.md),
        Path(snakemake.output.html),
    )
    logging.info("\n%s", board.to_string(index=False))


run_step(main, snakemake.log[0])
