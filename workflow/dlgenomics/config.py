"""Load the run configuration, validate it against the JSON Schema and fill in its defaults."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dlgenomics import InputError
from dlgenomics.data.download import dataset_file
from dlgenomics.evaluation.ensemble import ENSEMBLE
from dlgenomics.evaluation.predict import BEST
from dlgenomics.metrics import SIRNA_FAMILIES
from dlgenomics.models.architectures import ARCHITECTURES, is_tabular, make_config
from dlgenomics.tasks.kinds import TASK_KINDS, metric_options, objective_of, scoring
from dlgenomics.tasks.objectives import OBJECTIVES, SINGLE_HEAD, check_selection_metric
from dlgenomics.training.tuning import DEFAULT_SPACE, check_space

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def _with_defaults(validator_class: type) -> type:
    """A validator that writes each property's `default` into the instance before checking it."""
    check_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = deepcopy(subschema["default"])
                elif name in instance:
                    instance[name] = _as_number(instance[name], subschema.get("type", ()))
        yield from check_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _as_number(value: Any, types: str | list[str]) -> Any:
    """A number written in scientific notation without a dot (`1e-3`), which YAML 1.1 (and so
    Snakemake's config loader) reads as a string, as the number it means where one is due."""
    types = [types] if isinstance(types, str) else list(types)
    if not isinstance(value, str) or "string" in types or not {"number", "integer"} & set(types):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    if "number" not in types:
        return int(number) if number.is_integer() else value
    return number


def _key_path(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def load_schema() -> dict[str, Any]:
    """The config schema, the names of kinds and objectives filled in from their registries
    (their one owner, so a registered kind is a valid `kind`)."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    task = schema["properties"]["tasks"]["additionalProperties"]["properties"]
    task["kind"]["enum"] = list(TASK_KINDS)
    task["objective"]["enum"] = list(OBJECTIVES)
    return schema


def validate_config(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Validate `config` in place (defaults filled in) and return it.

    Raises InputError with one line naming the offending key, e.g.
    `config/config.yaml: tasks.primer.split.folds: 'five' is not of type 'integer'`.
    """
    schema = load_schema()
    errors = sorted(_Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        message = error.message
        if "propertyNames" in error.absolute_schema_path:
            # A name that becomes a folder or file of results: `../x` or `/x` would leave them.
            message = (
                f"the name {error.instance!r} does not match {error.validator_value!r} "
                "(it is used in file paths)"
            )
        raise InputError(f"{source}: {_key_path(error.absolute_path)}: {message}")
    # Every key `training` may hold; task and architecture overrides may hold no other.
    training_keys = set(schema["properties"]["training"]["properties"])
    _check_cross_references(config, source, training_keys)
    _check_cross_dataset_and_screens(config, source)
    return config


# Keys of an `architectures` entry that are not model hyperparameters.
VARIANT_KEYS = ("model", "multitask", "training")


def _check_cross_references(config: dict[str, Any], source: str, training_keys: set[str]) -> None:
    """What JSON Schema cannot say: names that must refer to other entries."""

    def check_arch(name: str, where: str) -> None:
        if name == ENSEMBLE:
            raise InputError(
                f"{where}: {ENSEMBLE!r} names the task's ensemble, not an architecture"
            )
        model = model_name(config, name)
        if model not in ARCHITECTURES:
            known = sorted(set(ARCHITECTURES) | set(config["architectures"]))
            raise InputError(f"{where}: unknown architecture {model!r} (known: {', '.join(known)})")

    for name in config["architectures"]:
        check_arch(name, f"{source}: architectures.{name}")
        for key in set(config["architectures"][name].get("training", {})) - training_keys:
            raise InputError(f"{source}: architectures.{name}.training.{key}: unknown training key")
        make_config(
            model_name(config, name),
            _hyperparameters(config["architectures"][name]),
            f"{source}: architectures.{name}",
        )
    for task_name, task in config["tasks"].items():
        where = f"{source}: tasks.{task_name}"
        _check_task_data(config, task, where)
        _check_tuning(config, task, training_keys, where)
        for arch in task["architectures"]:
            check_arch(arch, f"{where}.architectures")
            _check_task_architecture(config, task_name, arch, where)
        for key in set(task["training"]) - training_keys:
            raise InputError(f"{where}.training.{key}: unknown training key")
        for arch in task["model_params"]:
            check_arch(arch, f"{where}.model_params.{arch}")
            own_training = task["model_params"][arch].get("training", {})
            for key in set(own_training) - training_keys:
                raise InputError(
                    f"{where}.model_params.{arch}.training.{key}: unknown training key"
                )
            make_config(
                model_name(config, arch),
                model_settings(config, task_name, arch),
                f"{where}.model_params.{arch}",
            )


def _check_task_data(config: dict[str, Any], task: dict[str, Any], where: str) -> None:
    """A task's kind, files, objective, selection metric, ensemble and design settings."""

    kind = TASK_KINDS[task["kind"]]
    # Before kind.files: the kind's checks settle the files it reads (tracks, a table).
    if kind.check_config is not None:
        kind.check_config(config, task, where)
    for key in sorted(set(task) - set(kind.config_keys)):
        owners = [other.name for other in TASK_KINDS.values() if key in other.config_keys]
        if owners:
            named = " or ".join(repr(name) for name in owners)
            raise InputError(f"{where}.{key}: only kind {named} reads `{key}`")
    _check_files(config, task, kind, where)
    if task.get("selection_metric"):
        check_selection_metric(
            scoring(task).family, task["selection_metric"], f"{where}.selection_metric"
        )
    if not objective_of_task(task).ensembles and isinstance(task.get("ensemble"), (list, Mapping)):
        raise InputError(
            f"{where}.ensemble: a multi-label task has no ensemble; leave `ensemble` out"
        )
    if kind.simulated and "simulate" not in task:
        raise InputError(f"{where}.simulate: kind {kind.name!r} needs a `simulate` mapping")
    if "design" in task:
        check_design(config, task, kind, where)
    for arch in set(ensemble_members_of(task)) - set(task["architectures"]):
        raise InputError(f"{where}.ensemble: {arch!r} is not one of the task's architectures")


def _check_files(config: dict[str, Any], task: dict[str, Any], kind: Any, where: str) -> None:
    """The dataset a task reads holds every file its kind (or its input mapping) names."""
    if not kind.files(task):
        return
    if "dataset" not in task:
        raise InputError(f"{where}: kind {task['kind']!r} needs a `dataset`")
    if task["dataset"] not in config["datasets"]:
        raise InputError(f"{where}.dataset: no dataset named {task['dataset']!r}")
    missing = {
        reference
        for reference in kind.files(task)
        for owner, name in [dataset_file(reference, task["dataset"])]
        if name not in config.get("datasets", {}).get(owner, {}).get("files", {})
    }
    if missing:
        raise InputError(
            f"{where}.dataset: kind {task['kind']!r} needs file(s) {sorted(missing)} "
            f"in datasets.{task['dataset']}.files"
        )


def _check_task_architecture(config: dict[str, Any], task_name: str, arch: str, where: str) -> None:
    """An architecture fits the task: its loss, its outputs, its auxiliary head."""

    task = config["tasks"][task_name]
    kind, task_scoring = TASK_KINDS[task["kind"]], scoring(task)
    objective = task_scoring.objective
    loss = training_settings(config, task_name, arch)["loss"]
    if loss != "mse" and not objective.custom_losses:
        raise InputError(f"{where}: {arch} sets loss {loss!r} on a {objective.name} task")
    if loss == "threshold_weighted" and task_scoring.family not in SIRNA_FAMILIES:
        raise InputError(
            f"{where}: {arch}: loss 'threshold_weighted' needs an siRNA task "
            "(it weights rows by the efficacy threshold)"
        )
    if is_multitask(config, arch) and not kind.auxiliary_label:
        raise InputError(
            f"{where}.architectures: {arch} is multitask but kind {kind.name!r} has no "
            "auxiliary head"
        )


def _check_tuning(
    config: dict[str, Any], task: dict[str, Any], training_keys: set[str], where: str
) -> None:
    """A task's `tune`: networks of the task, each with a search space that fits it."""
    for arch in task.get("tune", {}).get("architectures", []):
        if arch not in task["architectures"]:
            raise InputError(f"{where}.tune.architectures: {arch!r} is not one of the task's")
        if is_tabular(model_name(config, arch)):
            raise InputError(f"{where}.tune.architectures: {arch!r} is no network to tune")
        space, model = search_space(config, arch), model_name(config, arch)
        check_space(space, model, training_keys, f"{where}: search_spaces.{arch}")


def search_space(config: dict[str, Any], arch: str) -> dict[str, dict[str, Any]]:
    """What tuning `arch` searches: its `search_spaces` entry, else the default space."""
    return config.get("search_spaces", {}).get(arch) or DEFAULT_SPACE


def objective_of_task(task: Mapping[str, Any]) -> Any:

    return objective_of(dict(task))


def _check_cross_dataset_and_screens(config: dict[str, Any], source: str) -> None:

    def sirna_task(name: str, where: str) -> None:
        if name not in config["tasks"]:
            raise InputError(f"{where}: no task named {name!r}")
        if not TASK_KINDS[config["tasks"][name]["kind"]].sirna_features:
            raise InputError(f"{where}: task {name!r} is not an siRNA task")

    for name, pair in config["cross_evaluation"].items():
        where = f"{source}: cross_evaluation.{name}"
        sirna_task(pair["train"], f"{where}.train")
        sirna_task(pair["evaluate"], f"{where}.evaluate")
        if pair["train"] == pair["evaluate"]:
            raise InputError(f"{where}: train and evaluate are the same task")
        trained = config["tasks"][pair["train"]]["architectures"]
        for arch in set(pair.get("architectures") or []) - set(trained):
            raise InputError(f"{where}.architectures: {arch!r} is not trained on {pair['train']}")
    for name, screen in config["screen"].items():
        where = f"{source}: screen.{name}"
        sirna_task(screen["task"], f"{where}.task")
        if len(ensemble_members_of(config["tasks"][screen["task"]])) < 2:
            raise InputError(f"{where}.task: {screen['task']!r} has no ensemble to score with")
        sources = [k for k in ("gene", "fasta") if screen["transcript"].get(k)]
        if len(sources) != 1:
            raise InputError(f"{where}.transcript: give exactly one of gene or fasta")
    _check_predictions(config, source)


def _check_predictions(config: dict[str, Any], source: str) -> None:
    """`predict` jobs name a trained task and a model it has; their input is read like a
    `sequences` task's (labels are not read)."""

    for name, job in config.get("predict", {}).items():
        where = f"{source}: predict.{name}"
        if job["task"] not in config["tasks"]:
            raise InputError(f"{where}.task: no task named {job['task']!r} is trained")
        task = config["tasks"][job["task"]]
        choices = {BEST, *task["architectures"]}
        if len(ensemble_members_of(task)) >= 2:
            choices.add(ENSEMBLE)
        if job["model"] not in choices:
            known = ", ".join(sorted(choices))
            raise InputError(f"{where}.model: {job['model']!r} is not one of {known}")
        if job["input"]["format"] == "bed" and not (
            job["input"].get("genome") and job["input"].get("length")
        ):
            raise InputError(f"{where}.input: a bed input needs `genome` and `length`")
        if not job["input"].get("file"):
            raise InputError(f"{where}.input.file: the file of sequences to predict is missing")
        for key in ("file", "genome"):
            _check_exists(job["input"].get(key), f"{where}.input.{key}")
    for name, job in config.get("variants", {}).items():
        _check_variant_job(config, job, f"{source}: variants.{name}")


def _check_variant_job(config: dict[str, Any], job: dict[str, Any], where: str) -> None:
    """A `variants` job: a trained task, one of its architectures (or `best`), and either a
    VCF with its genome or a table whose sequences come from one column or a FASTA."""
    if job["task"] not in config["tasks"]:
        raise InputError(f"{where}.task: no task named {job['task']!r} is trained")
    if job["model"] not in {"best", *config["tasks"][job["task"]]["architectures"]}:
        raise InputError(
            f"{where}.model: {job['model']!r} is not `best` or one of the task's architectures"
        )
    if bool(job.get("vcf")) == bool(job.get("table")):
        raise InputError(f"{where}: give exactly one of vcf (with genome) or table")
    if job.get("vcf") and not job.get("genome"):
        raise InputError(f"{where}.genome: a VCF needs the genome its coordinates refer to")
    table = job.get("table") or {}
    if table and bool(table.get("sequence")) == bool(table.get("sequence_id")):
        raise InputError(f"{where}.table: give exactly one of sequence or sequence_id (+ fasta)")
    if table.get("sequence_id") and not table.get("fasta"):
        raise InputError(f"{where}.table.fasta: sequence_id names records of a FASTA file")
    for key in ("vcf", "genome"):
        _check_exists(job.get(key), f"{where}.{key}")
    for key in ("file", "fasta"):
        _check_exists(table.get(key), f"{where}.table.{key}")


def _check_exists(path: str | None, where: str) -> None:
    """A user's file that no rule makes: missing, it is named here rather than in Snakemake's
    MissingInputException. Relative paths are read from the working directory."""
    if path and not Path(path).exists():
        relative = "" if Path(path).is_absolute() else f" (relative to {Path.cwd()})"
        raise InputError(f"{where}: {path} does not exist{relative}")


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read a YAML config, apply `overrides` (top-level keys) and validate it."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    config.update(overrides or {})
    return validate_config(config, str(path))


def gpu_visible() -> bool:
    """Whether this machine shows an NVIDIA GPU to its jobs, without importing torch (planning
    a run must stay fast): a driver that lists a GPU, unless CUDA_VISIBLE_DEVICES hides them."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    listed = Path("/proc/driver/nvidia/gpus")
    return (listed.is_dir() and any(listed.iterdir())) or Path("/dev/nvidia0").exists()


def training_gpus(device: str, gpu_nodes: bool) -> int:
    """GPUs a training job holds: one for `cuda`, and for `auto` where jobs will see a GPU (this
    machine's, or the cluster nodes' with `gpu_nodes`); none on the CPU. On a CPU-only machine
    trainings then run side by side within --cores; with one GPU, one at a time."""
    if device == "cpu":
        return 0
    return 1 if device == "cuda" or gpu_nodes or gpu_visible() else 0


def training_settings(
    config: Mapping[str, Any], task: str, arch: str | None = None
) -> dict[str, Any]:
    """Global training settings with the task's, the architecture entry's, then the task's own
    entry for that architecture's (`tasks.<task>.model_params.<arch>.training`) overrides: the
    most specific wins."""
    entry = config["tasks"][task]
    own = config["architectures"].get(arch, {}).get("training", {}) if arch else {}
    here = entry["model_params"].get(arch, {}).get("training", {}) if arch else {}
    return {**config["training"], **entry["training"], **own, **here}


def _hyperparameters(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in VARIANT_KEYS}


# Task keys that say how the data is read, split and scored, as opposed to what is trained on
# it: the data steps' parameters, so that adding an architecture re-runs nothing else.
TRAINING_CHOICE_KEYS = (
    "architectures",
    "model_params",
    "training",
    "ensemble",
    "interpretation",
)


def data_settings(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task's settings without its training choices (TRAINING_CHOICE_KEYS)."""
    return {k: v for k, v in task.items() if k not in TRAINING_CHOICE_KEYS}


def ensemble_members_of(task: Mapping[str, Any]) -> list[str]:
    """The architectures a task's ensemble combines: `ensemble` (a list, or a mapping's
    `members`), all of the task's architectures when it is absent or true, none when false or
    fewer than two."""
    setting = task.get("ensemble", True)
    if isinstance(setting, Mapping):
        setting = setting.get("members", True)
    if setting is False or not objective_of_task(task).ensembles:
        return []
    members = task["architectures"] if setting is True else setting
    return list(members) if len(members) >= 2 else []


def ensemble_settings(task: Mapping[str, Any]) -> dict[str, Any]:
    """How the task's ensemble is fitted (`ensemble.weights`, `ensemble.top`), as the fields
    of `evaluation.ensemble.EnsembleSettings`; its defaults when `ensemble` is no mapping."""
    setting = task.get("ensemble", True)
    if not isinstance(setting, Mapping):
        return {}
    return {k: setting[k] for k in ("weights", "top") if k in setting}


def model_name(config: Mapping[str, Any], arch: str) -> str:
    """The registry architecture behind a configured name (a variant's `model`, else itself)."""
    return config["architectures"].get(arch, {}).get("model", arch)


def is_multitask(config: Mapping[str, Any], arch: str) -> bool:
    return bool(config["architectures"].get(arch, {}).get("multitask", False))


def model_settings(config: Mapping[str, Any], task: str, arch: str) -> dict[str, Any]:
    """An architecture's hyperparameters with the task's overrides applied."""
    return {
        **_hyperparameters(config["architectures"].get(arch, {})),
        **_hyperparameters(config["tasks"][task]["model_params"].get(arch, {})),
    }


def check_design(config: dict[str, Any], task: dict[str, Any], kind: Any, where: str) -> None:
    """A GAN designs DNA (not siRNA duplexes) and the task's best network judges it; `label`
    picks one of several classes or labels."""

    design = task["design"]
    if not kind.has_sequences or kind.sirna_features:
        raise InputError(
            f"{where}.design: kind {kind.name!r} has no DNA sequences to design "
            "(kinds primer, simulated_binding and sequences do)"
        )
    if design.get("kernel_size", 1) % 2 == 0:
        # Odd widths pad symmetrically, so every layer keeps the sequence's length.
        raise InputError(f"{where}.design.kernel_size: must be odd, got {design['kernel_size']}")
    objective = objective_of_task(task)
    heads = objective.head_names(metric_options(task).get("labels", []))
    if "label" in design and heads == [SINGLE_HEAD]:
        raise InputError(
            f"{where}.design.label: a {objective.name} task has one output; `label` picks "
            "one of several classes or labels"
        )
    if "label" in design and design["label"] not in heads:
        raise InputError(f"{where}.design.label: {design['label']!r} is not one of {heads}")
    if all(is_tabular(model_name(config, arch)) for arch in task["architectures"]):
        raise InputError(
            f"{where}.design: judging designed sequences needs a network among "
            f"{where}.architectures"
        )
