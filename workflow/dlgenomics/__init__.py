"""dlgenomics: train, compare and explain deep-learning models on genomic sequences.

Subpackages, in the order data flows through the workflow (DEVELOPERS.md has every module):
  data            download, read, encode to Parquet tensors, split into folds
  tasks           task kinds (raw files -> standard tables) and objectives (what is predicted)
  models          the networks, their hyperparameters, the registry, checkpoints
  training        the training loop, losses, pretraining, gradient boosting
  evaluation      metrics, leaderboards, ensembles, submissions, scoring new rows
  interpretation  attributions and motifs
  design          sequence design with a GAN
  sirna           siRNA design rules, thermodynamics, target sites, features, screening
  report          figures, HTML pages, provenance
"""

__version__ = "0.1.0"


class InputError(ValueError):
    """Bad user input (config, table, sequence): the message names the file, row or column."""
