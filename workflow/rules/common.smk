# Config validation, result paths and input functions: the only Python the rules need.
import os
import sys
from pathlib import Path

from dlgenomics import InputError
from dlgenomics.data.download import dataset_file
from dlgenomics.models.architectures import TABULAR_SETTINGS, is_tabular, needs_pretraining
from dlgenomics.config import (
    data_settings,
    ensemble_members_of,
    ensemble_settings,
    is_multitask,
    model_name,
    model_settings,
    training_gpus,
    training_settings,
    validate_config,
)
from dlgenomics.metrics import TRACK_FIGURE_METRICS, classifies
from dlgenomics.data.download import (
    MIRROR_ENV_VAR,
    DownloadError,
    check_verified,
    local_origin,
    origin_stamp,
    resolve_mirrors,
)
from dlgenomics.data.schema import TARGET_CONTEXT
from dlgenomics.steps import check_log_folders
from dlgenomics.tasks.base import SIMULATED_FILE
from dlgenomics.tasks.kinds import TASK_KINDS, label_scale, scoring
from snakemake.exceptions import WorkflowError

RAW_DIR = "resources/data"


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


try:
    CONFIG_SOURCE = " + ".join(map(str, workflow.configfiles)) or "config"
    validate_config(config, CONFIG_SOURCE)
    # Before Snakemake plans anything: a changed checksum must not delete a verified file.
    check_verified(pinned_files(config, CONFIG_SOURCE))
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


def task_config(wildcards):
    return config["tasks"][wildcards.task]


def task_data(wildcards):
    """What the data steps depend on (not the architectures trained on the data)."""
    return data_settings(task_config(wildcards))


def task_kind(wildcards):
    return task_config(wildcards)["kind"]


def task_architectures(wildcards):
    return task_config(wildcards)["architectures"]


def fold_count(task):
    return config["tasks"][task]["split"]["folds"]


def raw_file(task, name):
    """A file the task names (`<file>` of its dataset, or `<dataset>/<file>`), downloaded."""
    dataset, file = dataset_file(name, config["tasks"][task].get("dataset"))
    return f"{RAW_DIR}/{dataset}/{file}"


def encode_files(wildcards):
    """Every raw file the task's kind reads, by the name the task gives it, through the
    download (or simulate) rule."""
    kind = TASK_KINDS[task_kind(wildcards)]
    if kind.simulated:
        simulated = f"{SIMULATED_DIR}/{SIMULATED_FILE}".format(task=wildcards.task)
        return {SIMULATED_FILE: simulated}
    names = kind.files(task_config(wildcards))
    return {name: raw_file(wildcards.task, name) for name in names}


def encode_inputs(wildcards):
    return list(encode_files(wildcards).values())


def simulate_settings(wildcards):
    return task_config(wildcards)["simulate"]


def download_spec(wildcards):
    return config["datasets"][wildcards.dataset]["files"][wildcards.file]


def _download_origin(wildcards):
    """The local file an unpinned dataset file is copied from (None for a pinned file)."""
    return local_origin(
        Path(RAW_DIR, wildcards.dataset, wildcards.file),
        wildcards.dataset,
        download_spec(wildcards),
        resolve_mirrors(config["mirror"]),
    )


def download_origin(wildcards):
    """An input of the download, so Snakemake names it when it reruns the download."""
    origin = _download_origin(wildcards)
    return [] if origin is None else [str(origin)]


def download_origin_stamp(wildcards):
    """A parameter of the download: any change of the origin's size or mtime reruns it."""
    return origin_stamp(_download_origin(wildcards))


def train_settings(wildcards):
    """A job's training settings: the architecture's overrides where it trains one, else the
    task's (train_gan)."""
    return training_settings(config, wildcards.task, wildcards.get("arch"))


def tabular_settings(wildcards):
    """The training settings gradient boosting reads (tabular.TABULAR_SETTINGS)."""
    settings = train_settings(wildcards)
    return {key: settings.get(key) for key in TABULAR_SETTINGS}


def train_threads(wildcards):
    return train_settings(wildcards)["threads"]


def train_gpus(wildcards):
    """GPUs a network's training job holds (config.training_gpus): the `gpu` resource keeps
    two jobs off one GPU on a workstation (profile `resources: gpu=N`) and becomes `--gpus=1`
    on SLURM."""
    return training_gpus(train_device(wildcards), config["gpu_nodes"])


def train_device(wildcards):
    return train_settings(wildcards)["device"]


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
    if TARGET_CONTEXT in (arch_params(wildcards).get("inputs") or []):
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(
            task=wildcards.task
        )
        inputs["features_test"] = f"{FEATURES}/test.parquet".format(task=wildcards.task)
        inputs["features_spec"] = f"{FEATURES}/features.json".format(
            task=wildcards.task
        )
    return inputs


def has_features(task):
    """Whether the task gets the siRNA features file (design rules, target site)."""
    return TASK_KINDS[config["tasks"][task]["kind"]].sirna_features


def tabular_inputs(wildcards):
    """Encoded tensors, plus the siRNA features where the task has them."""
    inputs = {
        "train": f"{ENCODED}/train.parquet".format(task=wildcards.task),
        "test": f"{ENCODED}/test.parquet".format(task=wildcards.task),
        "vocab": f"{ENCODED}/vocab.json".format(task=wildcards.task),
    }
    if has_features(wildcards.task):
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(
            task=wildcards.task
        )
        inputs["features_test"] = f"{FEATURES}/test.parquet".format(task=wildcards.task)
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


def ensemble_members(wildcards):
    """Architectures the task's ensemble combines ([] when it has none)."""
    return ensemble_members_of(config["tasks"][wildcards.task])


def ensemble_fit(wildcards):
    """How the task's ensemble is fitted (weights, top): `ensemble` as a mapping."""
    return ensemble_settings(config["tasks"][wildcards.task])


def ensemble_inputs(wildcards):
    return expand(
        f"{EVAL_DIR}/predictions.parquet",
        task=wildcards.task,
        arch=ensemble_members(wildcards),
    )


def ranked_names(wildcards):
    """What the leaderboard ranks: the task's architectures, then its ensemble if any."""
    return task_architectures(wildcards) + (
        ["ensemble"] if ensemble_members(wildcards) else []
    )


def _evaluated(wildcards, name):
    """Per ranked name, its evaluation file `name` (metrics.json or predictions.parquet)."""
    return [
        (
            f"{ENSEMBLE_DIR}/{name}".format(task=wildcards.task)
            if arch == "ensemble"
            else f"{EVAL_DIR}/{name}".format(task=wildcards.task, arch=arch)
        )
        for arch in ranked_names(wildcards)
    ]


def architecture_metrics(wildcards):
    return _evaluated(wildcards, "metrics.json")


def architecture_predictions(wildcards):
    return _evaluated(wildcards, "predictions.parquet")


def task_scoring(wildcards):
    """Objective, metric family, selection metric and metric options (objectives.Scoring):
    a parameter of every rule they affect, so changing one reruns exactly those."""
    return scoring(task_config(wildcards)).as_params()


def task_label_scale(wildcards):
    """A user's siRNA table's label scale (None otherwise): predictions are written in it too."""
    return label_scale(task_config(wildcards))


def submission_inputs(wildcards):
    inputs = {
        "leaderboard": f"results/{wildcards.task}/leaderboard.csv",
        "predictions": _evaluated(wildcards, "predictions.parquet"),
    }
    sample = TASK_KINDS[task_kind(wildcards)].submission_sample
    if sample:
        inputs["sample"] = raw_file(wildcards.task, sample)
    return inputs


# --- Figures and interpretation ---------------------------------------------------------------


def figure_inputs(wildcards):
    """Leaderboard (which is best), every ranked name's predictions, and encode's summary
    (which test rows came from which test file)."""
    return {
        "leaderboard": f"results/{wildcards.task}/leaderboard.csv",
        "predictions": _evaluated(wildcards, "predictions.parquet"),
        "encode_summary": f"{ENCODED}/summary.json".format(task=wildcards.task),
    }


def networks_of(task):
    """The task's architectures that are networks (attribution needs gradients)."""
    return [
        a
        for a in config["tasks"][task]["architectures"]
        if not is_tabular(model_name(config, a))
    ]


def network_architectures(wildcards):
    return networks_of(wildcards.task)


def interpret_inputs(wildcards):
    """Leaderboard (which network is best), held-out tensors (and the training tensors, whose
    out-of-fold rows are explained when there are no test rows), every network's fold models;
    the simulated motifs, and siRNA features for networks reading the target site."""
    task = wildcards.task
    inputs = {
        "leaderboard": f"results/{task}/leaderboard.csv",
        "test": f"{ENCODED}/test.parquet".format(task=task),
        "train": f"{ENCODED}/train.parquet".format(task=task),
        "vocab": f"{ENCODED}/vocab.json".format(task=task),
        "models": [
            model_file(task, a, f)
            for a in network_architectures(wildcards)
            for f in range(fold_count(task))
        ],
    }
    if TASK_KINDS[task_kind(wildcards)].simulated:
        inputs["motifs"] = f"{SIMULATED_DIR}/motifs.json".format(task=task)
    if has_features(task):
        inputs["features"] = f"{FEATURES}/test.parquet".format(task=task)
        inputs["features_train"] = f"{FEATURES}/train.parquet".format(task=task)
    return inputs


def export_inputs(wildcards):
    """Leaderboard (which network is best), every network's fold models, and the encode
    summary (the training files' sha256, for the model card)."""
    task = wildcards.task
    return {
        "leaderboard": f"results/{task}/leaderboard.csv",
        "summary": f"{ENCODED}/summary.json".format(task=task),
        "models": [
            model_file(task, a, f)
            for a in network_architectures(wildcards)
            for f in range(fold_count(task))
        ],
    }


def interpretation_settings(wildcards):
    return task_config(wildcards).get("interpretation", {})


def outputs_of(rule, **wildcards):
    """Every output of a rule (`rules.<name>`) with these wildcards filled in."""
    return expand(list(rule.output), **wildcards)


def trained_outputs(task, arch):
    """Every file training `arch` on `task` makes: its pretraining, its fold models, their
    histories, predictions and run records, and its evaluation."""
    model_rule = (
        rules.train_tabular if is_tabular(model_name(config, arch)) else rules.train
    )
    outputs = outputs_of(model_rule, task=task, arch=arch, fold=range(fold_count(task)))
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
    if has_features(task):
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
    if kind.has_sequences and networks_of(task):
        outputs += outputs_of(rules.interpret, task=task)
        outputs += outputs_of(rules.export, task=task)
    if "design" in settings:
        outputs += outputs_of(rules.train_gan, task=task)
        outputs += outputs_of(rules.generate, task=task)
    return outputs


# --- Sequence design (generate.smk) -----------------------------------------------------------


def design_settings(wildcards):
    return task_config(wildcards)["design"]


def design_objective(wildcards):
    """The objective's name: it chooses the training rows learnt and the prediction judged."""
    return scoring(task_config(wildcards)).objective_name


def known_consensus(wildcards):
    return interpretation_settings(wildcards).get("known_motif")


def gan_inputs(wildcards):
    """The training sequences to learn; a simulated task's matrices to judge samples by."""
    inputs = {
        "train": f"{ENCODED}/train.parquet".format(task=wildcards.task),
        "vocab": f"{ENCODED}/vocab.json".format(task=wildcards.task),
    }
    if TASK_KINDS[task_kind(wildcards)].simulated:
        inputs["motifs"] = f"{SIMULATED_DIR}/motifs.json".format(task=wildcards.task)
    return inputs


def generate_inputs(wildcards):
    """The trained generator, and what judges its samples: the best network's fold models."""
    inputs = gan_inputs(wildcards)
    inputs["generator"] = f"{GENERATED_DIR}/generator.pt".format(task=wildcards.task)
    inputs["leaderboard"] = f"results/{wildcards.task}/leaderboard.csv"
    inputs["models"] = [
        model_file(wildcards.task, a, f)
        for a in network_architectures(wildcards)
        for f in range(fold_count(wildcards.task))
    ]
    return inputs


# --- Scoring new rows with a trained task: cross-dataset evaluation and virtual screens -----

CROSS_DIR = "results/cross/{pair}"
SCREEN_DIR = "results/screen/{screen}"
PREDICT_DIR = "results/predict/{job}"
VARIANTS_DIR = "results/variants/{job}"


def model_file(task, arch, fold):
    name = "model.joblib" if is_tabular(model_name(config, arch)) else "model.pt"
    return f"{MODEL_DIR}/{name}".format(task=task, arch=arch, fold=fold)


def scoring_inputs(task, members):
    """What scoring rows with `task`'s models reads: every fold model of each member, the
    vocabularies, the feature settings and the ensemble weights (when all members are scored).
    """
    inputs = {
        "vocab": f"{ENCODED}/vocab.json".format(task=task),
        "models": [
            model_file(task, a, f) for a in members for f in range(fold_count(task))
        ],
    }
    if has_features(task):
        inputs["spec"] = f"{FEATURES}/features.json".format(task=task)
    ensemble = ensemble_members_of(config["tasks"][task])
    if ensemble and set(ensemble) <= set(members):
        inputs["weights"] = f"{ENSEMBLE_DIR}/weights.json".format(task=task)
    return inputs


def raw_files(task):
    kind = TASK_KINDS[config["tasks"][task]["kind"]]
    return [raw_file(task, name) for name in kind.files(config["tasks"][task])]


def cross_pair(wildcards):
    return config["cross_evaluation"][wildcards.pair]


def cross_members(wildcards):
    pair = cross_pair(wildcards)
    return pair.get("architectures") or config["tasks"][pair["train"]]["architectures"]


def cross_inputs(wildcards):
    pair = cross_pair(wildcards)
    inputs = scoring_inputs(pair["train"], cross_members(wildcards))
    inputs["raw"] = raw_files(pair["evaluate"])
    return inputs


def cross_evaluated_task(wildcards):
    """The evaluated task's kind and data settings, and its metric settings."""
    name = cross_pair(wildcards)["evaluate"]
    return {
        "name": name,
        "kind": config["tasks"][name]["kind"],
        "data": task_data_of(name),
    }


def screen_config(wildcards):
    return config["screen"][wildcards.screen]


def screen_members(wildcards):
    return ensemble_members_of(config["tasks"][screen_config(wildcards)["task"]])


def screen_inputs(wildcards):
    screen = screen_config(wildcards)
    inputs = scoring_inputs(screen["task"], screen_members(wildcards))
    inputs["raw"] = raw_files(screen["task"])
    if screen["transcript"].get("fasta"):
        inputs["fasta"] = screen["transcript"]["fasta"]
    return inputs


def screen_task(wildcards):
    name = screen_config(wildcards)["task"]
    return {
        "name": name,
        "kind": config["tasks"][name]["kind"],
        "data": task_data_of(name),
    }


def predict_config(wildcards):
    return config["predict"][wildcards.job]


def predict_members(wildcards):
    """Every architecture the job may use: `best` follows the leaderboard, so all of them."""
    job = predict_config(wildcards)
    task = config["tasks"][job["task"]]
    if job["model"] == "best":
        return task["architectures"]
    if job["model"] == "ensemble":
        return ensemble_members_of(task)
    return [job["model"]]


def predict_inputs(wildcards):
    job = predict_config(wildcards)
    inputs = scoring_inputs(job["task"], predict_members(wildcards))
    # chromosome_aliases is a file only when a string (else a mapping in the config).
    named = ("file", "genome", "chromosome_aliases")
    inputs["sequences"] = sorted(
        {job["input"][k] for k in named if isinstance(job["input"].get(k), str)}
    )
    inputs["train"] = f"{ENCODED}/train.parquet".format(task=job["task"])
    if job["model"] == "best":
        inputs["leaderboard"] = f"results/{job['task']}/leaderboard.csv"
    return inputs


def predict_scoring(wildcards):
    return scoring(config["tasks"][predict_config(wildcards)["task"]]).as_params()


def all_predictions():
    return expand(f"{PREDICT_DIR}/predictions.csv", job=list(config["predict"]))


def variants_config(wildcards):
    return config["variants"][wildcards.job]


def variants_members(wildcards):
    """`best` follows the leaderboard, so every architecture may be the one used."""
    job = variants_config(wildcards)
    if job["model"] == "best":
        return config["tasks"][job["task"]]["architectures"]
    return [job["model"]]


def variants_inputs(wildcards):
    job = variants_config(wildcards)
    table = job.get("table") or {}
    files = [job.get("vcf"), job.get("genome"), table.get("file"), table.get("fasta")]
    task = job["task"]
    return {
        "vocab": f"{ENCODED}/vocab.json".format(task=task),
        "leaderboard": f"results/{task}/leaderboard.csv",
        "models": [
            model_file(task, a, f)
            for a in variants_members(wildcards)
            for f in range(fold_count(task))
        ],
        "variants": [f for f in files if f],
    }


def all_variant_effects():
    return expand(f"{VARIANTS_DIR}/effects.csv", job=list(config["variants"]))


def task_data_of(name):
    return data_settings(config["tasks"][name])


def all_screens():
    return expand(f"{SCREEN_DIR}/candidates.csv", screen=list(config["screen"]))


def trained_runs(wildcards):
    """The run record of every model of the task (architecture x fold)."""
    return expand(
        f"{MODEL_DIR}/run.json",
        task=wildcards.task,
        arch=task_architectures(wildcards),
        fold=range(fold_count(wildcards.task)),
    )


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
