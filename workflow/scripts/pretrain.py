"""Pretrain an autoencoder architecture's encoder on every sequence of a task, without labels."""

from pathlib import Path

from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.steps import run_step
from dlgenomics.training.loop import TrainSettings
from dlgenomics.training.pretraining import pretrain


def main() -> None:
    pretrain(
        model=snakemake.params.model,
        model_params=snakemake.params.model_params,
        settings=TrainSettings(**{**snakemake.params.settings, "threads": snakemake.threads}),
        tables=[read_tensors(Path(snakemake.input[role])) for role in ("train", "test")],
        vocab=read_vocab(Path(snakemake.input.vocab)),
        out_encoder=Path(snakemake.output.encoder),
        out_history=Path(snakemake.output.history),
    )


run_step(main, snakemake.log[0])
