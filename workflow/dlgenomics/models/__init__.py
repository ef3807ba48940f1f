"""The networks and gradient boosting, one module each (its hyperparameters, its model and
its `ARCHITECTURE`); the registry that names them (`architectures`) and checkpoints
(`checkpoint`)."""
