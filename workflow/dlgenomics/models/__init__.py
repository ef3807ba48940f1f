"""The networks, one small module each; their hyperparameters (`architectures`, torch-free),
the registry that builds them by name (`registry`) and checkpoints (`checkpoint`)."""
