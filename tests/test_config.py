import pytest
import yaml
from conftest import REPO
from snakemake.utils import update_config

from dlgenomics import InputError
from dlgenomics.config import load_config, model_settings, training_settings, validate_config


def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults():
    config = load_config(REPO / "config" / "config.yaml")
    assert set(config["tasks"]) == {"sirna_gene", "sirna_random", "primer"}
    assert config["tasks"]["primer"]["max_rows"] is None  # filled in from the schema
    assert config["tasks"]["sirna_random"]["split"]["valid_fraction"] == 0.1
    assert training_settings(config, "primer")["patience"] == 8
    assert model_settings(config, "sirna_gene", "bigru")["inputs"] == [
        "kmer_antisense",
        "mod_antisense",
    ]


def test_quick_config_overlays_the_default():
    config = default_config()
    # As `snakemake --configfile config/quick.yaml` merges it over the default.
    update_config(config, yaml.safe_load((REPO / "config" / "quick.yaml").read_text()))
    validate_config(config, "quick.yaml")
    assert set(config["tasks"]) == {"sirna_gene", "sirna_random", "primer"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(colour="blue"), r"<top level>: Additional properties .*'colour'"),
        (
            lambda c: c["tasks"]["primer"]["split"].update(folds="five"),
            r"tasks\.primer\.split\.folds: 'five' is not of type 'integer'",
        ),
        (
            lambda c: c["training"].update(learning_rate=-1),
            r"training\.learning_rate: -1 is less than or equal to the minimum of 0",
        ),
        (
            lambda c: c["tasks"]["primer"].update(architectures=["resnet"]),
            r"tasks\.primer\.architectures: unknown architecture 'resnet'",
        ),
        (
            lambda c: c["architectures"]["cnn"].update(kernels=[3]),
            r"architectures\.cnn: unknown hyperparameter\(s\) \['kernels'\]",
        ),
        (
            lambda c: c["tasks"]["primer"].update(dataset="nope"),
            r"tasks\.primer\.dataset: no dataset named 'nope'",
        ),
        (
            lambda c: c["tasks"]["primer"].update(training={"epochs": 3}),
            r"tasks\.primer\.training\.epochs: unknown training key",
        ),
    ],
)
def test_bad_config_names_the_key(edit, message):
    config = default_config()
    edit(config)
    with pytest.raises(InputError, match=message):
        validate_config(config, "config.yaml")


def _schema_keys(schema: dict) -> set[str]:
    keys = set()
    for name, sub in schema.get("properties", {}).items():
        keys.add(name)
        keys |= _schema_keys(sub)
    for child in ("additionalProperties", "items"):
        if isinstance(schema.get(child), dict):
            keys |= _schema_keys(schema[child])
    return keys


def test_every_config_key_is_documented():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    readme = (REPO / "config" / "README.md").read_text()
    undocumented = [k for k in _schema_keys(schema) if f"{k}`" not in readme]
    assert not undocumented
    assert len(_schema_keys(schema)) > 20


def _schema_nodes(schema: dict, path: str = ""):
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", sub
        yield from _schema_nodes(sub, f"{path}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _schema_nodes(schema["additionalProperties"], f"{path}.*")


def test_every_schema_key_has_a_description():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    missing = [path for path, node in _schema_nodes(schema) if "description" not in node]
    assert not missing
