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


def _check_cross_references(config: dict[str, Any], source: str) -> None:
    """What JSON Schema cannot say: names that must refer to other entries."""
    from dlgenomics.models import ARCHITECTURES
    from dlgenomics.tasks import TASK_KINDS

    training_keys = set(config["training"])
    for name, params in config["architectures"].items():
        if name not in ARCHITECTURES:
            raise InputError(
                f"{source}: architectures.{name}: unknown architecture "
                f"(known: {', '.join(sorted(ARCHITECTURES))})"
            )
        ARCHITECTURES[name].check_params(params, f"{source}: architectures.{name}")
    for task_name, task in config["tasks"].items():
        where = f"{source}: tasks.{task_name}"
        if task["dataset"] not in config["datasets"]:
            raise InputError(f"{where}.dataset: no dataset named {task['dataset']!r}")
        missing = set(TASK_KINDS[task["kind"]].required_files) - set(
            config["datasets"][task["dataset"]]["files"]
        )
        if missing:
            raise InputError(
                f"{where}.dataset: kind {task['kind']!r} needs file(s) {sorted(missing)} "
                f"in datasets.{task['dataset']}.files"
            )
        for arch in task["architectures"]:
            if arch not in ARCHITECTURES:
                raise InputError(
                    f"{where}.architectures: unknown architecture {arch!r} "
                    f"(known: {', '.join(sorted(ARCHITECTURES))})"
                )
        for key in set(task["training"]) - training_keys:
            raise InputError(f"{where}.training.{key}: unknown training key")
        for arch, params in task["model_params"].items():
            if arch not in ARCHITECTURES:
                raise InputError(f"{where}.model_params.{arch}: unknown architecture")
            ARCHITECTURES[arch].check_params(params, f"{where}.model_params.{arch}")


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


def model_settings(config: Mapping[str, Any], task: str, arch: str) -> dict[str, Any]:
    """An architecture's hyperparameters with the task's overrides applied."""
    return {
        **config["architectures"].get(arch, {}),
        **config["tasks"][task]["model_params"].get(arch, {}),
    }
