"""Hyperparameters of every architecture: one small dataclass each, by registry name.

Kept apart from the networks (`dlgenomics.models`) so that a configuration can be checked,
e.g. while Snakemake plans thousands of jobs, without importing torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from dlgenomics import InputError


@dataclass
class MLPConfig:
    hidden: list[int] = field(default_factory=lambda: [512, 256])
    dropout: float = 0.2
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = True


@dataclass
class CNNConfig:
    embed_dim: int = 32
    channels: int = 128
    kernel_sizes: list[int] = field(default_factory=lambda: [3, 7, 11])
    hidden: int = 128
    dropout: float = 0.2
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = True
    # Basset-style depth for genome windows: after the first convolutions, this many blocks of
    # max-pooling (`pool` wide) and a convolution (`channels`, 7 wide), so later layers see
    # motif combinations hundreds of bases apart. 0: one layer, pooled over the whole input.
    extra_layers: int = 0
    pool: int = 4
    # Batch normalisation after each convolution (Basset): larger steps stay stable, so a
    # deep tower trains in fewer epochs.
    batch_norm: bool = False


@dataclass
class BiGRUConfig:
    embed_dim: int = 200
    hidden: int = 256
    layers: int = 3
    dropout: float = 0.5
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = False  # the baseline reads sequences only


@dataclass
class LSTMConfig:
    embed_dim: int = 64
    hidden: int = 128
    layers: int = 2
    patch: int = 1  # positions pooled into one recurrent step (as transformer.patch)
    head_hidden: int = 128
    dropout: float = 0.2
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # add each nucleotide's modification embedding (nmod_*)
    use_conditions: bool = True


@dataclass
class TransformerConfig:
    dim: int = 64
    heads: int = 4
    layers: int = 2
    ff_mult: int = 4
    # Positions pooled into one attention token (a strided convolution of that width): long
    # DNA inputs (200 nt) cost patch² less attention and patch× less feed-forward.
    patch: int = 1
    positions: str = "learned"  # or "sinusoidal"
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # add each nucleotide's modification embedding (nmod_*)
    use_conditions: bool = True


@dataclass
class GCNConfig:
    dim: int = 64
    layers: int = 3
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # node features include the nucleotide's modification
    pair_strands: bool = True  # with two inputs (sense, antisense): Watson-Crick pair edges
    use_conditions: bool = True


@dataclass
class AutoencoderConfig:
    dim: int = 64
    layers: int = 3
    kernel_size: int = 5
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # also embed and reconstruct each nucleotide's modification
    use_conditions: bool = True
    pretrained: bool = True  # fine-tune from the pretrained encoder (else: from scratch)
    pretrain_epochs: int = 30
    pretrain_batch_size: int = 256
    pretrain_learning_rate: float = 2e-3
    mask_fraction: float = 0.15  # share of positions corrupted during pretraining


@dataclass
class TutorialCNNConfig:
    """The primer tutorial's Keras CNN (models/tutorial_cnn.py), its sizes as defaults."""

    filters: int = 32
    kernel_size: int = 12
    pool_size: int = 4
    hidden: int = 16
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column


# Input groups of the tabular model (dlgenomics.training.tabular): what each adds is in
# config/README.md. The default reads them all but `kmer_counts` (a baseline, named).
GBM_DEFAULT_FEATURES = ("bases", "modifications", "conditions", "design", "site", "context")
GBM_FEATURE_GROUPS = (*GBM_DEFAULT_FEATURES, "kmer_counts")
MAX_KMER_SIZE = 6  # 4^6 = 4,096 counts per nucleotide column: more is no tabular model


@dataclass
class GBMConfig:
    """scikit-learn HistGradientBoostingRegressor/Classifier on tabular features."""

    features: list[str] = field(default_factory=lambda: list(GBM_DEFAULT_FEATURES))
    learning_rate: float = 0.05
    max_iter: int = 2000
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    # Share of the features each split may choose from (a different draw per split). Half
    # left the siRNA gbm tied on the gene folds (0.5369 against 0.5419): not the default.
    max_features: float = 1.0
    n_iter_no_change: int = 100  # early stopping on the validation fold, in boosting rounds
    kmer_size: int = 4  # `kmer_counts`: the length k of the k-mers counted

    def __post_init__(self) -> None:
        unknown = sorted(set(self.features) - set(GBM_FEATURE_GROUPS))
        if unknown:
            raise InputError(
                f"unknown feature group(s) {unknown} (known: {', '.join(GBM_FEATURE_GROUPS)})"
            )
        if not 1 <= self.kmer_size <= MAX_KMER_SIZE:
            raise InputError(f"kmer_size {self.kmer_size} is not between 1 and {MAX_KMER_SIZE}")


CONFIGS: dict[str, type] = {
    "mlp": MLPConfig,
    "cnn": CNNConfig,
    "bigru": BiGRUConfig,
    "lstm": LSTMConfig,
    "transformer": TransformerConfig,
    "gcn": GCNConfig,
    "autoencoder": AutoencoderConfig,
    "tutorial_cnn": TutorialCNNConfig,
    "gbm": GBMConfig,
}
# Trained by dlgenomics.training.tabular (rule train_tabular), not torch.
TABULAR = frozenset({"gbm"})
# The training settings gradient boosting reads (training/tabular.py): the parameters of its
# rule, so changing a network's (learning rate, epochs) leaves the boosted models alone.
TABULAR_SETTINGS = ("loss", "target_clip")


def make_config(name: str, params: dict[str, Any], where: str = "model") -> Any:
    """The `name` architecture's config from `params`; unknown keys are an InputError."""
    if name not in CONFIGS:
        raise InputError(f"{where}: unknown architecture {name!r} (known: {', '.join(CONFIGS)})")
    known = {f.name for f in dataclasses.fields(CONFIGS[name])}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"{where}: unknown hyperparameter(s) {unknown} (known: {', '.join(sorted(known))})"
        )
    try:
        return CONFIGS[name](**params)
    except InputError as error:
        raise InputError(f"{where}: {error}") from None


def needs_pretraining(name: str, params: dict[str, Any]) -> bool:
    """Whether this architecture, so configured, fine-tunes a pretrained encoder."""
    return bool(getattr(make_config(name, params, f"architectures.{name}"), "pretrained", False))
