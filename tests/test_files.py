"""Files as users find them: strict JSON, readable by the group, byte-identical checkpoints,
and I/O failures reported as one line naming the path."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from dlgenomics.files import atomic_path, json_safe, write_json
from dlgenomics.models.checkpoint import save_checkpoint


def test_undefined_metrics_are_written_as_null(tmp_path):
    metrics = {"auroc": float("nan"), "spearman": np.float64("nan"), "mae": np.float32(1.5),
               "per_fold": [1.0, math.inf, np.nan], "counts": np.array([1, 2])}  # fmt: skip
    path = tmp_path / "metrics.json"
    write_json(path, metrics)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    read = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert read == {"auroc": None, "spearman": None, "mae": 1.5, "per_fold": [1.0, None, None],
                    "counts": [1, 2]}  # fmt: skip
    assert json_safe({"x": (np.int64(7),)}) == {"x": [7]}


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_users_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_path(tmp_path / "result.csv") as tmp:
            tmp.write_text("a\n")
    finally:
        os.umask(old)
    assert (tmp_path / "result.csv").stat().st_mode & 0o777 == mode


def test_checkpoints_of_identical_runs_are_byte_identical(tmp_path):
    network = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path / "a" / "model.pt", network, arch="x", fold=0)
    save_checkpoint(tmp_path / "b" / "model.pt", network, arch="x", fold=0)
    first, second = (tmp_path / d / "model.pt" for d in "ab")
    assert first.read_bytes() == second.read_bytes()
    assert torch.load(first, weights_only=True)["arch"] == "x"


@pytest.mark.parametrize(
    ("code", "words"),
    [("ENOSPC", "No space left on device"), ("EROFS", "Read-only file system"),
     ("EACCES", "Permission denied"), ("EDQUOT", "Disk quota exceeded")],
)  # fmt: skip
def test_an_io_error_is_one_line_naming_the_path(tmp_path, code, words):
    """A full disk, a read-only or forbidden folder (simulated: the write raises the error)
    ends the step with exit 1 and one `error:` line naming the file the step was writing,
    not a traceback. (tests/test_limits.py fills a real small file system.)"""
    log, target = tmp_path / "step.log", tmp_path / "out" / "model.pt"
    code = f"""
import errno
from pathlib import Path
from dlgenomics.files import atomic_path
from dlgenomics.steps import run_step

def step():
    with atomic_path(Path({str(target)!r})) as tmp:
        raise OSError(errno.{code}, {words!r}, str(tmp))

run_step(step, {str(log)!r})
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {target}: {words}"]
    assert not target.exists() and not list(target.parent.glob(".*.part"))
