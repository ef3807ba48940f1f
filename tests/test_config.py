import subprocess
import sys

import pytest
import yaml
from conftest import REPO
from snakemake.utils import update_config

from dlgenomics import InputError
from dlgenomics.config import (
    ensemble_members_of,
    ensemble_settings,
    is_multitask,
    load_config,
    model_name,
    model_settings,
    training_settings,
    validate_config,
)


def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _sequence_tasks(config: dict) -> dict:
    """Two `sequences` tasks with a `design` added to `config`: multiclass (classes a, b;
    learning b) and regression (the top 10%). Returns config["tasks"]."""
    files = {n: {"sources": [f"https://example.invalid/{n}"]} for n in ("a.fa", "b.fa", "t.csv")}
    config["datasets"]["mine"] = {"files": files}
    fasta = {"format": "fasta", "classes": {"a": "a.fa", "b": "b.fa"}}
    table = {"format": "table", "file": "t.csv", "sequence": "seq", "labels": ["y"]}
    common = {"kind": "sequences", "dataset": "mine", "architectures": ["cnn", "gbm_bases"]}
    config["tasks"]["classes"] = {
        **common, "objective": "multiclass", "input": fasta, "design": {"label": "b"}
    }  # fmt: skip
    config["tasks"]["levels"] = {
        **common, "objective": "regression", "input": table, "design": {"top_fraction": 0.1}
    }  # fmt: skip
    return config["tasks"]


def test_sequence_tasks_of_any_objective_may_design():
    config = default_config()
    tasks = _sequence_tasks(config)
    tasks["primer"].pop("interpretation")  # no known motif: designs are judged without one
    validate_config(config, "config.yaml")
    assert tasks["levels"]["design"] == {"top_fraction": 0.1}


def test_default_config_is_valid_and_gets_defaults():
    config = load_config(REPO / "config" / "config.yaml")
    assert set(config["tasks"]) == {"sirna_gene", "sirna_random", "primer", "motifs"}
    assert config["tasks"]["primer"]["max_rows"] is None  # filled in from the schema
    assert config["tasks"]["sirna_random"]["split"]["valid_fraction"] == 0.1
    assert training_settings(config, "primer")["patience"] == 8
    assert model_settings(config, "sirna_gene", "bigru")["inputs"] == [
        "kmer_antisense",
        "mod_antisense",
    ]


def test_variants_name_their_registry_model_and_keep_their_own_hyperparameters():
    config = load_config(REPO / "config" / "config.yaml")
    assert model_name(config, "cnn_sequence_only") == "cnn"
    assert model_name(config, "lstm") == "lstm"
    assert is_multitask(config, "cnn_multitask") and not is_multitask(config, "cnn")
    # `model` and `multitask` say what to build; they are not hyperparameters of the network.
    params = model_settings(config, "sirna_gene", "cnn_sequence_only")
    assert params["use_conditions"] is False and "model" not in params
    assert "multitask" not in model_settings(config, "sirna_gene", "cnn_multitask")


def test_a_task_may_train_one_architecture_its_own_way():
    config = default_config()
    config["tasks"]["motifs"]["model_params"]["tutorial_cnn"] = {"training": {"patience": 3}}
    validate_config(config, "config.yaml")
    # Most specific wins: this task's entry for the architecture over the architecture's own
    # training (tutorial_cnn: 50 epochs, patience 50) and the task's and global settings.
    assert training_settings(config, "motifs", "tutorial_cnn")["patience"] == 3
    assert training_settings(config, "motifs", "tutorial_cnn")["max_epochs"] == 50
    assert training_settings(config, "primer", "tutorial_cnn")["patience"] == 50
    assert training_settings(config, "motifs", "cnn")["patience"] == 8
    assert "training" not in model_settings(config, "motifs", "tutorial_cnn")
    config["tasks"]["motifs"]["model_params"]["tutorial_cnn"] = {"training": {"patiense": 3}}
    with pytest.raises(InputError, match=r"model_params\.tutorial_cnn\.training\.patiense"):
        validate_config(config, "config.yaml")


def test_an_ensemble_mapping_names_its_members_and_how_it_is_fitted():
    config = default_config()
    primer = config["tasks"]["primer"]
    primer["ensemble"] = {"members": ["mlp", "cnn", "gcn"], "weights": "equal", "top": 2}
    validate_config(config, "config.yaml")
    assert ensemble_members_of(primer) == ["mlp", "cnn", "gcn"]
    assert ensemble_settings(primer) == {"weights": "equal", "top": 2}
    primer["ensemble"] = {"top": 3}  # members default to every architecture of the task
    assert ensemble_members_of(primer) == primer["architectures"]
    assert ensemble_settings(config["tasks"]["sirna_gene"]) == {}  # no mapping: the defaults
    primer["ensemble"] = {"members": ["mlp", "gbm"]}
    with pytest.raises(InputError, match=r"ensemble: 'gbm' is not one of the task's"):
        validate_config(config, "config.yaml")
    primer["ensemble"] = {"weights": "median"}
    with pytest.raises(InputError, match=r"ensemble\.weights: 'median' is not one of"):
        validate_config(config, "config.yaml")


def test_generated_tasks_need_no_dataset():
    config = default_config()
    config["tasks"] = {"xor": {"kind": "xor", "architectures": ["mlp"]}}
    config["screen"] = {}  # it screens with a task replaced here
    validate_config(config, "config.yaml")
    assert config["tasks"]["xor"]["generate"] == {"rows": 2000, "noise": 0.05, "seed": 0}


def test_quick_config_overlays_the_default():
    config = default_config()
    # As `snakemake --configfile config/quick.yaml` merges it over the default.
    update_config(config, yaml.safe_load((REPO / "config" / "quick.yaml").read_text()))
    validate_config(config, "quick.yaml")
    assert set(config["tasks"]) == {"sirna_gene", "sirna_random", "primer", "motifs"}


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
        (
            lambda c: c["architectures"].update(cnn_wide={"model": "resnet"}),
            r"architectures\.cnn_wide: unknown architecture 'resnet'",
        ),
        (
            lambda c: c["architectures"]["cnn_sequence_only"].update(layers=3),
            r"architectures\.cnn_sequence_only: unknown hyperparameter\(s\) \['layers'\]",
        ),
        (
            lambda c: c["tasks"]["primer"]["architectures"].append("cnn_multitask"),
            r"tasks\.primer\.architectures: cnn_multitask is multitask but kind 'primer' has no",
        ),
        (
            lambda c: c["tasks"]["primer"].pop("dataset"),
            r"tasks\.primer: kind 'primer' needs a `dataset`",
        ),
        (
            lambda c: c["tasks"].update(smoke={"kind": "formula", "generate": {"rows": 5}}),
            r"tasks\.smoke\.generate\.rows: 5 is less than the minimum of 20",
        ),
        (
            lambda c: c["architectures"].update(mlp_h={"model": "mlp", "training": {"lr": 1}}),
            r"architectures\.mlp_h\.training\.lr: unknown training key",
        ),
        (
            lambda c: c["tasks"]["primer"]["architectures"].append("mlp_huber"),
            r"tasks\.primer: mlp_huber sets loss 'huber' on a binary task",
        ),
        (
            lambda c: c["tasks"]["primer"]["architectures"].append("mlp_weighted"),
            r"tasks\.primer: mlp_weighted sets loss 'threshold_weighted' on a binary",
        ),
        (
            lambda c: c["tasks"]["primer"].update(ensemble=["mlp", "gbm"]),
            r"tasks\.primer\.ensemble: 'gbm' is not one of the task's architectures",
        ),
        (
            lambda c: c["tasks"]["primer"]["architectures"].append("ensemble"),
            r"tasks\.primer\.architectures: 'ensemble' names the task's ensemble",
        ),
        (
            lambda c: c["architectures"]["gbm"].update(features=["bases", "colour"]),
            r"architectures\.gbm: unknown feature group\(s\) \['colour'\]",
        ),
        (
            lambda c: c["tasks"]["sirna_gene"].update(features={"flank": -1}),
            r"tasks\.sirna_gene\.features\.flank: -1 is less than the minimum of 0",
        ),
        (
            lambda c: c.update(
                cross_evaluation={"x": {"train": "sirna_gene", "evaluate": "primer"}}
            ),
            r"cross_evaluation\.x\.evaluate: task 'primer' is not an siRNA task",
        ),
        (
            lambda c: c["screen"]["LDHA"].update(task="nope"),
            r"screen\.LDHA\.task: no task named 'nope'",
        ),
        (
            lambda c: c["screen"]["LDHA"]["transcript"].update(fasta="x.fa"),
            r"screen\.LDHA\.transcript: give exactly one of gene or fasta",
        ),
        (
            lambda c: c["screen"]["LDHA"]["conditions"].update(concentration_nm=0),
            r"screen\.LDHA\.conditions\.concentration_nm: 0 is less than or equal to the minimum",
        ),
        (
            lambda c: c["tasks"]["sirna_gene"].update(design={"samples": 100}),
            r"tasks\.sirna_gene\.design: kind 'sirna_competition' has no DNA sequences to design",
        ),
        (
            lambda c: c["tasks"].update(
                smoke={"kind": "formula", "architectures": ["mlp"], "design": {}}
            ),
            r"tasks\.smoke\.design: kind 'formula' has no DNA sequences to design",
        ),
        (
            lambda c: c["tasks"]["motifs"]["design"].update(label="ctcf"),
            r"tasks\.motifs\.design\.label: 'ctcf' is not one of \['gata1', 'tal1', 'composite'\]",
        ),
        (
            lambda c: c["tasks"]["primer"]["design"].update(label="bound"),
            r"tasks\.primer\.design\.label: a binary task has one output",
        ),
        (
            lambda c: c["tasks"]["primer"].update(architectures=["gbm_bases"], ensemble=False),
            r"tasks\.primer\.design: judging designed sequences needs a network",
        ),
        (
            lambda c: _sequence_tasks(c)["classes"]["design"].update(label="c"),
            r"tasks\.classes\.design\.label: 'c' is not one of \['a', 'b'\]",
        ),
        (
            lambda c: _sequence_tasks(c)["levels"]["design"].update(top_fraction=1),
            r"tasks\.levels\.design\.top_fraction: 1 is greater than or equal to the maximum",
        ),
        (
            lambda c: c["tasks"]["primer"]["design"].update(kernel_size=8),
            r"tasks\.primer\.design\.kernel_size: must be odd, got 8",
        ),
        (
            lambda c: c["tasks"]["primer"]["design"].update(critic_steps=0),
            r"tasks\.primer\.design\.critic_steps: 0 is less than the minimum of 1",
        ),
        (
            lambda c: c["tasks"]["primer"]["design"].update(noise=1),
            r"tasks\.primer\.design: Additional properties .*'noise'",
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


def test_every_design_key_reaches_the_gan_or_the_judge():
    """The `design:` schema and the settings it feeds stay in step: a key the schema allows but
    no dataclass takes would fail at run time, one a dataclass takes but the schema refuses
    could never be set."""
    from dataclasses import fields

    from dlgenomics.design.designer import DesignSettings
    from dlgenomics.design.gan import GanSettings

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    task = schema["properties"]["tasks"]["additionalProperties"]["properties"]
    allowed = set(task["design"]["properties"])
    judged = {f.name for f in fields(DesignSettings)} - {"gan"}
    internal = {"monitor_samples"}  # the history's monitoring batch: not a user's choice
    assert allowed == judged | ({f.name for f in fields(GanSettings)} - internal)

    settings = DesignSettings.from_config(
        {"label": "tal1", "samples": 50, "critic_steps": 3, "top_fraction": 0.1}
    )
    gan = settings.gan_settings()
    assert (settings.label, gan.samples, gan.critic_steps) == ("tal1", 50, 3)
    assert settings.top_fraction == 0.1 and DesignSettings().top_fraction == 0.2
    assert gan.epochs == GanSettings().epochs  # the rest keep the GAN's defaults


def test_numbers_in_scientific_notation_are_numbers():
    """YAML 1.1 (Snakemake's loader) reads `1e-3` without a dot as a string."""
    config = default_config()
    loaded = yaml.safe_load("learning_rate: 1e-3\nmax_epochs: 2e1\nweight_decay: 1.0e-4\n")
    assert loaded["learning_rate"] == "1e-3"  # the loader's reading, which validation corrects
    config["training"].update(loaded)
    validate_config(config, "config.yaml")
    assert config["training"]["learning_rate"] == 0.001
    assert config["training"]["max_epochs"] == 20 and config["training"]["weight_decay"] == 1e-4
    config["training"]["learning_rate"] = "1e-3 per step"
    with pytest.raises(InputError, match=r"training\.learning_rate: '1e-3 per step' is not of"):
        validate_config(config, "config.yaml")


EXAMPLES = sorted((REPO / "config" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_config_is_valid_and_plans_each_task_to_its_leaderboard(example, tmp_path):
    # Run where a user would: a fresh folder, the repository's example inputs beside it.
    (tmp_path / "resources").symlink_to(REPO / "resources")
    dry_run = [sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")]
    command = [*dry_run, "--configfile", str(example), "--replace-workflow-config"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for task in load_config(example)["tasks"]:
        assert f"results/{task}/leaderboard.csv" in result.stdout, task
