"""Export a task's chosen network to a folder that predicts with torch alone."""

import json
import logging
from pathlib import Path

import pandas as pd

from dlgenomics.evaluation.evaluate import ranked_candidates
from dlgenomics.models.export import data_facts, export_best_network
from dlgenomics.report.provenance import git_commit, package_versions
from dlgenomics.steps import run_step


def main() -> None:
    task = snakemake.wildcards.task
    summary = json.loads(Path(snakemake.input.summary).read_text())
    facts = {
        "task": task,
        "config": snakemake.params.task,
        **data_facts(summary, snakemake.params.task),
        "commit": git_commit(Path(__file__).parent),
        "versions": package_versions(),
        "metrics_source": "the task's leaderboard: out of fold, and the held-out test rows",
    }
    leaderboard = Path(snakemake.input.leaderboard)
    candidates = ranked_candidates(leaderboard, snakemake.params.networks, snakemake.input.models)
    board = pd.read_csv(leaderboard).set_index("architecture")
    arch = export_best_network(candidates, Path(snakemake.output.folder), facts, board)
    logging.info("%s: exported %s to %s", task, arch, snakemake.output.folder)


run_step(main, snakemake.log[0])
