"""The GPU check, one command on a machine with one CUDA GPU (issue 21): within a time budget
(default 10 minutes) it

1. trains every network of the default config two epochs, bf16 autocast, with
   `training.sync_debug` on: any host synchronisation inside a step loop stops that job with
   an error (sirna_gene on 4,000 rows, primer and motifs, two folds each);
2. measures the BiGRU's samples/s against the competition's published data path on the same
   GPU (`bench/bigru_throughput.py --device cuda`);
3. times the full default `sirna_gene` task (every architecture, five gene folds) for what is
   left of the budget;

and writes one results file, `<out>/gpu_check.json` (and `gpu_check.md` to read). Every run goes
through the real CLI in `<out>/work*`, data through the mirror. On a CPU `--device cpu` runs
the same steps (no bf16, no sync check) to test the script itself; step 3 is skipped with
`--skip-full`.

    python bench/gpu_check.py --data ../shared/data --out gpu_check [--budget 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHECK_TASKS = {"sirna_gene": {"max_rows": 4000}, "primer": {}, "motifs": {}}


def snakemake(workdir: Path, config: Path, targets: list[str], data: Path, limit: float) -> dict:
    """One Snakemake run of `targets`: return code, wall seconds and the tail of its output."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--cores", "all", "--resources", "gpu=1",
               "--configfile", str(config), "--replace-workflow-config"]  # fmt: skip
    env = {**os.environ, "DLGENOMICS_MIRROR": str(data.resolve())}
    started = time.perf_counter()
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=limit)
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as expired:
        code, output = "timeout", str(expired.stdout or "") + str(expired.stderr or "")
    return {"rc": code, "seconds": round(time.perf_counter() - started, 1), "tail": output[-3000:]}


def check_config(device: str, out: Path, tasks: list[str]) -> Path:
    """The default config's tasks in `tasks`, two folds and two epochs each, sync check on."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["tasks"] = {
        name: {**config["tasks"][name], **CHECK_TASKS[name],
               "split": {**config["tasks"][name]["split"], "folds": 2}}
        for name in tasks
    }  # fmt: skip
    if "motifs" in config["tasks"]:
        config["tasks"]["motifs"]["simulate"]["rows"] = 2000
    config["training"] = {"max_epochs": 2, "patience": 2, "device": device, "sync_debug": True}
    config["screen"], config["cross_evaluation"] = {}, {}
    path = out / "check.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def trained(workdir: Path) -> list[dict]:
    """Each training job's architecture, fold, seconds and peak memory (benchmark files)."""
    rows = []
    for tsv in sorted((workdir / "benchmarks" / "train").glob("*/*/fold*.tsv")):
        values = tsv.read_text().splitlines()[1].split("\t")
        rows.append({"task": tsv.parts[-3], "architecture": tsv.parts[-2], "fold": tsv.stem,
                     "seconds": float(values[0]), "max_rss_mb": float(values[2])})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("gpu_check"))
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds for all three")
    parser.add_argument("--tasks", nargs="+", default=list(CHECK_TASKS), choices=list(CHECK_TASKS))
    parser.add_argument("--skip-full", action="store_true", help="skip the full sirna_gene task")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = time.perf_counter() + args.budget
    report: dict = {"device": args.device, "budget_s": args.budget, "tasks": args.tasks}
    if args.device == "cuda":
        import torch

        report["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    config = check_config(args.device, args.out, args.tasks)
    targets = [f"results/{task}/leaderboard.md" for task in args.tasks]
    report["architectures"] = snakemake(
        args.out / "work_check", config, targets, args.data, deadline - time.perf_counter()
    )
    report["architectures"]["jobs"] = trained(args.out / "work_check")
    report["bigru"] = bigru(args, deadline)
    if not args.skip_full:
        full = REPO / "config" / "config.yaml"
        report["full_sirna_gene"] = snakemake(
            args.out / "work_full", full, ["results/sirna_gene/leaderboard.md"], args.data,
            max(1.0, deadline - time.perf_counter()),
        )  # fmt: skip
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    (args.out / "gpu_check.md").write_text(summary(report))
    print(summary(report))


def bigru(args: argparse.Namespace, deadline: float) -> dict:
    """bench/bigru_throughput.py on this device: its output (samples/s of both, the ratio)."""
    command = [sys.executable, str(REPO / "bench" / "bigru_throughput.py"), "--device",
               args.device, "--rows", "8192" if args.device == "cuda" else "256",
               "--data", str(args.data)]  # fmt: skip
    started = time.perf_counter()
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=max(1.0, min(180.0, deadline - started)))  # fmt: skip
        code, output = result.returncode, result.stdout + result.stderr[-1500:]
    except subprocess.TimeoutExpired:
        code, output = "timeout", ""
    ratios = [line for line in output.splitlines() if line.startswith("ratio")]
    return {"rc": code, "seconds": round(time.perf_counter() - started, 1), "ratios": ratios,
            "output": output[-3000:]}  # fmt: skip


def summary(report: dict) -> str:
    """The results file for people: one line per part, then each training job."""
    check = report["architectures"]
    lines = [f"# GPU check on {report.get('gpu') or report['device']}", "",
             f"- every network, 2 epochs, sync check: rc {check['rc']}, {check['seconds']} s, "
             f"{len(check['jobs'])} training jobs"]  # fmt: skip
    lines += [f"- BiGRU vs the published data path: {r}" for r in report["bigru"]["ratios"]]
    if "full_sirna_gene" in report:
        full = report["full_sirna_gene"]
        lines.append(f"- full default sirna_gene: rc {full['rc']}, {full['seconds']} s")
    lines += ["", "| task | architecture | fold | seconds | peak RSS MB |", "|---|---|---|---|---|"]
    lines += [f"| {j['task']} | {j['architecture']} | {j['fold']} | {j['seconds']:.1f} | "
              f"{j['max_rss_mb']:.0f} |" for j in check["jobs"]]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
