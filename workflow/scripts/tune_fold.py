"""One fold's tuning result: the study's best values, what they scored, and its trials."""

from pathlib import Path

from dlgenomics.files import write_json
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.tuning import best_values


def main() -> None:
    scoring = Scoring.from_params(snakemake.params.scoring)
    best = best_values(
        Path(snakemake.input.journal),
        f"{snakemake.wildcards.arch}_fold{snakemake.wildcards.fold}",
        scoring.higher_is_better,
    )
    write_json(Path(snakemake.output.best), {**best, "metric": scoring.selection})


run_step(main, snakemake.log[0])
