# Config validation and the glue between the rules and dlgenomics.plan (result paths and what
# each step reads): the only Python the rules need.
import os
import sys
from pathlib import Path

from dlgenomics import InputError, plan
from dlgenomics.config import (
    ensemble_members_of,
    model_name,
    model_settings,
    validate_config,
)
from dlgenomics.data.download import MIRROR_ENV_VAR, DownloadError, check_verified
from dlgenomics.metrics import TRACK_FIGURE_METRICS, classifies
from dlgenomics.models.architectures import is_tabular, needs_pretraining
from dlgenomics.plan import (
    BENCHMARK_DIR,
    CROSS_DIR,
    ENCODED,
    ENSEMBLE_DIR,
    EVAL_DIR,
    EXPORT_DIR,
    FEATURES,
    FIGURES_DIR,
    GENERATED_DIR,
    INTERPRET_DIR,
    LEADERBOARD,
    MODEL_DIR,
    PREDICT_DIR,
    PRETRAIN_DIR,
    RAW_DIR,
    SCREEN_DIR,
    SIMULATED_DIR,
    TASK_DIR,
    TUNE_DIR,
    VARIANTS_DIR,
)
from dlgenomics.steps import check_log_folders
from dlgenomics.tasks.base import SIMULATED_FILE
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from snakemake.exceptions import WorkflowError

try:
    CONFIG_SOURCE = " + ".join(map(str, workflow.configfiles)) or "config"
    validate_config(config, CONFIG_SOURCE)
    # Before Snakemake plans anything: a changed checksum must not delete a verified file.
    check_verified(plan.pinned_files(config, CONFIG_SOURCE))
    # Before any job: a log folder no job can write to ends in Snakemake's own traceback.
    check_log_folders()
except (InputError, DownloadError) as error:
    # First, the line naming the user's file and key; Snakemake's own report follows it.
    print(f"error: {error}", file=sys.stderr)
    raise WorkflowError(str(error)) from None

# A relative DLGENOMICS_MIRROR names a folder from where the command was typed, with or without
# --directory: made absolute before any job (which runs in the working directory) reads it.
if os.environ.get(MIRROR_ENV_VAR):
    os.environ[MIRROR_ENV_VAR] = str(
        Path(os.environ.get("PWD", os.getcwd()))
        / Path(os.environ[MIRROR_ENV_VAR]).expanduser()
    )

TASKS = list(config["tasks"])


def _name_pattern(names):
    """A wildcard regex matching exactly these names (never matching when there are none)."""
    return "|".join(sorted(names)) or "(?!x)x"


_ARCH_NAMES = set(config["architectures"]).union(
    *(task["architectures"] for task in config["tasks"].values())
)
# Tabular architectures are trained by train_tabular, networks by train.
TABULAR_PATTERN = _name_pattern(
    a for a in _ARCH_NAMES if is_tabular(model_name(config, a))
)
NETWORK_PATTERN = _name_pattern(
    a for a in _ARCH_NAMES if not is_tabular(model_name(config, a))
)


wildcard_constraints:
    task="|".join(TASKS),
    dataset="[^/]+",
    file="[^/]+",
    arch="[A-Za-z0-9_]+",
    fold=r"\d+",
    pair="[A-Za-z][A-Za-z0-9_]*",
    screen="[A-Za-z][A-Za-z0-9_]*",
    job="[A-Za-z][A-Za-z0-9_]*",


def planned(function, *args):
    """An input function or parameter of a rule: `function(config, wildcards, *args)` of
    dlgenomics.plan."""
    return lambda wildcards: function(config, wildcards, *args)


# --- What `all` asks for: every rule's outputs, so a plain rerun makes any that is missing ----


def outputs_of(rule, **wildcards):
    """Every output of a rule (`rules.<name>`) with these wildcards filled in."""
    return expand(list(rule.output), **wildcards)


def trained_outputs(task, arch):
    """Every file training `arch` on `task` makes: its pretraining, its fold models, their
    histories, predictions and run records, and its evaluation."""
    model_rule = (
        rules.train_tabular if is_tabular(model_name(config, arch)) else rules.train
    )
    outputs = outputs_of(
        model_rule, task=task, arch=arch, fold=range(plan.fold_count(config, task))
    )
    if needs_pretraining(model_name(config, arch), model_settings(config, task, arch)):
        outputs += outputs_of(rules.pretrain, task=task, arch=arch)
    return outputs + outputs_of(rules.evaluate, task=task, arch=arch)


def task_outputs(task):
    """Every file the run makes for a task (all but its downloads): `all` asks for each, so a
    plain rerun makes again any that is missing, however far down the DAG."""
    settings = config["tasks"][task]
    kind = TASK_KINDS[settings["kind"]]
    outputs = outputs_of(rules.encode, task=task)
    if kind.simulated:
        outputs += outputs_of(rules.simulate, task=task)
    if plan.has_features(config, task):
        outputs += outputs_of(rules.features, task=task)
    for arch in settings["architectures"]:
        outputs += trained_outputs(task, arch)
    if ensemble_members_of(settings):
        outputs += outputs_of(rules.ensemble, task=task)
    for step in (rules.leaderboard, rules.submission, rules.provenance):
        outputs += outputs_of(step, task=task)
    if classifies(scoring(settings).family):
        outputs += outputs_of(rules.classification_figures, task=task)
    if scoring(settings).family in TRACK_FIGURE_METRICS:
        outputs += outputs_of(rules.track_figures, task=task)
    if kind.has_sequences and plan.networks_of(config, task):
        outputs += outputs_of(rules.interpret, task=task)
        outputs += outputs_of(rules.export, task=task)
    if "design" in settings:
        outputs += outputs_of(rules.train_gan, task=task)
        outputs += outputs_of(rules.generate, task=task)
    return outputs


def analysis_outputs(wildcards=None):
    """Everything a run makes except the benchmark summary, which reads what these cost.
    An input function (of no wildcards): the rules it names are all defined by then."""
    outputs = [path for task in TASKS for path in task_outputs(task)]
    for pair in config["cross_evaluation"]:
        outputs += outputs_of(rules.cross_evaluate, pair=pair)
    for screen in config["screen"]:
        outputs += outputs_of(rules.screen_transcript, screen=screen)
    return outputs


def all_outputs(wildcards=None):
    """What `all` asks for: every file the run makes but its downloads (fetched again when
    a step needs them), so a plain `snakemake` makes again any that is missing."""
    return analysis_outputs() + outputs_of(rules.benchmarks)
