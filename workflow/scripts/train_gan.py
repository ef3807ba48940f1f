"""Train a WGAN-GP on the training sequences a task's design learns."""

import logging
from pathlib import Path

import torch

from dlgenomics.design.designer import DesignTask, train_designer
from dlgenomics.steps import run_step
from dlgenomics.training.loop import resolve_device


def main() -> None:
    torch.set_num_threads(snakemake.threads)
    motifs = snakemake.input.get("motifs")  # a Namedlist: `in` would look at the values
    task = DesignTask.load(
        train=Path(snakemake.input.train),
        vocab=Path(snakemake.input.vocab),
        objective=snakemake.params.objective,
        settings=snakemake.params.settings,
        consensus=snakemake.params.known_motif,
        motifs=Path(motifs) if motifs else None,
    )
    history = train_designer(
        task,
        device=resolve_device(snakemake.params.device),
        out={k: Path(v) for k, v in snakemake.output.items()},
    )
    logging.info("last epoch: %s", history.iloc[-1].to_dict())


run_step(main, snakemake.log[0])
