"""Virtual screen: every 19-nt site of a transcript, designed in a template's chemistry and
scored by a trained siRNA task's ensemble; a ranked table and a plot along the transcript."""

import json
import logging
from pathlib import Path

from dlgenomics import InputError, plots
from dlgenomics.encode import standard_tables
from dlgenomics.ensemble import read_combination
from dlgenomics.files import atomic_path
from dlgenomics.inference import score_rows
from dlgenomics.schema import read_vocab
from dlgenomics.screening import (
    candidate_duplexes,
    candidate_table,
    rank_candidates,
    template_from_task,
    transcript_from_task,
)
from dlgenomics.steps import run_step
from dlgenomics.tables import read_fasta


def transcript(screen: dict, frames: dict, where: str) -> tuple[str, str]:
    """(sequence, name) of the transcript to screen."""
    source = screen["transcript"]
    if source.get("gene"):
        return transcript_from_task(frames, source["gene"], where), source["gene"]
    records = read_fasta(Path(snakemake.input.fasta))
    record = source.get("record") or next(iter(records))
    if record not in records:
        raise InputError(
            f"{snakemake.input.fasta}: no record {record!r} (has: {', '.join(records)})"
        )
    return records[record], record


def main() -> None:
    screen, task, members = snakemake.params.screen, snakemake.params.task, snakemake.params.members
    where = f"screen.{snakemake.wildcards.screen}"
    vocab = read_vocab(Path(snakemake.input.vocab))
    files = {Path(p).name: Path(p) for p in snakemake.input.raw}
    _, frames = standard_tables(task["kind"], files, task["data"])
    sequence, name = transcript(screen, frames, where)
    template = template_from_task(frames, str(screen["template"]), vocab, where)
    try:
        candidates = candidate_duplexes(sequence, template)
    except ValueError as error:
        raise InputError(f"{where}.transcript: {error}") from None
    skipped = len(sequence) - 18 - len(candidates)
    logging.info("%s: %d nt, %d candidate sites (%d skipped: N)", name, len(sequence),
                 len(candidates), max(skipped, 0))  # fmt: skip
    folds = len(snakemake.input.models) // len(members)
    models = {
        arch: [Path(p) for p in snakemake.input.models[i * folds : (i + 1) * folds]]
        for i, arch in enumerate(members)
    }
    scores = score_rows(
        candidate_table(candidates, sequence, screen["conditions"]), models, vocab,
        json.loads(Path(snakemake.input.spec).read_text()),
        read_combination(Path(snakemake.input.weights)), where,
    )  # fmt: skip
    ranked = rank_candidates(candidates, scores, by="ensemble")
    with atomic_path(Path(snakemake.output.table)) as tmp:
        ranked.to_csv(tmp, index=False, float_format="%.3f")
    plots.screen_plot(
        ranked, "predicted_ensemble", screen["top"],
        f"{name}: predicted knockdown by the {task['name']} ensemble", Path(snakemake.output.plot),
    )  # fmt: skip
    logging.info("best sites:\n%s", ranked.head(screen["top"]).to_string(index=False))


run_step(main, snakemake.log[0])
