"""Sample sequences from the trained GAN and judge them beside training positives and random
sequences with the task's best network."""

import logging
from pathlib import Path

from dlgenomics.design import DesignSettings, design_sequences
from dlgenomics.interpret import InterpretationSettings, choose_network, ranked_networks
from dlgenomics.schema import read_vocab
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    ranked = ranked_networks(Path(snakemake.input.leaderboard), snakemake.params.networks)
    models = [Path(p) for p in snakemake.input.models]  # .../models/<arch>/fold<k>/model.pt
    candidates = [(arch, [p for p in models if p.parent.parent.name == arch]) for arch in ranked]
    reads = InterpretationSettings.from_config(snakemake.params.interpretation)
    arch, fold_models, _, passed_over = choose_network(candidates, reads)
    motifs = snakemake.input.get("motifs")
    judged = design_sequences(
        generator_path=Path(snakemake.input.generator),
        train=Path(snakemake.input.train),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        kind=TASK_KINDS[snakemake.params.kind],
        settings=DesignSettings.from_config(snakemake.params.settings),
        consensus=snakemake.params.known_motif,
        motifs=Path(motifs) if motifs else None,
        classifier=(arch, fold_models),
        out={k: Path(v) for k, v in snakemake.output.items()},
    )
    logging.info("judged by %s (passed over: %s)\n%s", arch, passed_over, judged.to_string())


run_step(main, snakemake.log[0])
