"""Load the run configuration, validate it against the JSON Schema and fill in its defaults."""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dlgenomics import InputError

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def _with_defaults(validator_class: type) -> type:
    """A validator that writes each property's `default` into the instance before checking it."""
    check_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = deepcopy(subschema["default"])
        yield from check_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _key_path(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def validate_config(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Validate `config` in place (defaults filled in) and return it.

    Raises InputError with one line naming the offending key, e.g.
    `config/config.yaml: tasks.primer.split.folds: 'five' is not of type 'integer'`.
    """
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    errors = sorted(_Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        raise InputError(f"{source}: {_key_path(error.absolute_path)}: {error.message}")
    _check_cross_references(config, source)
    return config


# Keys of an `architectures` entry that are not model hyperparameters.
VARIANT_KEYS = ("model", "multitask")


def _check_cross_references(config: dict[str, Any], source: str) -> None:
    """What JSON Schema cannot say: names that must refer to other entries."""
    from dlgenomics.architectures import CONFIGS, make_config
    from dlgenomics.tasks import TASK_KINDS

    def check_arch(name: str, where: str) -> None:
        model = model_name(config, name)
        if model not in CONFIGS:
            known = sorted(set(CONFIGS) | set(config["architectures"]))
            raise InputError(f"{where}: unknown architecture {model!r} (known: {', '.join(known)})")

    training_keys = set(config["training"])
    for name in config["architectures"]:
        check_arch(name, f"{source}: architectures.{name}")
        make_config(
            model_name(config, name),
            _hyperparameters(config["architectures"][name]),
            f"{source}: architectures.{name}",
        )
    for task_name, task in config["tasks"].items():
        where = f"{source}: tasks.{task_name}"
        kind = TASK_KINDS[task["kind"]]
        if kind.required_files:
            if "dataset" not in task:
                raise InputError(f"{where}: kind {task['kind']!r} needs a `dataset`")
            if task["dataset"] not in config["datasets"]:
                raise InputError(f"{where}.dataset: no dataset named {task['dataset']!r}")
            missing = set(kind.required_files) - set(config["datasets"][task["dataset"]]["files"])
            if missing:
                raise InputError(
                    f"{where}.dataset: kind {task['kind']!r} needs file(s) {sorted(missing)} "
                    f"in datasets.{task['dataset']}.files"
                )
        for arch in task["architectures"]:
            check_arch(arch, f"{where}.architectures")
            if is_multitask(config, arch) and not kind.auxiliary_label:
                raise InputError(
                    f"{where}.architectures: {arch} is multitask but kind {kind.name!r} has no "
                    "auxiliary head"
                )
        for key in set(task["training"]) - training_keys:
            raise InputError(f"{where}.training.{key}: unknown training key")
        for arch in task["model_params"]:
            check_arch(arch, f"{where}.model_params.{arch}")
            make_config(
                model_name(config, arch),
                model_settings(config, task_name, arch),
                f"{where}.model_params.{arch}",
            )


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read a YAML config, apply `overrides` (top-level keys) and validate it."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    config.update(overrides or {})
    return validate_config(config, str(path))


def training_settings(config: Mapping[str, Any], task: str) -> dict[str, Any]:
    """Global training settings with the task's overrides applied."""
    return {**config["training"], **config["tasks"][task]["training"]}


def _hyperparameters(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in VARIANT_KEYS}


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
