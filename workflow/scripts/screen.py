"""Virtual screen: every 19-nt site of a transcript, designed in a template's chemistry and
scored by a trained siRNA task's ensemble; a ranked table and a plot along the transcript."""

import json
import logging
from pathlib import Path

from dlgenomics.data.schema import read_vocab
from dlgenomics.evaluation.ensemble import read_combination
from dlgenomics.evaluation.inference import member_models
from dlgenomics.files import atomic_path
from dlgenomics.report import plots
from dlgenomics.sirna.screening import virtual_screen
from dlgenomics.steps import run_step


def main() -> None:
    screen, task = snakemake.params.screen, snakemake.params.task
    fasta = snakemake.input.get("fasta")
    ranked, name = virtual_screen(
        screen,
        task,
        f"screen.{snakemake.wildcards.screen}",
        vocab=read_vocab(Path(snakemake.input.vocab)),
        raw={Path(p).name: Path(p) for p in snakemake.input.raw},
        fasta=Path(fasta) if fasta else None,
        spec=json.loads(Path(snakemake.input.spec).read_text()),
        weights=read_combination(Path(snakemake.input.weights)),
        models=member_models(snakemake.params.members, snakemake.input.models),
    )
    with atomic_path(Path(snakemake.output.table)) as tmp:
        ranked.to_csv(tmp, index=False, float_format="%.3f")
    plots.screen_plot(
        ranked,
        "predicted_ensemble",
        screen["top"],
        f"{name}: predicted knockdown by the {task['name']} ensemble",
        Path(snakemake.output.plot),
    )
    logging.info("best sites:\n%s", ranked.head(screen["top"]).to_string(index=False))


run_step(main, snakemake.log[0])
