"""Kind `primer`: the "Primer on Deep Learning in Genomics" tutorial's data (sequences.txt,
labels.txt: 50-nt DNA, bound or not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import read_lines
from dlgenomics.tasks.base import TaskKind, TaskTables


def load_primer(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    sequences = read_lines(files["sequences.txt"])
    labels = read_lines(files["labels.txt"])
    if len(sequences) != len(labels):
        raise InputError(
            f"{files['labels.txt']}: {len(labels)} labels for {len(sequences)} sequences "
            f"in {files['sequences.txt']}"
        )
    bad = [i for i, label in enumerate(labels) if label not in ("0", "1")]
    if bad:
        raise InputError(
            f"{files['labels.txt']}: row {bad[0] + 1}: label {labels[bad[0]]!r} is not 0 or 1"
        )
    frame = pd.DataFrame(
        {
            "row_id": [str(i + 1) for i in range(len(sequences))],
            "seq_dna": sequences,
            "target": np.array(labels, dtype=np.float32),
        }
    )
    return TaskTables(frames={"labelled": frame}, sources={"labelled": str(files["sequences.txt"])})


KIND = TaskKind(
    name="primer",
    objective="binary",
    required_files=("sequences.txt", "labels.txt"),
    load=load_primer,
    # Near-separable data: AUROC and accuracy reach 1 early and then tie, so the early
    # stopping and ranking criterion is the cross-entropy (as Keras monitors val_loss).
    selection_metric="log_loss",
    allow_n=True,
    binding=True,
)
