"""Raw inputs to Parquet tensors: downloads, readers, sequence helpers, vocabularies,
encoding, folds."""
