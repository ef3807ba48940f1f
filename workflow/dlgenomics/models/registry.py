"""Architecture registry: a name in config -> one small module here."""

from __future__ import annotations

from typing import Any

from dlgenomics import InputError
from dlgenomics.data.schema import InputLayout
from dlgenomics.models.architectures import make_config
from dlgenomics.models.autoencoder import Autoencoder
from dlgenomics.models.bigru import BiGRU
from dlgenomics.models.cnn import CNN
from dlgenomics.models.common import GenomicsModel
from dlgenomics.models.gcn import GCN
from dlgenomics.models.lstm import LSTM
from dlgenomics.models.mlp import MLP
from dlgenomics.models.transformer import Transformer
from dlgenomics.models.tutorial_cnn import TutorialCNN

ARCHITECTURES: dict[str, type[GenomicsModel]] = {
    "mlp": MLP,
    "cnn": CNN,
    "bigru": BiGRU,
    "lstm": LSTM,
    "transformer": Transformer,
    "gcn": GCN,
    "autoencoder": Autoencoder,
    "tutorial_cnn": TutorialCNN,
}


def build_model(
    name: str,
    params: dict[str, Any],
    layout: InputLayout,
    numeric_stats: dict[str, tuple[float, float]] | None = None,
    n_outputs: int = 1,
) -> GenomicsModel:
    """An untrained `name` network. `numeric_stats` (training mean and std of each numeric
    condition) may be None when the weights, buffers included, are loaded afterwards or the
    head is not used (pretraining): the conditions are then left unscaled until loaded."""
    if numeric_stats is None:
        numeric_stats = {c: (0.0, 1.0) for c in layout.numeric}
    if name not in ARCHITECTURES:
        raise InputError(
            f"unknown architecture {name!r} (known: {', '.join(sorted(ARCHITECTURES))})"
        )
    config = make_config(name, params, f"architectures.{name}")
    return ARCHITECTURES[name](config, layout, numeric_stats, n_outputs)
