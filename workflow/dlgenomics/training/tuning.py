"""Tuning an architecture's settings on one fold, honestly, with a trial budget (Optuna).

Each trial trains on the outer fold's training rows only: a seeded share of them is carved out
as the trial's validation rows, so neither the fold's out-of-fold rows nor the test rows are
ever seen while choosing. A trial reports its validation metric after every epoch and the
median pruner stops one that trails the trials before it. Trials of one study may run as
several processes (Snakemake jobs, on SLURM too) sharing one journal file, which works on a
shared file system. With one process, the same seed and a trial budget, the same parameters
come out again (TPE is seeded; CPU training is deterministic); a budget in minutes is not.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlgenomics import InputError
from dlgenomics.data.schema import FOLD
from dlgenomics.files import write_json
from dlgenomics.models.architectures import architecture

if TYPE_CHECKING:  # torch is imported by the jobs that train, not while a config is checked
    from dlgenomics.training.loop import FoldRun

log = logging.getLogger(__name__)

# A parameter's range: {low, high} (floats, `log: true` for a log scale; integers when both
# bounds are), or {choices: [...]}.
Space = dict[str, dict[str, Any]]

# What is searched when the config names no space for an architecture: the optimiser's step
# and regularisation, which every network has.
DEFAULT_SPACE: Space = {
    "learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
    "weight_decay": {"low": 1e-4, "high": 0.3, "log": True},
}


@dataclass(frozen=True)
class TuneSettings:
    trials: int | None = 20  # trials per fold, over all processes (None: `minutes` only)
    minutes: float | None = None  # wall minutes per process
    workers: int = 1  # processes sharing one fold's study
    seed: int = 0
    valid_fraction: float = 0.2  # of the fold's training rows, the trials' validation
    max_epochs: int | None = None  # per trial (None: the training settings')


def check_space(space: Space, model: str, training_keys: set[str], where: str) -> None:
    """Every searched name is a hyperparameter of `model` or a training setting (one of
    `training_keys`), with a range or choices."""
    known = {f.name for f in fields(architecture(model).config)} | training_keys
    for name, spec in space.items():
        if name not in known:
            raise InputError(
                f"{where}.{name}: not a hyperparameter of {model!r} or a training setting"
            )
        if "choices" not in spec and not {"low", "high"} <= set(spec):
            raise InputError(f"{where}.{name}: give `choices`, or `low` and `high`")
        if "choices" not in spec and not spec["low"] < spec["high"]:
            raise InputError(f"{where}.{name}: low {spec['low']} is not below high {spec['high']}")


def suggest(trial: Any, space: Space) -> dict[str, Any]:
    """One trial's values of every parameter of `space`."""
    values = {}
    for name, spec in space.items():
        if "choices" in spec:
            values[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif isinstance(spec["low"], int) and isinstance(spec["high"], int):
            values[name] = trial.suggest_int(
                name, spec["low"], spec["high"], log=spec.get("log", False)
            )
        else:
            low, high = float(spec["low"]), float(spec["high"])
            values[name] = trial.suggest_float(name, low, high, log=spec.get("log", False))
    return values


def split_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tuned values -> (training settings, architecture hyperparameters)."""
    from dlgenomics.training.loop import TrainSettings

    training = {f.name for f in fields(TrainSettings)}
    return (
        {k: v for k, v in values.items() if k in training},
        {k: v for k, v in values.items() if k not in training},
    )


def with_tuned(run: FoldRun, values: dict[str, Any]) -> FoldRun:
    """`run` with a study's best values over its training settings and hyperparameters."""
    settings, params = split_values(values)
    return replace(
        run, settings=replace(run.settings, **settings), model_params={**run.model_params, **params}
    )


def inner_split(columns: dict[str, np.ndarray], fold: int, fraction: float, seed: int):
    """The outer fold's training rows, as a table whose fold 0 is a seeded `fraction` of them
    (the trials' validation) and fold 1 the rest: the outer fold's own rows are left out."""
    keep = np.flatnonzero(columns[FOLD] != fold)
    if len(keep) < 2:
        raise InputError(f"fold {fold}: too few training rows to tune on ({len(keep)})")
    inner = {name: values[keep] for name, values in columns.items()}
    rng = np.random.default_rng(seed)
    valid = rng.permutation(len(keep))[: max(1, round(fraction * len(keep)))]
    inner[FOLD] = np.ones(len(keep), dtype=columns[FOLD].dtype)
    inner[FOLD][valid] = 0
    return inner


def trial_objective(base: FoldRun, space: Space, tune: TuneSettings):
    """Optuna's objective: train `base`'s architecture on its fold's inner split with one
    trial's values; its best validation selection metric."""
    import optuna

    from dlgenomics.training.loop import train_fold

    inner = inner_split(base.train_columns, base.fold, tune.valid_fraction, tune.seed)
    epochs = tune.max_epochs or base.settings.max_epochs

    def objective(trial: Any) -> float:
        settings, params = split_values(suggest(trial, space))
        settings = replace(base.settings, **settings, max_epochs=epochs, patience=epochs)

        def report(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            run = replace(
                base,
                train_columns=inner,
                fold=0,
                settings=settings,
                resume=None,
                model_params={**base.model_params, **params},
                progress=False,
                on_epoch=report,
                out_checkpoint=out / "model.pt",
                out_history=out / "history.csv",
                out_predictions=out / "predictions.parquet",
            )
            return float(train_fold(run)[base.scoring.selection])

    return objective


def start_journal(journal: Path, space: Space, tune: dict[str, Any]) -> None:
    """An empty journal for a fold's study (a rerun of the study starts afresh)."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("")
    log.info("study: %s, searching %s", json.dumps(tune), json.dumps(space))


def open_study(journal: Path, name: str, higher_is_better: bool, seed: int = 0) -> Any:
    """The fold's study in its journal file (made by the first process to open it)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        study_name=name,
        storage=JournalStorage(JournalFileBackend(str(journal))),
        load_if_exists=True,
        direction="maximize" if higher_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )


def run_trials(
    base: FoldRun, space: Space, tune: TuneSettings, journal: Path, out: Path, worker: int = 0
) -> None:
    """Process `worker`'s share of the fold's trials; `out` says what it ran. Each process
    seeds its sampler apart (seed + worker), so parallel ones do not try the same values."""
    name = f"{base.arch}_fold{base.fold}"
    study = open_study(journal, name, base.scoring.higher_is_better, tune.seed + worker)
    trials = None if tune.trials is None else -(-tune.trials // tune.workers)  # this share
    started = time.perf_counter()
    study.optimize(
        trial_objective(base, space, tune),
        n_trials=trials,
        timeout=None if tune.minutes is None else 60 * tune.minutes,
    )
    seconds = time.perf_counter() - started
    write_json(out, {"trials_in_study": len(study.trials), "seconds": seconds})
    log.info("%s fold %d: %d trials in the study", base.arch, base.fold, len(study.trials))


def best_values(journal: Path, name: str, higher_is_better: bool) -> dict[str, Any]:
    """The study's best trial: its values, metric and the trials counted by state."""
    study = open_study(journal, name, higher_is_better)  # read only: the sampler is unused
    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name.lower()] = states.get(trial.state.name.lower(), 0) + 1
    if not states.get("complete"):
        raise InputError(f"{journal}: no trial completed ({json.dumps(states)})")
    best = study.best_trial
    return {"values": best.params, "value": best.value, "trial": best.number, "trials": states}
