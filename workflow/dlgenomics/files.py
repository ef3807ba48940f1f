"""Small file helpers shared by every step."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    A killed or failed step therefore never leaves a file that a later step could take for
    complete, and an existing file is only replaced by a whole new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_history(history: list[dict[str, Any]], path: Path) -> None:
    """Per-epoch (or per-round) rows as CSV, written atomically."""
    with atomic_path(path) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def _cells(values: np.ndarray) -> np.ndarray | list[np.ndarray]:
    """A column of predictions or targets: one value per row, or one array per row when a task
    has several labels (Parquet list cells; `column_values` reads them back)."""
    return list(values) if np.ndim(values) == 2 else values


def column_values(values: pd.Series) -> np.ndarray:
    """A predictions file's `prediction` or `target` column as (n,) or, for several labels per
    row, (n, K)."""
    if len(values) and isinstance(values.iloc[0], np.ndarray | list):
        return np.stack(values.to_numpy()).astype(np.float64)
    return values.to_numpy(dtype=np.float64)


def write_fold_predictions(
    path: Path, fold: int, **roles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """One fold model's predictions: role -> (row ids, predictions, targets), as Parquet."""
    frames = [
        pd.DataFrame(
            {
                "row_id": ids,
                "role": role,
                "fold": fold,
                "prediction": _cells(pred),
                "target": _cells(target),
            }
        )
        for role, (ids, pred, target) in roles.items()
    ]
    with atomic_path(path) as tmp:
        pd.concat(frames, ignore_index=True).to_parquet(tmp, index=False)
