"""One owner per default: where the schema and a settings dataclass both state a default they
agree, config/README.md's training table says the same, and the schema's enums are the
registries'."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import yaml
from conftest import REPO

from dlgenomics.config import load_schema
from dlgenomics.data.simulate import SimulationSettings
from dlgenomics.models.architectures import ARCHITECTURES, architecture
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.objectives import OBJECTIVES
from dlgenomics.training.loop import TrainSettings
from dlgenomics.training.tuning import TuneSettings

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
TASK_PROPERTIES = SCHEMA["properties"]["tasks"]["additionalProperties"]["properties"]
NO_DEFAULT = object()


def default_of(field: dataclasses.Field) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def schema_defaults(properties: dict[str, Any]) -> dict[str, Any]:
    """Key -> the schema's default (a mapping of nested defaults where only its keys have
    them), NO_DEFAULT where it states none."""
    out = {}
    for key, spec in properties.items():
        if "default" in spec:
            out[key] = spec["default"]
        elif "properties" in spec and any("default" in p for p in spec["properties"].values()):
            out[key] = {k: p["default"] for k, p in spec["properties"].items() if "default" in p}
        else:
            out[key] = NO_DEFAULT
    return out


@pytest.mark.parametrize(
    ("settings", "properties"),
    [
        (TrainSettings, SCHEMA["properties"]["training"]["properties"]),
        (SimulationSettings, TASK_PROPERTIES["simulate"]["properties"]),
    ],
    ids=["training", "simulate"],
)
def test_schema_and_settings_agree_on_every_default(settings, properties):
    schema = schema_defaults(properties)
    fields = {f.name: default_of(f) for f in dataclasses.fields(settings)}
    assert set(fields) <= set(schema), (
        f"settings the schema does not know: {set(fields) - set(schema)}"
    )
    disagree = {
        name: (schema[name], value)
        for name, value in fields.items()
        if schema[name] is not NO_DEFAULT and schema[name] != value
    }
    assert not disagree, f"(schema, dataclass) defaults differ: {disagree}"


def test_the_readme_training_table_states_the_dataclass_defaults():
    """config/README.md's `training` table: each key's default (the last `code` of its type
    column) is TrainSettings'."""
    text = (REPO / "config" / "README.md").read_text()
    table = text.split("## `training`", 1)[1].split("\n\n", 2)[1]
    stated = {}
    for row in table.splitlines()[2:]:
        key, kind = (cell.strip() for cell in row.strip("|").split("|")[:2])
        stated[key.strip("`")] = yaml.safe_load(re.findall(r"`([^`]*)`", kind)[-1])
    fields = {f.name: default_of(f) for f in dataclasses.fields(TrainSettings)}
    assert set(stated) == set(fields)
    assert {k: v for k, v in stated.items() if v != fields[k]} == {}


def test_the_schemas_enums_are_the_registries():
    """The schema file types no kind or objective by hand: the registries fill them in."""
    assert "enum" not in TASK_PROPERTIES["kind"] and "enum" not in TASK_PROPERTIES["objective"]
    filled = load_schema()["properties"]["tasks"]["additionalProperties"]["properties"]
    assert filled["kind"]["enum"] == list(TASK_KINDS)
    assert filled["objective"]["enum"] == list(OBJECTIVES)


def test_the_readme_architecture_table_states_each_dataclass_default():
    """config/README.md's table of architectures: every hyperparameter of each is named, and
    each default written beside it, `key` (default), is the one its module's dataclass holds."""
    text = (REPO / "config" / "README.md").read_text()
    table = text.split("| architecture | keys (defaults) |", 1)[1].split("\n\n", 1)[0]
    rows = {
        row.split("|")[1].strip().strip("`"): row.split("|")[2]
        for row in table.splitlines()[2:]
        if row.startswith("| `")
    }
    assert set(rows) == set(ARCHITECTURES)
    wrong = {}
    for name, row in rows.items():
        fields = {f.name: default_of(f) for f in dataclasses.fields(architecture(name).config)}
        assert all(f"`{key}`" in row for key in fields), (name, sorted(fields))
        for key, written in re.findall(r"`(\w+)` \(([^():]+?)[):]", row):
            if key in fields and not written.startswith("all of"):
                stated = yaml.safe_load(written.strip().strip("`"))
                if stated != fields[key]:
                    wrong[f"{name}.{key}"] = (stated, fields[key])
    assert wrong == {}


def test_the_readme_tuning_table_states_the_dataclass_defaults():
    text = (REPO / "config" / "README.md").read_text()
    table = text.split("### Tuning: `tasks.<name>.tune`", 1)[1].split("| key |", 1)[1]
    table = table.split("\n\n", 1)[0]
    stated = {}
    for row in table.splitlines()[2:]:
        key, kind = (cell.strip() for cell in row.strip("|").split("|")[:2])
        if "required" not in kind:
            stated[key.strip("`")] = yaml.safe_load(re.findall(r"`([^`]*)`", kind)[-1])
    fields = {f.name: default_of(f) for f in dataclasses.fields(TuneSettings)}
    assert stated == fields
