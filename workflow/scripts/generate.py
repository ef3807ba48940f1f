"""Sample sequences from the trained GAN and judge them beside the training sequences it learnt
and random sequences with the task's best network."""

import logging
from pathlib import Path

from dlgenomics.design.designer import DesignTask, design_sequences
from dlgenomics.evaluation.evaluate import ranked_candidates
from dlgenomics.interpretation.attributions import (
    InterpretationSettings,
    choose_network,
)
from dlgenomics.steps import run_step


def main() -> None:
    candidates = ranked_candidates(
        Path(snakemake.input.leaderboard), snakemake.params.networks, snakemake.input.models
    )
    reads = InterpretationSettings.from_config(snakemake.params.interpretation)
    arch, fold_models, _, passed_over = choose_network(candidates, reads)
    motifs = snakemake.input.get("motifs")  # a Namedlist: `in` would look at the values
    task = DesignTask.load(
        train=Path(snakemake.input.train),
        vocab=Path(snakemake.input.vocab),
        objective=snakemake.params.objective,
        settings=snakemake.params.settings,
        consensus=snakemake.params.known_motif,
        motifs=Path(motifs) if motifs else None,
    )
    judged = design_sequences(
        task,
        generator_path=Path(snakemake.input.generator),
        classifier=(arch, fold_models),
        out={k: Path(v) for k, v in snakemake.output.items()},
    )
    logging.info("judged by %s (passed over: %s)\n%s", arch, passed_over, judged.to_string())


run_step(main, snakemake.log[0])
