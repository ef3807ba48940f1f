"""Virtual screen: every 19-nt site of a transcript, designed in a template's chemistry and
scored by a trained siRNA task's ensemble; a ranked table and a plot along the transcript."""

import json
import logging
from pathlib import Path

from dlgenomics import InputError, plots
from dlgenomics.encode import standard_tables
from dlgenomics.ensemble import read_combination
from dlgenomics.files import atomic_path
from dlgenomics.inference import member_models, score_rows
from dlgenomics.schema import read_vocab
from dlgenomics.screening import (
    candidate_duplexes,
    candidate_table,
    choose_transcript,
    rank_candidates,
    template_from_task,
)
from dlgenomics.steps import run_step


def main() -> None:
    screen, task = snakemake.params.screen, snakemake.params.task
    where = f"screen.{snakemake.wildcards.screen}"
    vocab = read_vocab(Path(snakemake.input.vocab))
    files = {Path(p).name: Path(p) for p in snakemake.input.raw}
    _, frames = standard_tables(task["kind"], files, task["data"])
    fasta = snakemake.input.get("fasta")
    sequence, name = choose_transcript(
        screen["transcript"], frames, Path(fasta) if fasta else None, where
    )
    template = template_from_task(frames, str(screen["template"]), vocab, where)
    try:
        candidates = candidate_duplexes(sequence, template)
    except ValueError as error:
        raise InputError(f"{where}.transcript: {error}") from None
    logging.info("%s: %d nt, %d candidate sites", name, len(sequence), len(candidates))
    scores = score_rows(
        candidate_table(candidates, sequence, screen["conditions"]),
        member_models(snakemake.params.members, snakemake.input.models),
        vocab,
        json.loads(Path(snakemake.input.spec).read_text()),
        read_combination(Path(snakemake.input.weights)),
        where,
    )
    ranked = rank_candidates(candidates, scores, by="ensemble")
    with atomic_path(Path(snakemake.output.table)) as tmp:
        ranked.to_csv(tmp, index=False, float_format="%.3f")
    plots.screen_plot(
        ranked, "predicted_ensemble", screen["top"],
        f"{name}: predicted knockdown by the {task['name']} ensemble", Path(snakemake.output.plot),
    )  # fmt: skip
    logging.info("best sites:\n%s", ranked.head(screen["top"]).to_string(index=False))


run_step(main, snakemake.log[0])
