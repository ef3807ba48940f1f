"""What ran, where and with what: written beside every result."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dlgenomics.files import write_json
from dlgenomics.report.html import note, preformatted, table, write_page

PACKAGES = (
    "dlgenomics",
    "snakemake",
    "torch",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(directory: Path) -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def write_provenance(path: Path, **facts: Any) -> None:
    """`facts` (config, seeds, metrics, ...) plus package versions, git commit and device."""
    record = {
        **facts,
        "versions": package_versions(),
        "git_commit": git_commit(Path(__file__).parent),
        "device": device_name(),
        "host": platform.node(),
        # Set when the step ran as a cluster job: ties the result to `sacct -j <id>`.
        "slurm_job": os.environ.get("SLURM_JOB_ID"),
    }
    write_json(path, record, default=str)


def training_runs(run_paths: list[Path]) -> pd.DataFrame:
    """One row per trained model: where and with what it was trained."""
    rows = []
    for path in run_paths:
        run = json.loads(Path(path).read_text())
        result = run.get("result") or {}
        rows.append(
            {
                "architecture": run["arch"],
                "fold": run["fold"],
                "seed": run.get("seed"),
                "epochs": result.get("epochs_run"),
                "device": run["device"],
                "host": run["host"],
                "slurm_job": run.get("slurm_job") or "",
                "torch": run["versions"].get("torch", ""),
                "git_commit": run["git_commit"][:12],
            }
        )
    return pd.DataFrame(rows)


def data_tables(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The encode step's summary as report sections: rows used, rows dropped and why (never
    silently: a dropped row is either here or the run stopped), values read as unknown."""
    rows = pd.DataFrame(summary["rows"].items(), columns=["role", "rows"])
    dropped = pd.DataFrame(summary["dropped"].items(), columns=["reason", "rows dropped"])
    unknown = pd.DataFrame(
        [
            (role, column, what, count)
            for role, columns in summary["unknown"].items()
            for column, counts in columns.items()
            for what, count in counts.items()
        ],
        columns=["role", "column", "value", "rows"],
    )
    inputs = pd.DataFrame(summary.get("inputs", {}).items(), columns=["file", "sha256 as read"])
    return [
        ("Files read", table(inputs) if len(inputs) else note("Not recorded.")),
        ("Rows used", table(rows)),
        ("Rows dropped", table(dropped) if len(dropped) else note("None.")),
        ("Values read as the unknown token", table(unknown) if len(unknown) else note("None.")),
    ]


def task_settings(config: dict[str, Any], task: str) -> dict[str, Any]:
    """What one task ran with, out of the run's config: its entry, its dataset, the entries of
    the architectures it trains, and the run-wide training and ensemble settings."""
    entry = config["tasks"][task]
    own: dict[str, Any] = {"tasks": {task: entry}}
    if entry.get("dataset"):
        own["datasets"] = {entry["dataset"]: config["datasets"][entry["dataset"]]}
    architectures = config.get("architectures", {})
    own["architectures"] = {
        a: architectures[a] for a in entry["architectures"] if a in architectures
    }
    for key in ("training", "ensemble"):
        if key in config:
            own[key] = config[key]
    return own


def write_task_provenance(
    task: str,
    config: dict[str, Any],
    data_summary: Path,
    run_paths: list[Path],
    out_json: Path,
    out_html: Path,
) -> None:
    """The task's provenance, for code (JSON) and for the report (HTML): the rows its data
    gave (and lost), the config it ran with, this step's package versions and commit, and
    every model's device, host and seed."""
    runs = training_runs(run_paths)
    data = json.loads(data_summary.read_text())
    write_provenance(
        out_json, task=task, config=config, data=data, training=runs.to_dict("records")
    )
    record = json.loads(out_json.read_text())
    versions = pd.DataFrame(record["versions"].items(), columns=["package", "version"])
    write_page(
        out_html,
        f"{task}: provenance",
        [
            ("", note(f"git commit {record['git_commit']}; report step on {record['host']}.")),
            *data_tables(data),
            ("Trained models", table(runs)),
            ("Package versions", table(versions)),
            (
                "This task's configuration",
                note(
                    "The task's entry, its dataset, its architectures and the run-wide training "
                    "settings; the whole run's configuration is on the benchmarks page and in "
                    f"{out_json.name} (config)."
                )
                + preformatted(yaml.safe_dump(task_settings(config, task), sort_keys=False)),
            ),
        ],
    )
