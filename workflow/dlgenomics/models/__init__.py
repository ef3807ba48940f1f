"""Architecture registry: a name in config -> one small module here."""

from __future__ import annotations

from typing import Any

from dlgenomics import InputError
from dlgenomics.models.bigru import BiGRU
from dlgenomics.models.cnn import CNN
from dlgenomics.models.common import GenomicsModel
from dlgenomics.models.mlp import MLP
from dlgenomics.schema import InputLayout

ARCHITECTURES: dict[str, type[GenomicsModel]] = {"mlp": MLP, "cnn": CNN, "bigru": BiGRU}


def build_model(
    name: str,
    params: dict[str, Any],
    layout: InputLayout,
    numeric_stats: dict[str, tuple[float, float]],
    n_outputs: int = 1,
) -> GenomicsModel:
    if name not in ARCHITECTURES:
        raise InputError(
            f"unknown architecture {name!r} (known: {', '.join(sorted(ARCHITECTURES))})"
        )
    cls = ARCHITECTURES[name]
    return cls(cls.make_config(params, f"architectures.{name}"), layout, numeric_stats, n_outputs)
