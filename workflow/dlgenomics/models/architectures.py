"""The architecture registry: a model name in config -> the one module that defines it.

Each architecture is one module of this package holding its hyperparameters (a dataclass, its
defaults the only ones) and its network, declared by that module's `ARCHITECTURE`; one line of
`ARCHITECTURES` names the module. Modules are imported when a name is first looked up, so a
configuration using gradient boosting alone never imports torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from dlgenomics import InputError

if TYPE_CHECKING:
    from dlgenomics.data.schema import InputLayout
    from dlgenomics.models.common import GenomicsModel


@dataclass(frozen=True)
class Architecture:
    config: type  # the hyperparameters' dataclass: unknown keys are errors, its defaults fill in
    # (config, input layout, numeric conditions' training mean and std, outputs) -> network;
    # None: a tabular model, trained by dlgenomics.training.tabular (rule train_tabular).
    network: type[GenomicsModel] | None


# One line per architecture: its name in config -> the module that defines it.
ARCHITECTURES: dict[str, str] = {
    "mlp": "dlgenomics.models.mlp",
    "cnn": "dlgenomics.models.cnn",
    "bigru": "dlgenomics.models.bigru",
    "lstm": "dlgenomics.models.lstm",
    "transformer": "dlgenomics.models.transformer",
    "gcn": "dlgenomics.models.gcn",
    "autoencoder": "dlgenomics.models.autoencoder",
    "tutorial_cnn": "dlgenomics.models.tutorial_cnn",
    "gbm": "dlgenomics.models.gbm",
}
# The training settings gradient boosting reads (training/tabular.py): the parameters of its
# rule, so changing a network's (learning rate, epochs) leaves the boosted models alone.
TABULAR_SETTINGS = ("loss", "target_clip")


def register_architecture(name: str, module: str) -> Architecture:
    """Add architecture `name`, defined by `module` (any importable module's full name)."""
    ARCHITECTURES[name] = module
    return architecture(name)


def architecture(name: str, where: str = "model") -> Architecture:
    """The `name` architecture, its module imported on first use."""
    if name not in ARCHITECTURES:
        known = ", ".join(ARCHITECTURES)
        raise InputError(f"{where}: unknown architecture {name!r} (known: {known})")
    declared = import_module(ARCHITECTURES[name]).ARCHITECTURE
    if not isinstance(declared, Architecture):
        raise TypeError(f"{ARCHITECTURES[name]}.ARCHITECTURE is not an Architecture")
    return declared


def is_tabular(name: str) -> bool:
    """Whether `name` is trained by training/tabular.py rather than as a torch network (an
    unknown name is not: the config's check names it)."""
    return name in ARCHITECTURES and architecture(name).network is None


def networks() -> list[str]:
    """The names of every torch network, in registry order."""
    return [name for name in ARCHITECTURES if not is_tabular(name)]


def make_config(name: str, params: dict[str, Any], where: str = "model") -> Any:
    """The `name` architecture's config from `params`; unknown keys are an InputError."""
    config_class = architecture(name, where).config
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"{where}: unknown hyperparameter(s) {unknown} (known: {', '.join(sorted(known))})"
        )
    try:
        return config_class(**params)
    except InputError as error:
        raise InputError(f"{where}: {error}") from None


def needs_pretraining(name: str, params: dict[str, Any]) -> bool:
    """Whether this architecture, so configured, fine-tunes a pretrained encoder."""
    return bool(getattr(make_config(name, params, f"architectures.{name}"), "pretrained", False))


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
    config = make_config(name, params, f"architectures.{name}")
    network = architecture(name).network
    if network is None:
        raise InputError(f"architectures.{name}: {name!r} is a tabular model, not a network")
    return network(config, layout, numeric_stats, n_outputs)
