"""Kind `formula`: a smoke task of the classic tutorial assignment, generated from the task's
`generate` settings: y = sin(x1)·x2 + x3² + noise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics.tasks.base import TaskKind, TaskTables


def numeric_inputs(task: dict[str, Any], n_inputs: int) -> tuple[np.random.Generator, dict]:
    generate = task["generate"]
    rng = np.random.default_rng(generate["seed"])
    x = rng.uniform(-2.0, 2.0, size=(generate["rows"], n_inputs))
    return rng, {f"num_x{i + 1}": x[:, i].astype(np.float32) for i in range(n_inputs)}


def generated_tables(inputs: dict[str, np.ndarray], target: np.ndarray) -> TaskTables:
    """Generated inputs and target -> the labelled standard table, rows numbered from 1."""
    frame = pd.DataFrame(inputs).assign(target=target.astype(np.float32))
    frame.insert(0, "row_id", [str(i + 1) for i in range(len(frame))])
    return TaskTables(frames={"labelled": frame})


def load_formula(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    """y = sin(x1)·x2 + x3² + noise, x uniform on [-2, 2]."""
    rng, inputs = numeric_inputs(task, 3)
    x1, x2, x3 = inputs.values()
    y = np.sin(x1) * x2 + x3**2 + rng.normal(0.0, task["generate"]["noise"], len(x1))
    return generated_tables(inputs, y)


KIND = TaskKind(
    name="formula",
    has_sequences=False,
    objective="regression",
    required_files=(),
    load=load_formula,
    allow_n=False,
)
