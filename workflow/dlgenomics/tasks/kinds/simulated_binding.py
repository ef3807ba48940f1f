"""Kind `simulated_binding`: sequences with planted motifs from the `simulate` rule
(dlgenomics.data.simulate), one label per factor and one for their composite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.schema import LABEL
from dlgenomics.data.simulate import COMPOSITE
from dlgenomics.data.tables import first_row, read_csv
from dlgenomics.tasks.base import SIMULATED_FILE, TaskKind, TaskTables


def binding_labels(task: dict[str, Any]) -> list[str]:
    """Labels of a simulated binding task, in head order: each factor, then the composite."""
    return [*task["simulate"]["motifs"], COMPOSITE]


def load_simulated_binding(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    path = files[SIMULATED_FILE]
    labels = [LABEL + name for name in binding_labels(task)]
    raw = read_csv(path, ["row_id", "sequence", *labels], numeric=labels)
    for column in labels:
        bad = ~raw[column].isin([0, 1])
        if bad.any():
            row = first_row(bad)
            raise InputError(
                f"{path}: column {column}, row {row + 1}: {raw[column].iloc[row]} is not 0 or 1"
            )
    frame = pd.DataFrame({"row_id": raw["row_id"].astype(str), "seq_dna": raw["sequence"]})
    for column in labels:
        frame[column] = raw[column].astype(np.float32)
    return TaskTables(frames={"labelled": frame}, sources={"labelled": str(path)})


KIND = TaskKind(
    name="simulated_binding",
    objective="multilabel",
    required_files=(),
    load=load_simulated_binding,
    config_keys=("simulate",),
    metric_options=lambda task: {"labels": binding_labels(task)},
    allow_n=False,
    simulated=True,
    binding=True,
)
