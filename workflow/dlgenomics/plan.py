"""The run's plan: where each result lives, and what each step reads, from a validated config.

Plain functions of the config (and of a job's wildcards: `wildcards.task`, `.arch`, ...) that
the rules' input functions and parameters call through `planned` in workflow/rules/common.smk;
every result path is a constant here, so a path is written once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlgenomics.config import (
    data_settings,
    ensemble_members_of,
    ensemble_settings,
    is_multitask,
    model_name,
    model_settings,
    search_space,
    training_gpus,
    training_settings,
)
from dlgenomics.data.download import dataset_file, local_origin, origin_stamp, resolve_mirrors
from dlgenomics.data.schema import TARGET_CONTEXT
from dlgenomics.evaluation.ensemble import ENSEMBLE
from dlgenomics.models.architectures import TABULAR_SETTINGS, is_tabular, needs_pretraining
from dlgenomics.tasks.base import SIMULATED_FILE
from dlgenomics.tasks.kinds import TASK_KINDS, label_scale, scoring

Config = dict[str, Any]

RAW_DIR = "resources/data"
TASK_DIR = "results/{task}"  # everything of one task: its leaderboard, submission, provenance
ENCODED = "results/{task}/encoded"
MODEL_DIR = "results/{task}/models/{arch}/fold{fold}"
PRETRAIN_DIR = "results/{task}/pretrain/{arch}"
EVAL_DIR = "results/{task}/evaluation/{arch}"
FEATURES = "results/{task}/features"
ENSEMBLE_DIR = "results/{task}/ensemble"
SIMULATED_DIR = "results/{task}/simulated"
FIGURES_DIR = "results/{task}/figures"
INTERPRET_DIR = "results/{task}/interpretation"
BENCHMARK_DIR = "results/benchmarks"
GENERATED_DIR = "results/{task}/generated"
EXPORT_DIR = "results/{task}/export"
TUNE_DIR = "results/{task}/tuning/{arch}/fold{fold}"
LEADERBOARD = f"{TASK_DIR}/leaderboard.csv"
CROSS_DIR = "results/cross/{pair}"
SCREEN_DIR = "results/screen/{screen}"
PREDICT_DIR = "results/predict/{job}"
VARIANTS_DIR = "results/variants/{job}"


def tensors(task: str, *names: str) -> dict[str, str]:
    """The task's encoded files by name: `train`, `test`, `vocab`, `summary`."""
    files = {
        "train": "train.parquet",
        "test": "test.parquet",
        "vocab": "vocab.json",
        "summary": "summary.json",
    }
    return {name: f"{ENCODED}/{files[name]}".format(task=task) for name in names}


def pinned_files(config, source):
    """{raw file: (its configured sha256, the config key)} of every pinned dataset file."""
    return {
        Path(RAW_DIR, dataset, name): (
            spec["sha256"],
            f"{source}: datasets.{dataset}.files.{name}.sha256",
        )
        for dataset, entry in config["datasets"].items()
        for name, spec in entry["files"].items()
        if spec.get("sha256")
    }


def task_config(config, wildcards):
    return config["tasks"][wildcards.task]


def task_data(config, wildcards):
    """What the data steps depend on (not the architectures trained on the data)."""
    return data_settings(task_config(config, wildcards))


def task_kind(config, wildcards):
    return task_config(config, wildcards)["kind"]


def task_architectures(config, wildcards):
    return task_config(config, wildcards)["architectures"]


def fold_count(config, task):
    return config["tasks"][task]["split"]["folds"]


def raw_file(config, task, name):
    """A file the task names (`<file>` of its dataset, or `<dataset>/<file>`), downloaded."""
    dataset, file = dataset_file(name, config["tasks"][task].get("dataset"))
    return f"{RAW_DIR}/{dataset}/{file}"


def encode_files(config, wildcards):
    """Every raw file the task's kind reads, by the name the task gives it, through the
    download (or simulate) rule."""
    kind = TASK_KINDS[task_kind(config, wildcards)]
    if kind.simulated:
        simulated = f"{SIMULATED_DIR}/{SIMULATED_FILE}".format(task=wildcards.task)
        return {SIMULATED_FILE: simulated}
    names = kind.files(task_config(config, wildcards))
    return {name: raw_file(config, wildcards.task, name) for name in names}


def encode_inputs(config, wildcards):
    return list(encode_files(config, wildcards).values())


def simulate_settings(config, wildcards):
    return task_config(config, wildcards)["simulate"]


def download_spec(config, wildcards):
    return config["datasets"][wildcards.dataset]["files"][wildcards.file]


def _download_origin(config, wildcards):
    """The local file an unpinned dataset file is copied from (None for a pinned file)."""
    return local_origin(
        Path(RAW_DIR, wildcards.dataset, wildcards.file),
        wildcards.dataset,
        download_spec(config, wildcards),
        resolve_mirrors(config["mirror"]),
    )


def download_origin(config, wildcards):
    """An input of the download, so Snakemake names it when it reruns the download."""
    origin = _download_origin(config, wildcards)
    return [] if origin is None else [str(origin)]


def download_origin_stamp(config, wildcards):
    """A parameter of the download: any change of the origin's size or mtime reruns it."""
    return origin_stamp(_download_origin(config, wildcards))


def train_settings(config, wildcards):
    """A job's training settings: the architecture's overrides where it trains one, else the
    task's (train_gan)."""
    return training_settings(config, wildcards.task, wildcards.get("arch"))


def tabular_settings(config, wildcards):
    """The training settings gradient boosting reads (tabular.TABULAR_SETTINGS)."""
    settings = train_settings(config, wildcards)
    return {key: settings.get(key) for key in TABULAR_SETTINGS}


def train_threads(config, wildcards):
    return train_settings(config, wildcards)["threads"]


def train_gpus(config, wildcards):
    """GPUs a network's training job holds (config.training_gpus): the `gpu` resource keeps
    two jobs off one GPU on a workstation (profile `resources: gpu=N`) and becomes `--gpus=1`
    on SLURM."""
    return training_gpus(train_device(config, wildcards), config["gpu_nodes"])


def train_device(config, wildcards):
    return train_settings(config, wildcards)["device"]


def arch_params(config, wildcards):
    return model_settings(config, wildcards.task, wildcards.arch)


def arch_model(config, wildcards):
    """The registry architecture behind a configured name (variants name it in `model`)."""
    return model_name(config, wildcards.arch)


def arch_multitask(config, wildcards):
    return is_multitask(config, wildcards.arch)


def train_inputs(config, wildcards):
    """Encoded tensors, plus the pretrained encoder for transfer-learning architectures."""
    inputs = {
        **tensors(wildcards.task, "train", "test", "vocab"),
    }
    if needs_pretraining(arch_model(config, wildcards), arch_params(config, wildcards)):
        inputs["pretrained"] = f"{PRETRAIN_DIR}/encoder.pt".format(**wildcards)
    if is_tuned(config, wildcards.task, wildcards.arch):
        inputs["tuned"] = f"{TUNE_DIR}/best.json".format(**wildcards)
    if TARGET_CONTEXT in (arch_params(config, wildcards).get("inputs") or []):
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(task=wildcards.task)
        inputs["features_test"] = f"{FEATURES}/test.parquet".format(task=wildcards.task)
        inputs["features_spec"] = f"{FEATURES}/features.json".format(task=wildcards.task)
    return inputs


def has_features(config, task):
    """Whether the task gets the siRNA features file (design rules, target site)."""
    return TASK_KINDS[config["tasks"][task]["kind"]].sirna_features


def tabular_inputs(config, wildcards):
    """Encoded tensors, plus the siRNA features where the task has them."""
    inputs = {
        **tensors(wildcards.task, "train", "test", "vocab"),
    }
    if has_features(config, wildcards.task):
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(task=wildcards.task)
        inputs["features_test"] = f"{FEATURES}/test.parquet".format(task=wildcards.task)
    return inputs


def fold_outputs(config, wildcards, name):
    """`name` of every fold of one task/arch."""
    return [
        f"{MODEL_DIR}/{name}".format(task=wildcards.task, arch=wildcards.arch, fold=fold)
        for fold in range(fold_count(config, wildcards.task))
    ]


def ensemble_members(config, wildcards):
    """Architectures the task's ensemble combines ([] when it has none)."""
    return ensemble_members_of(config["tasks"][wildcards.task])


def ensemble_fit(config, wildcards):
    """How the task's ensemble is fitted (weights, top): `ensemble` as a mapping."""
    return ensemble_settings(config["tasks"][wildcards.task])


def ensemble_inputs(config, wildcards):
    return [
        f"{EVAL_DIR}/predictions.parquet".format(task=wildcards.task, arch=arch)
        for arch in ensemble_members(config, wildcards)
    ]


def ranked_names(config, wildcards):
    """What the leaderboard ranks: the task's architectures, then its ensemble if any."""
    return task_architectures(config, wildcards) + (
        [ENSEMBLE] if ensemble_members(config, wildcards) else []
    )


def _evaluated(config, wildcards, name):
    """Per ranked name, its evaluation file `name` (metrics.json or predictions.parquet)."""
    return [
        (
            f"{ENSEMBLE_DIR}/{name}".format(task=wildcards.task)
            if arch == ENSEMBLE
            else f"{EVAL_DIR}/{name}".format(task=wildcards.task, arch=arch)
        )
        for arch in ranked_names(config, wildcards)
    ]


def architecture_metrics(config, wildcards):
    return _evaluated(config, wildcards, "metrics.json")


def architecture_predictions(config, wildcards):
    return _evaluated(config, wildcards, "predictions.parquet")


def task_scoring(config, wildcards):
    """Objective, metric family, selection metric and metric options (objectives.Scoring):
    a parameter of every rule they affect, so changing one reruns exactly those."""
    return scoring(task_config(config, wildcards)).as_params()


def task_label_scale(config, wildcards):
    """A user's siRNA table's label scale (None otherwise): predictions are written in it too."""
    return label_scale(task_config(config, wildcards))


def submission_inputs(config, wildcards):
    inputs = {
        "leaderboard": LEADERBOARD.format(task=wildcards.task),
        "predictions": _evaluated(config, wildcards, "predictions.parquet"),
    }
    sample = TASK_KINDS[task_kind(config, wildcards)].submission_sample
    if sample:
        inputs["sample"] = raw_file(config, wildcards.task, sample)
    return inputs


def figure_inputs(config, wildcards):
    """Leaderboard (which is best), every ranked name's predictions, and encode's summary
    (which test rows came from which test file)."""
    return {
        "leaderboard": LEADERBOARD.format(task=wildcards.task),
        "predictions": _evaluated(config, wildcards, "predictions.parquet"),
        "encode_summary": tensors(wildcards.task, "summary")["summary"],
    }


def networks_of(config, task):
    """The task's architectures that are networks (attribution needs gradients)."""
    return [
        a for a in config["tasks"][task]["architectures"] if not is_tabular(model_name(config, a))
    ]


def network_architectures(config, wildcards):
    return networks_of(config, wildcards.task)


def interpret_inputs(config, wildcards):
    """Leaderboard (which network is best), held-out tensors (and the training tensors, whose
    out-of-fold rows are explained when there are no test rows), every network's fold models;
    the simulated motifs, and siRNA features for networks reading the target site."""
    task = wildcards.task
    inputs = {
        "leaderboard": LEADERBOARD.format(task=task),
        **tensors(task, "test", "train", "vocab"),
        "models": model_files(config, task, network_architectures(config, wildcards)),
    }
    if TASK_KINDS[task_kind(config, wildcards)].simulated:
        inputs["motifs"] = f"{SIMULATED_DIR}/motifs.json".format(task=task)
    if has_features(config, task):
        inputs["features"] = f"{FEATURES}/test.parquet".format(task=task)
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(task=task)
    return inputs


def export_inputs(config, wildcards):
    """Leaderboard (which network is best), every network's fold models, and the encode
    summary (the training files' sha256, for the model card)."""
    task = wildcards.task
    return {
        "leaderboard": LEADERBOARD.format(task=task),
        **tensors(task, "summary"),
        "models": model_files(config, task, network_architectures(config, wildcards)),
    }


def interpretation_settings(config, wildcards):
    return task_config(config, wildcards).get("interpretation", {})


def design_settings(config, wildcards):
    return task_config(config, wildcards)["design"]


def design_objective(config, wildcards):
    """The objective's name: it chooses the training rows learnt and the prediction judged."""
    return scoring(task_config(config, wildcards)).objective_name


def known_consensus(config, wildcards):
    return interpretation_settings(config, wildcards).get("known_motif")


def gan_inputs(config, wildcards):
    """The training sequences to learn; a simulated task's matrices to judge samples by."""
    inputs = {
        **tensors(wildcards.task, "train", "vocab"),
    }
    if TASK_KINDS[task_kind(config, wildcards)].simulated:
        inputs["motifs"] = f"{SIMULATED_DIR}/motifs.json".format(task=wildcards.task)
    return inputs


def generate_inputs(config, wildcards):
    """The trained generator, and what judges its samples: the best network's fold models."""
    inputs = gan_inputs(config, wildcards)
    inputs["generator"] = f"{GENERATED_DIR}/generator.pt".format(task=wildcards.task)
    inputs["leaderboard"] = LEADERBOARD.format(task=wildcards.task)
    inputs["models"] = model_files(config, wildcards.task, network_architectures(config, wildcards))
    return inputs


def model_file(config, task, arch, fold):
    name = "model.joblib" if is_tabular(model_name(config, arch)) else "model.pt"
    return f"{MODEL_DIR}/{name}".format(task=task, arch=arch, fold=fold)


def model_files(config, task, architectures):
    """Every fold model of each of `architectures`."""
    return [
        model_file(config, task, arch, fold)
        for arch in architectures
        for fold in range(fold_count(config, task))
    ]


def scoring_inputs(config, task, members):
    """What scoring rows with `task`'s models reads: every fold model of each member, the
    vocabularies, the feature settings and the ensemble weights (when all members are scored).
    """
    inputs = {
        **tensors(task, "vocab"),
        "models": model_files(config, task, members),
    }
    if has_features(config, task):
        inputs["spec"] = f"{FEATURES}/features.json".format(task=task)
    ensemble = ensemble_members_of(config["tasks"][task])
    if ensemble and set(ensemble) <= set(members):
        inputs["weights"] = f"{ENSEMBLE_DIR}/weights.json".format(task=task)
    return inputs


def raw_files(config, task):
    kind = TASK_KINDS[config["tasks"][task]["kind"]]
    return [raw_file(config, task, name) for name in kind.files(config["tasks"][task])]


def cross_pair(config, wildcards):
    return config["cross_evaluation"][wildcards.pair]


def cross_members(config, wildcards):
    pair = cross_pair(config, wildcards)
    return pair.get("architectures") or config["tasks"][pair["train"]]["architectures"]


def cross_inputs(config, wildcards):
    pair = cross_pair(config, wildcards)
    inputs = scoring_inputs(config, pair["train"], cross_members(config, wildcards))
    inputs["raw"] = raw_files(config, pair["evaluate"])
    return inputs


def task_reading(config, name):
    """What reading a task's raw files again takes: its name, kind and data settings."""
    return {"name": name, "kind": config["tasks"][name]["kind"], "data": task_data_of(config, name)}


def cross_evaluated_task(config, wildcards):
    """The evaluated task's kind and data settings."""
    return task_reading(config, cross_pair(config, wildcards)["evaluate"])


def screen_config(config, wildcards):
    return config["screen"][wildcards.screen]


def screen_members(config, wildcards):
    return ensemble_members_of(config["tasks"][screen_config(config, wildcards)["task"]])


def screen_inputs(config, wildcards):
    screen = screen_config(config, wildcards)
    inputs = scoring_inputs(config, screen["task"], screen_members(config, wildcards))
    inputs["raw"] = raw_files(config, screen["task"])
    if screen["transcript"].get("fasta"):
        inputs["fasta"] = screen["transcript"]["fasta"]
    return inputs


def screen_task(config, wildcards):
    return task_reading(config, screen_config(config, wildcards)["task"])


def predict_config(config, wildcards):
    return config["predict"][wildcards.job]


def predict_members(config, wildcards):
    """Every architecture the job may use: `best` follows the leaderboard, so all of them."""
    job = predict_config(config, wildcards)
    task = config["tasks"][job["task"]]
    if job["model"] == "best":
        return task["architectures"]
    if job["model"] == "ensemble":
        return ensemble_members_of(task)
    return [job["model"]]


def predict_inputs(config, wildcards):
    job = predict_config(config, wildcards)
    inputs = scoring_inputs(config, job["task"], predict_members(config, wildcards))
    # chromosome_aliases is a file only when a string (else a mapping in the config).
    named = ("file", "genome", "chromosome_aliases")
    inputs["sequences"] = sorted(
        {job["input"][k] for k in named if isinstance(job["input"].get(k), str)}
    )
    inputs.update(tensors(job["task"], "train"))
    if job["model"] == "best":
        inputs["leaderboard"] = LEADERBOARD.format(task=job["task"])
    return inputs


def predict_scoring(config, wildcards):
    return scoring(config["tasks"][predict_config(config, wildcards)["task"]]).as_params()


def all_predictions(config):
    return [f"{PREDICT_DIR}/predictions.csv".format(job=job) for job in config["predict"]]


def variants_config(config, wildcards):
    return config["variants"][wildcards.job]


def variants_members(config, wildcards):
    """`best` follows the leaderboard, so every architecture may be the one used."""
    job = variants_config(config, wildcards)
    if job["model"] == "best":
        return config["tasks"][job["task"]]["architectures"]
    return [job["model"]]


def variants_inputs(config, wildcards):
    job = variants_config(config, wildcards)
    table = job.get("table") or {}
    files = [job.get("vcf"), job.get("genome"), table.get("file"), table.get("fasta")]
    task = job["task"]
    return {
        **tensors(task, "vocab"),
        "leaderboard": LEADERBOARD.format(task=task),
        "models": model_files(config, task, variants_members(config, wildcards)),
        "variants": [f for f in files if f],
    }


def all_variant_effects(config):
    return [f"{VARIANTS_DIR}/effects.csv".format(job=job) for job in config["variants"]]


def task_data_of(config, name):
    return data_settings(config["tasks"][name])


def all_screens(config):
    return [f"{SCREEN_DIR}/candidates.csv".format(screen=screen) for screen in config["screen"]]


def trained_runs(config, wildcards):
    """The run record of every model of the task (architecture x fold)."""
    task = wildcards.task
    return [
        f"{MODEL_DIR}/run.json".format(task=task, arch=arch, fold=fold)
        for arch in task_architectures(config, wildcards)
        for fold in range(fold_count(config, task))
    ]


# --- Tuning (tune.smk) ---------------------------------------------------------------------


def is_tuned(config, task, arch):
    """Whether `arch` is tuned on `task` before it trains (the task's `tune`)."""
    return arch in config["tasks"][task].get("tune", {}).get("architectures", [])


def tuned_architectures(config, wildcards):
    """The task's architectures tuned before training ([] when none)."""
    return list(config["tasks"][wildcards.task].get("tune", {}).get("architectures", []))


def tune_settings(config, wildcards):
    """The task's `tune` block less the architecture list (`tuning.TuneSettings`' fields)."""
    tune = config["tasks"][wildcards.task]["tune"]
    return {key: value for key, value in tune.items() if key != "architectures"}


def tune_space(config, wildcards):
    return search_space(config, wildcards.arch)


def tune_workers(config, wildcards):
    """Every trial process of one fold's study."""
    workers = config["tasks"][wildcards.task]["tune"].get("workers", 1)
    return [f"{TUNE_DIR}/worker{worker}.json".format(**wildcards) for worker in range(workers)]


def tune_trial_inputs(config, wildcards):
    """The encoded tensors a trial trains on, and the study's journal it writes to."""
    return {
        **tensors(wildcards.task, "train", "test", "vocab"),
        "journal": f"{TUNE_DIR}/journal.log".format(**wildcards),
    }


def all_tuned_of(config, wildcards=None):
    """The `tune` target: every tuned fold's best values, of every task."""
    return all_tuned(config)


def all_tuned(config):
    """Every tuned fold's best values, of every task."""
    return [
        f"{TUNE_DIR}/best.json".format(task=task, arch=arch, fold=fold)
        for task, settings in config["tasks"].items()
        for arch in settings.get("tune", {}).get("architectures", [])
        for fold in range(fold_count(config, task))
    ]
