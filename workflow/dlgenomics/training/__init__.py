"""Fitting models: the network training loop, losses, pretraining and the tabular model."""
