"""Kind `xor`: the tutorial assignment's other smoke task, a label no linear model separates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.kinds.formula import generated_tables, numeric_inputs


def load_xor(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    """Label = (x1 > 0) XOR (x2 > 0): no linear model separates it; one hidden layer does.
    Labels are flipped with probability `noise`."""
    rng, inputs = numeric_inputs(task, 2)
    x1, x2 = inputs.values()
    label = (x1 > 0) ^ (x2 > 0)
    label ^= rng.random(len(label)) < task["generate"]["noise"]
    return generated_tables(inputs, label)


KIND = TaskKind(
    name="xor",
    has_sequences=False,
    objective="binary",
    required_files=(),
    load=load_xor,
    selection_metric="accuracy",
    allow_n=False,
)
