"""Small file helpers shared by every step."""

from __future__ import annotations

import contextlib
import csv
import json
import math
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
        # mkstemp creates the file 0600; results on a shared cluster folder must be readable
        # by the group as the user's umask allows, like any file they write.
        os.chmod(tmp_path, 0o666 & ~umask())
        os.replace(tmp_path, path)
    except OSError as error:
        if error.errno is not None and error.filename in (None, str(tmp_path)):
            # Name the file the user asked for, not its temporary twin.
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    finally:
        tmp_path.unlink(missing_ok=True)


def umask() -> int:
    """The process's umask (files and folders are opened up to what it allows)."""
    mask = os.umask(0)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity (Python or numpy) as None, numpy scalars and arrays
    as plain numbers and lists: JSON has no NaN, and `json.dumps` would write an invalid file."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | Path, value: Any, **dumps: Any) -> None:
    """Strict JSON, atomically: undefined numbers (NaN, a metric on one class, ...) as null."""
    text = json.dumps(json_safe(value), indent=1, allow_nan=False, **dumps)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")


def save_torch(value: Any, path: str | Path) -> None:
    """torch.save, atomically, serialised in memory first: torch names its zip records after
    the file it writes, so a temporary file's random name made identical runs' files differ;
    and a full disk then fails as an OSError naming the path, not torch's "iostream error"."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(value, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


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
