"""The report as a person reads it (issue 29, items 9 and 10): figures for each test file, a
leaderboard whose key columns fit a laptop screen, every metric defined, and the report seen
in a real browser (headless Chromium: no console errors, screenshots kept).

The browser tests skip where Chromium is missing; CI sets DLGENOMICS_REQUIRE_CHROMIUM=1, so
there they fail instead."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PUBLISHED_SIRNA_COLUMNS, REPO, snakemake

from dlgenomics.evaluation import evaluate
from dlgenomics.evaluation.evaluate import classification_figures, leaderboard_key
from dlgenomics.metrics import METRIC_FAMILIES, metric_columns, metric_notes
from dlgenomics.tasks.objectives import Scoring

DATA = REPO / "tests" / "data"
TRAIN, TEST_A, TEST_B = (f"published_sirna_{role}.csv" for role in ("train", "test_a", "test_b"))
SETS = ("published_sirna_test_a", "published_sirna_test_b")


def _load_screenshot_script():
    spec = importlib.util.spec_from_file_location(
        "screenshot_report", REPO / ".test" / "screenshot_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SCREENSHOT = _load_screenshot_script()


def browser() -> str:
    """Chromium, or a skip (a failure where CI requires it)."""
    found = SCREENSHOT.chromium()
    if found is None:
        if os.environ.get("DLGENOMICS_REQUIRE_CHROMIUM"):
            pytest.fail("DLGENOMICS_REQUIRE_CHROMIUM is set but chromium is not on PATH")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", data[16:20])[0]


# --- Column notes and the leaderboard's key columns --------------------------------------


def family_metrics(family: str) -> dict[str, float]:
    """Every metric a family's function returns on small made-up rows (labels named, so that
    per-label and per-class columns appear)."""
    rng = np.random.default_rng(0)
    n = 60
    if family in ("multilabel", "multiclass"):
        labels = ["gata1", "tal1", "composite"]
        if family == "multilabel":
            truth = rng.integers(0, 2, (n, 3))
            return METRIC_FAMILIES[family][0](truth, rng.random((n, 3)), labels=labels)
        probability = rng.dirichlet(np.ones(3), n)
        return METRIC_FAMILIES[family][0](rng.integers(0, 3, n), probability, labels=labels)
    if family == "binary":
        return METRIC_FAMILIES[family][0](rng.integers(0, 2, n), rng.random(n))
    truth = rng.uniform(0, 100, n)
    return METRIC_FAMILIES[family][0](truth, truth + rng.normal(0, 10, n))


@pytest.mark.parametrize("family", sorted(METRIC_FAMILIES))
def test_every_leaderboard_column_has_a_definition_not_its_name(family):
    """The notes used to say `auroc_gata1`: auroc_gata1. Each metric column a family puts on a
    leaderboard is defined in words, naming the label or class it is about."""
    columns = metric_columns(family, family_metrics(family))
    notes = metric_notes(family, columns, {"threshold": 30.0, "inclusive": True})
    assert len(notes) == len(columns)
    for column, note in zip(columns, notes, strict=True):
        definition = note.removeprefix(f"`{column}`: ")
        assert not definition.startswith(column), note
        assert re.search(r"; (higher|lower) is better$", note), note
        for label in ("gata1", "tal1", "composite"):  # one label's or class's own column
            if column.endswith(f"_{label}"):
                assert f"{'label' if family == 'multilabel' else 'class'} {label}" in note
    if family == "sirna_table":  # which rows its AUROC calls positive
        assert "positive: effective, ≤ 30% mRNA remaining" in "\n".join(notes)


def test_leaderboard_key_columns_hold_the_interval_vs_best_and_each_test_file():
    board = pd.DataFrame(
        {
            "architecture": ["gbm", "mlp"],
            "oof_spearman": [0.856, 0.62334], "oof_spearman_ci_low": [0.83, 0.6],
            "oof_spearman_ci_high": [0.87, 0.7], "vs_best": ["best", "worse"],
            "oof_mae": [9.5, 15.0], "test_spearman": [0.85, 0.7], "test_leak": [0.5, 0.5],
            "test[a]_spearman": [0.8063, np.nan], "test[a]_leak": [0.964, 0.964],
            "test[b]_spearman": [0.875, 0.81], "test[b]_leak": [0.028, 0.028],
        }
    )  # fmt: skip
    key = leaderboard_key(board, "spearman")
    assert list(key.columns) == [
        "architecture", "oof spearman [95% interval]", "vs_best", "test[a] spearman",
        "test[b] spearman",
    ]  # fmt: skip
    assert key.iloc[1].tolist() == [
        "mlp", "0.6233 [0.6000, 0.7000]", "worse", "n/a, leak 96.4%", "0.8100, leak 2.8%",
    ]  # fmt: skip
    # Without test files: the held-out rows' figure.
    plain = leaderboard_key(board.drop(columns=[c for c in board if c.startswith("test[")]),
                            "spearman")  # fmt: skip
    assert list(plain.columns)[-1] == "test spearman"


def test_roc_titles_say_which_threshold_a_regression_uses(tmp_path, monkeypatch):
    """A regression's AUROC counts rows below a threshold as positive: its ROC and
    precision-recall figures say which, out of fold and for each test file."""
    rng = np.random.default_rng(1)
    rows = []
    for role, fold, prefix in (("oof", 0, "r"), ("test", -1, "a:"), ("test", -1, "b:")):
        target = rng.uniform(0, 100, 40)
        for i, value in enumerate(target):
            rows.append((f"{prefix}{i}", role, fold, value + rng.normal(0, 10), value))
    predictions = pd.DataFrame(rows, columns=["row_id", "role", "fold", "prediction", "target"])
    predictions.to_parquet(tmp_path / "mlp.parquet")
    pd.DataFrame({"architecture": ["mlp"]}).to_csv(tmp_path / "leaderboard.csv", index=False)
    titles = []
    monkeypatch.setattr(evaluate.plots, "roc_curves", lambda *a: titles.append(a[3]))
    monkeypatch.setattr(evaluate.plots, "pr_curves", lambda *a: titles.append(a[3]))
    scoring = Scoring(
        "regression", "sirna_table", "spearman", {"threshold": 30.0, "inclusive": True}
    )
    out = {name: tmp_path / name for name in ("roc", "pr", "confusion", "test_roc", "test_pr")}
    test_sets = {"a": [f"a:{i}" for i in range(40)], "b": [f"b:{i}" for i in range(40)]}
    classification_figures(scoring, ["mlp"], [tmp_path / "mlp.parquet"],
                           tmp_path / "leaderboard.csv", "t", out, test_sets)  # fmt: skip
    assert len(titles) == 6  # ROC and precision-recall: out of fold, a, b
    for title, rows_drawn in zip(titles[::2], ("out of fold", "test: a", "test: b"), strict=True):
        assert title == f"t ({rows_drawn}): ROC\neffective (≤ 30% mRNA remaining) vs the rest"


# --- Through the real CLI: figures per test file, the report in a browser -----------------


@pytest.fixture(scope="module")
def published_run(tmp_path_factory, mirror) -> Path:
    """A siRNA table with two test files, one quick network, to its figures (about a minute)."""
    workdir = tmp_path_factory.mktemp("report_run")
    files = {name: {"sources": [str(DATA / name)]} for name in (TRAIN, TEST_A, TEST_B)}
    config = {
        "datasets": {"published": {"files": files}},
        "tasks": {
            "published": {
                "kind": "sirna_table", "dataset": "published",
                "table": {"file": TRAIN, "test_files": [TEST_A, TEST_B], **PUBLISHED_SIRNA_COLUMNS},
                "split": {"method": "gene", "folds": 2}, "architectures": ["mlp"],
            },
        },
        "architectures": {"mlp": {"hidden": [16]}},
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    targets = ["results/published/figures/roc.png"]
    common = ["--configfile", str(workdir / "config.yaml"), "--replace-workflow-config", *targets]
    result = snakemake("--cores", "2", *common, workdir=workdir, mirror=mirror)
    assert result.returncode == 0, result.stderr[-3000:]
    result = snakemake("--report", "report.html", *common, workdir=workdir, mirror=mirror)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_each_test_file_has_its_roc_precision_recall_and_prediction_figures(published_run):
    root = published_run / "results/published"
    for folder in ("figures/test_roc", "figures/test_pr", "evaluation/mlp/test"):
        drawn = sorted(p.name for p in (root / folder).glob("*.png"))
        assert drawn == [f"{name}.png" for name in SETS], folder
    # ... and the report lists each, named by its test file.
    page = (published_run / "report.html").read_text()
    results = json.loads(re.search(r"var results = (\{.*?\});\n", page, re.S).group(1))
    figures = {entry["labels"]["figure"] for entry in results.values()}
    for name in SETS:
        assert {f"ROC curves, test: {name}", f"precision-recall curves, test: {name}",
                f"predictions: mlp, test: {name}"} <= figures  # fmt: skip
    notes = (root / "leaderboard.md").read_text()
    assert "`auroc`: area under the ROC curve" in notes and "≤ 30% mRNA remaining" in notes


def test_the_report_in_a_browser_has_no_console_errors_and_a_leaderboard_that_fits(
    published_run, tmp_path
):
    shots = tmp_path / "screenshots"
    result = run_screenshot_script(published_run / "report.html", shots, browser())
    assert result.returncode == 0, result.stderr
    for name in SCREENSHOT.SCREENSHOTS:
        assert png_width(shots / name) == SCREENSHOT.WIDTH, name


def run_screenshot_script(report: Path, out: Path, chromium: str):
    """.test/screenshot_report.py as CI runs it."""
    env = {**os.environ, "DLGENOMICS_CHROMIUM": chromium}
    return subprocess.run(
        [sys.executable, str(REPO / ".test" / "screenshot_report.py"), str(report), str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


# --- The browser check itself catches what it is for ----------------------------------------


def one_pixel_png() -> str:
    """A valid 1 x 1 PNG, base64."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 8-bit greyscale
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0"))
    return base64.b64encode(png + chunk(b"IEND", b"")).decode()


def fake_report(path: Path, leaderboard: str, script: str = "") -> Path:
    """A page shaped as Snakemake's report app (`results`, `categories`, `app.setView`), showing
    `leaderboard` as its one leaderboard and a 1-px figure; `script` runs on load."""
    board = base64.b64encode(leaderboard.encode()).decode()
    results = {
        "results/t/leaderboard.html": {"mime_type": "text/html", "name": "leaderboard.html",
                                       "labels": {"figure": "leaderboard"},
                                       "data_uri": f"data:text/html;base64,{board}"},
        "results/t/figures/roc.png": {"mime_type": "image/png", "name": "roc.png",
                                      "labels": {"figure": "ROC curves"},
                                      "data_uri": f"data:image/png;base64,{one_pixel_png()}"},
    }  # fmt: skip
    categories = {"t": {"leaderboard": ["results/t/leaderboard.html"],
                        "curves": ["results/t/figures/roc.png"]}}  # fmt: skip
    path.write_text(f"""<!DOCTYPE html><html><body style="margin:0;display:flex">
<nav style="width:320px">menu</nav><main id="content" style="flex-grow:1"></main>
<script>
var results = {json.dumps(results)}; var categories = {json.dumps(categories)};
var app = {{setView: function (view) {{
  if (!view.content) return;
  var main = document.getElementById("content");
  main.innerHTML = view.content === "html"
    ? '<iframe style="border:0;width:100%;height:100vh"></iframe>' : '<img>';
  main.firstChild.src = view.contentPath; }} }};
{script}
</script></body></html>""")
    return path


KEY = "<table class='key'><tr><td>{}</td></tr></table>"


def test_the_browser_check_reports_console_errors_and_wide_key_columns(tmp_path):
    chromium = browser()
    narrow = fake_report(tmp_path / "good.html", KEY.format("mlp 0.5"))
    result = run_screenshot_script(narrow, tmp_path / "good", chromium)
    assert result.returncode == 0, result.stderr
    broken = fake_report(tmp_path / "bad.html", KEY.format("x" * 400),
                         script="console.error('the report broke');")  # fmt: skip
    result = run_screenshot_script(broken, tmp_path / "bad", chromium)
    assert result.returncode == 1
    assert "console.error: the report broke" in result.stderr
    assert "key columns reach" in result.stderr and "scrolls sideways" in result.stderr
    # A leaderboard without key columns (as every leaderboard was) is named too.
    old = fake_report(tmp_path / "old.html", "<table><tr><td>mlp</td></tr></table>")
    result = run_screenshot_script(old, tmp_path / "old", chromium)
    assert result.returncode == 1 and "no key table" in result.stderr
