"""Train a WGAN-GP on a binding task's bound training sequences."""

import logging
from pathlib import Path

import torch

from dlgenomics.design import DesignSettings, train_designer
from dlgenomics.schema import read_vocab
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS
from dlgenomics.training import resolve_device


def main() -> None:
    torch.set_num_threads(snakemake.threads)
    motifs = snakemake.input.get("motifs")  # a Namedlist: `in` would look at the values
    history = train_designer(
        train=Path(snakemake.input.train),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        kind=TASK_KINDS[snakemake.params.kind],
        settings=DesignSettings.from_config(snakemake.params.settings),
        consensus=snakemake.params.known_motif,
        motifs=Path(motifs) if motifs else None,
        device=resolve_device(snakemake.params.device),
        out={k: Path(v) for k, v in snakemake.output.items()},
    )
    logging.info("last epoch: %s", history.iloc[-1].to_dict())


run_step(main, snakemake.log[0])
