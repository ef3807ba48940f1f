"""dlgenomics: train, compare and explain deep-learning models on genomic sequences.

Modules, in the order data flows through them:
  download   fetch and verify raw files (mirror first, sha256, atomic)
  tasks      turn a dataset's raw tables into one standard table per role
  tokens     nucleotide, k-mer and chemical-modification vocabularies
  encode     standard tables -> Parquet tensors + vocab.json (schema in `schema`)
  splits     validation folds
  models     architecture registry
  training   the training loop
  metrics    every metric, the competition's official score included
  evaluate   out-of-fold / held-out metrics, leaderboards, submissions
"""

__version__ = "0.1.0"


class InputError(ValueError):
    """Bad user input (config, table, sequence): the message names the file, row or column."""
