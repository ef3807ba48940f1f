# Config validation, result paths and input functions: the only Python the rules need.
from pathlib import Path

from dlgenomics import InputError
from dlgenomics.architectures import needs_pretraining
from dlgenomics.config import (
    is_multitask,
    model_name,
    model_settings,
    training_settings,
    validate_config,
)
from dlgenomics.tasks import TASK_KINDS
from snakemake.exceptions import WorkflowError

try:
    validate_config(config, " + ".join(map(str, workflow.configfiles)) or "config")
except InputError as error:
    raise WorkflowError(str(error)) from None

TASKS = list(config["tasks"])
ENCODED = "results/{task}/encoded"
MODEL_DIR = "results/{task}/models/{arch}/fold{fold}"
PRETRAIN_DIR = "results/{task}/pretrain/{arch}"
EVAL_DIR = "results/{task}/evaluation/{arch}"


wildcard_constraints:
    task="|".join(TASKS),
    dataset="[^/]+",
    file="[^/]+",
    arch="[A-Za-z0-9_]+",
    fold=r"\d+",


def task_config(wildcards):
    return config["tasks"][wildcards.task]


def task_kind(wildcards):
    return task_config(wildcards)["kind"]


def task_architectures(wildcards):
    return task_config(wildcards)["architectures"]


def fold_count(task):
    return config["tasks"][task]["split"]["folds"]


def raw_file(task, name):
    return f"resources/data/{config['tasks'][task]['dataset']}/{name}"


def encode_inputs(wildcards):
    """Every raw file the task's kind reads, through the download rule."""
    kind = TASK_KINDS[task_kind(wildcards)]
    return [raw_file(wildcards.task, name) for name in kind.required_files]


def download_spec(wildcards):
    return config["datasets"][wildcards.dataset]["files"][wildcards.file]


def train_settings(wildcards):
    return training_settings(config, wildcards.task)


def train_threads(wildcards):
    return training_settings(config, wildcards.task)["threads"]


def arch_params(wildcards):
    return model_settings(config, wildcards.task, wildcards.arch)


def arch_model(wildcards):
    """The registry architecture behind a configured name (variants name it in `model`)."""
    return model_name(config, wildcards.arch)


def arch_multitask(wildcards):
    return is_multitask(config, wildcards.arch)


def train_inputs(wildcards):
    """Encoded tensors, plus the pretrained encoder for transfer-learning architectures."""
    inputs = {
        "train": f"{ENCODED}/train.parquet".format(task=wildcards.task),
        "test": f"{ENCODED}/test.parquet".format(task=wildcards.task),
        "vocab": f"{ENCODED}/vocab.json".format(task=wildcards.task),
    }
    if needs_pretraining(arch_model(wildcards), arch_params(wildcards)):
        inputs["pretrained"] = f"{PRETRAIN_DIR}/encoder.pt".format(**wildcards)
    return inputs


def fold_outputs(name):
    """Input function: `name` of every fold of one task/arch."""

    def inputs(wildcards):
        return expand(
            f"{MODEL_DIR}/{name}",
            task=wildcards.task,
            arch=wildcards.arch,
            fold=range(fold_count(wildcards.task)),
        )

    return inputs


def architecture_metrics(wildcards):
    return expand(
        f"{EVAL_DIR}/metrics.json",
        task=wildcards.task,
        arch=task_architectures(wildcards),
    )


def submission_inputs(wildcards):
    inputs = {
        "leaderboard": f"results/{wildcards.task}/leaderboard.csv",
        "predictions": expand(
            f"{EVAL_DIR}/predictions.parquet",
            task=wildcards.task,
            arch=task_architectures(wildcards),
        ),
    }
    if task_kind(wildcards) == "sirna_competition":
        inputs["sample"] = raw_file(wildcards.task, "sample_submission.csv")
    return inputs


def all_outputs():
    outputs = []
    for task in TASKS:
        outputs += [
            f"results/{task}/leaderboard.md",
            f"results/{task}/submission.csv",
        ]
    return outputs
