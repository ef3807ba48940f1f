"""End to end: the real snakemake CLI on the tiny config, data through the mirror."""

from __future__ import annotations

import json
import re
from copy import deepcopy

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, snakemake

from dlgenomics.config import ensemble_members_of, validate_config
from dlgenomics.data.schema import read_tensors
from dlgenomics.metrics import binary_metrics, is_better, sirna_metrics
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.tasks.objectives import Scoring

TINY = yaml.safe_load((REPO / "tests" / "data" / "tiny.yaml").read_text())
# Each tiny task's scoring, from the validated config (defaults filled in).
SCORING = {name: scoring(task) for name, task in validate_config(deepcopy(TINY))["tasks"].items()}


def test_dry_run_plans_every_stage(tmp_path, mirror):
    default = str(REPO / "config" / "config.yaml")
    result = snakemake("-n", "--configfile", default, workdir=tmp_path, mirror=mirror)
    assert result.returncode == 0, result.stderr[-2000:]
    stats = result.stdout.split("Job stats:")[1].split("\n\n")[0]
    counts = dict(line.split() for line in stats.splitlines()[3:])
    # siRNA tasks: 13 networks and 2 gradient-boosting models on 5 gene folds and on 1 random
    # hold-out; primer: 9 networks and 1 gradient-boosting model on 5 folds; the simulated
    # motifs: generated, then 4 networks on 5 folds, no ensemble. One encoder pretrained per
    # task for transfer learning; features and the LDHA screen for siRNA; figures and the
    # interpretation of the best network for every task; a provenance page per task and one
    # benchmark summary for the run; a GAN trained and its designs judged for both binding
    # tasks; each task's chosen network exported; each label's figures of the simulated task.
    assert counts == {
        "download": "5", "simulate": "1", "encode": "4", "features": "2", "pretrain": "3",
        "train": str(13 * 5 + 13 * 1 + 9 * 5 + 4 * 5),
        "train_tabular": str(2 * 5 + 2 * 1 + 1 * 5),
        "evaluate": str(15 + 15 + 10 + 4), "ensemble": "3", "leaderboard": "4",
        "submission": "4", "classification_figures": "4", "interpret": "4", "export": "4",
        "screen_transcript": "1", "provenance": "4", "benchmarks": "1", "train_gan": "2",
        "generate": "2", "track_figures": "1", "all": "1", "total": "254",
    }  # fmt: skip


def test_outputs_exist(tiny_run):
    for task, settings in TINY["tasks"].items():
        root = tiny_run / "results" / task
        for name in ("leaderboard.csv", "leaderboard.md", "submission.csv", "provenance.json"):
            assert (root / name).stat().st_size > 0
        # The provenance page lists every trained model with the device it ran on.
        provenance = json.loads((root / "provenance.json").read_text())
        trained = {(run["architecture"], run["fold"]) for run in provenance["training"]}
        assert trained == {(a, f) for a in settings["architectures"] for f in (0, 1)}
        assert all(run["device"].startswith("cpu") for run in provenance["training"])
        for arch in settings["architectures"]:
            model = "model.joblib" if arch.startswith("gbm") else "model.pt"
            for fold in (0, 1):
                folder = root / "models" / arch / f"fold{fold}"
                for name in (model, "history.csv", "predictions.parquet", "run.json"):
                    assert (folder / name).stat().st_size > 0
                assert not (folder / "resume.pt").exists()  # removed by the finished job
            for name in ("learning_curves.png", "predictions.png"):
                assert (root / "evaluation" / arch / name).read_bytes()[:4] == b"\x89PNG"
    run = json.loads((tiny_run / "results/sirna/models/mlp/fold0/run.json").read_text())
    assert run["seed"] == 0 and run["versions"]["torch"] and run["settings"]["max_epochs"] == 6
    # Transfer learning went through its own rule; the scratch twin did not use it.
    pretrained = tiny_run / "results/sirna/pretrain/autoencoder"
    assert (pretrained / "encoder.pt").stat().st_size > 0
    models = tiny_run / "results/sirna/models"
    transfer = json.loads((models / "autoencoder/fold0/run.json").read_text())
    scratch = json.loads((models / "autoencoder_scratch/fold0/run.json").read_text())
    assert transfer["pretrained"].endswith("pretrain/autoencoder/encoder.pt")
    assert scratch["pretrained"] is None
    assert not (tiny_run / "results/sirna/pretrain/autoencoder_scratch").exists()


def _trivial_predictions(train: dict[str, np.ndarray], scoring: Scoring) -> np.ndarray:
    """Per validation fold, the best constant learnt from the other folds: the training mean,
    or for classes the training share of each class (per label for several): the best constant
    for log loss, and on the majority class's side for accuracy."""
    n_outputs = max(1, scoring.objective.n_outputs(scoring.labels))
    target = scoring.objective.ensemble_target(train["target"], n_outputs)
    predictions = np.zeros(target.shape)
    for fold in np.unique(train["fold"]):
        rows = train["fold"] == fold
        predictions[rows] = target[~rows].mean(axis=0)
    return predictions if predictions.shape[1] > 1 else predictions[:, 0]


@pytest.mark.parametrize(
    "task,arch",
    [(task, arch) for task, spec in TINY["tasks"].items() for arch in spec["architectures"]],
)
def test_every_architecture_beats_a_trivial_predictor(tiny_run, task, arch):
    task_scoring = SCORING[task]
    train = read_tensors(tiny_run / f"results/{task}/encoded/train.parquet")
    validated = train["fold"] >= 0
    trivial = task_scoring.metrics(
        train["target"][validated], _trivial_predictions(train, task_scoring)[validated]
    )[task_scoring.selection]
    result = json.loads((tiny_run / f"results/{task}/evaluation/{arch}/metrics.json").read_text())
    achieved = result["oof"][task_scoring.selection]
    assert is_better(task_scoring.selection, achieved, trivial), (achieved, trivial)
    assert result["oof_rows"] == validated.sum()


def test_competition_submission_keeps_rows_and_columns(tiny_run, mirror):
    sample = pd.read_csv(mirror / "sirna_competition" / "sample_submission.csv.gz", dtype=str,
                         keep_default_na=False)  # fmt: skip
    submission = pd.read_csv(tiny_run / "results/sirna/submission.csv", dtype=str,
                             keep_default_na=False)  # fmt: skip
    assert list(submission.columns) == list(sample.columns)
    assert len(submission) == len(sample) == 4874
    others = [c for c in sample.columns if c != "mRNA_remaining_pct"]
    pd.testing.assert_frame_equal(submission[others], sample[others])
    filled = submission["mRNA_remaining_pct"].astype(float)
    assert np.isfinite(filled).all() and filled.std() > 0


def test_metrics_are_finite_and_beat_a_constant_predictor(tiny_run):
    board = pd.read_csv(tiny_run / "results/sirna/leaderboard.csv")
    assert set(board["architecture"]) == {*TINY["tasks"]["sirna"]["architectures"], "ensemble"}
    assert np.isfinite(board.filter(like="oof_").to_numpy()).all()
    oof = pd.read_parquet(tiny_run / "results/sirna/evaluation/mlp/predictions.parquet")
    oof = oof[oof["role"] == "oof"]
    # The best constant for MAE is the median: the model must beat it out of fold.
    constant = np.full(len(oof), oof["target"].median())
    assert board["oof_mae"].min() < sirna_metrics(oof["target"].to_numpy(), constant)["mae"]

    primer = pd.read_csv(tiny_run / "results/primer/leaderboard.csv")
    test = pd.read_csv(tiny_run / "results/primer/submission.csv")
    majority = max(test["target"].mean(), 1 - test["target"].mean())
    assert primer["test_accuracy"].max() > majority + 0.1
    best = primer.iloc[0]
    recomputed = binary_metrics(test["target"].to_numpy(), test["prediction"].to_numpy())
    assert recomputed["accuracy"] == pytest.approx(best["test_accuracy"], abs=1e-4)


def test_second_run_has_nothing_to_do(tiny_run, mirror):
    result = snakemake("-n", "--configfile", str(tiny_run / "tiny.yaml"),
                       "--replace-workflow-config", workdir=tiny_run, mirror=mirror)  # fmt: skip
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_networks_learning_rate_leaves_gradient_boosting_alone(tiny_run, mirror, tmp_path):
    """Gradient boosting reads `loss` and `target_clip` of the training settings only: a new
    learning rate reruns the networks' training, not the boosted models'. (A dry run: the
    shared run's outputs are not touched.)"""
    config = yaml.safe_load((tiny_run / "tiny.yaml").read_text())
    config["training"]["learning_rate"] = 0.001
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--configfile", str(tmp_path / "changed.yaml"),
                       "--replace-workflow-config", workdir=tiny_run, mirror=mirror)  # fmt: skip
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned[-2000:]
    assert re.search(r"^(local)?rule train:", planned, re.M)
    assert not re.search(r"^(local)?rule train_tabular:", planned, re.M)


def test_leaderboards_rank_every_architecture_and_the_ensemble(tiny_run):
    for task, settings in TINY["tasks"].items():
        board = pd.read_csv(tiny_run / f"results/{task}/leaderboard.csv")
        expected = set(settings["architectures"])
        if ensemble_members_of(settings):  # none: one architecture, or several labels per row
            expected.add("ensemble")
        assert set(board["architecture"]) == expected, task
    weights = json.loads((tiny_run / "results/sirna/ensemble/weights.json").read_text())
    assert set(weights["members"]) == set(TINY["tasks"]["sirna"]["architectures"])
    assert sum(weights["weights"].values()) == pytest.approx(1.0)
    assert min(weights["weights"].values()) >= 0
    # The ensemble's out-of-fold rows are exactly the members' out-of-fold rows.
    ensemble = pd.read_parquet(tiny_run / "results/sirna/ensemble/predictions.parquet")
    member = pd.read_parquet(tiny_run / "results/sirna/evaluation/mlp/predictions.parquet")
    for role in ("oof", "test"):
        assert sorted(ensemble[ensemble["role"] == role]["row_id"]) == sorted(
            member[member["role"] == role]["row_id"]
        )


def test_features_flag_rows_without_a_target_site(tiny_run):
    log = (tiny_run / "logs/features/sirna.log").read_text()
    assert "rows flagged: target sequence missing" in log
    features = read_tensors(tiny_run / "results/sirna/features/train.parquet", required=("row_id",))
    encoded = read_tensors(tiny_run / "results/sirna/encoded/train.parquet")
    np.testing.assert_array_equal(features["row_id"], encoded["row_id"])
    # Most competition guides have an exact site in their gene's mRNA.
    assert features["feat_site_found"].mean() > 0.8


def test_user_table_is_mapped_trained_and_reported(tiny_run):
    board = pd.read_csv(tiny_run / "results/lab/leaderboard.csv")
    # Efficacy labels: correlations and ranking of effective rows, no official score.
    assert {"oof_spearman", "oof_pearson", "oof_auroc", "oof_auprc"} <= set(board.columns)
    assert "oof_score" not in board.columns
    assert board["oof_spearman"].max() > 0.3
    vocab = json.loads((tiny_run / "results/lab/encoded/vocab.json").read_text())
    assert vocab["metric_options"] == {"threshold": 30.0, "inclusive": True, "official": False}
    submission = pd.read_csv(tiny_run / "results/lab/submission.csv")
    assert len(submission) == 99 and np.isfinite(submission["prediction"]).all()


def test_published_table_runs_as_it_comes(tiny_run):
    """X-padded target windows, two fixed test files and no gene column, with no hand edits:
    folds grouped by shared context, each test file scored in its own columns, predictions in
    the table's own scale (inhibition %)."""
    root = tiny_run / "results/published"
    summary = json.loads((root / "encoded/summary.json").read_text())
    assert summary["leak"]["these_folds"] == 0.0 and summary["leak"]["random_folds"] > 0.9
    board = pd.read_csv(root / "leaderboard.csv")
    assert set(board["architecture"]) == {"mlp", "gbm", "ensemble"}
    for name in ("published_sirna_test_a", "published_sirna_test_b"):
        assert np.isfinite(board[f"test[{name}]_spearman"]).all()
    # The label follows a rule of the guide's bases: learnt across unseen transcripts.
    assert board["test[published_sirna_test_a]_spearman"].max() > 0.3
    notes = (root / "leaderboard.md").read_text()
    mae_note = "`mae`: mean absolute error of the predictions, % mRNA remaining; lower is better"
    assert mae_note in notes
    # How sure are we: each row's interval and its paired comparison with the best.
    assert board.loc[0, "vs_best"] == "best"
    assert set(board["vs_best"]) <= {"best", "tied", "worse"}
    assert (board["oof_spearman_ci_low"] < board["oof_spearman_ci_high"]).all()
    assert "`vs_best`" in notes
    # Training logs: one plain line per epoch, no progress bars.
    log = (tiny_run / "logs/train/published/mlp/fold0.log").read_text()
    assert "mlp fold 0: epoch 1/" in log and "at most" in log and "\r" not in log
    # Provenance shows the task's own settings, the run's config is on the benchmarks page.
    page = (root / "provenance.html").read_text()
    assert "published_sirna_train.csv" in page and "example_sirna_table.csv" not in page
    run_page = (tiny_run / "results/benchmarks/summary.html").read_text()
    assert "example_sirna_table.csv" in run_page and "published_sirna_train.csv" in run_page
    submission = pd.read_csv(root / "submission.csv")
    assert len(submission) == 166
    np.testing.assert_allclose(
        submission["prediction_efficacy_percent"], 100 - submission["prediction"], atol=1e-6
    )


def test_cross_dataset_pair_scores_every_labelled_row(tiny_run):
    board = pd.read_csv(tiny_run / "results/cross/sirna_to_lab/leaderboard.csv")
    trained = set(TINY["tasks"]["sirna"]["architectures"])
    assert set(board["architecture"]) == trained | {"ensemble"}
    assert (board["rows"] == 396).all()  # every labelled row of the example table
    assert np.isfinite(board["spearman"]).all()
    scores = pd.read_parquet(tiny_run / "results/cross/sirna_to_lab/predictions.parquet")
    assert len(scores) == 396 and np.isfinite(scores[sorted(trained)].to_numpy()).all()
    log = (tiny_run / "logs/cross/sirna_to_lab.log").read_text()
    filled = log.split("filled as missing: ")[1].splitlines()[0].split(", ")
    assert sorted(filled) == ["mod_antisense", "mod_sense"]  # the example table has none


def test_screen_scores_every_site_of_the_transcript(tiny_run):
    transcript = "".join(
        line.strip()
        for line in (REPO / "tests/data/short_transcript.fa").read_text().splitlines()
        if not line.startswith(">")
    )
    table = pd.read_csv(tiny_run / "results/screen/short/candidates.csv")
    sites = len(transcript) - 19 + 1
    assert sorted(table["position"]) == list(range(1, sites + 1))
    assert list(table["rank"]) == list(range(1, sites + 1))
    assert table["predicted_ensemble"].is_monotonic_increasing
    for _, row in table.iterrows():
        start = row["position"] - 1
        assert row["target_site"] == transcript[start : start + 19]
    assert np.isfinite(table.filter(like="predicted_").to_numpy()).all()
    plot = tiny_run / "results/screen/short/knockdown.png"
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_classification_figures_for_every_task_with_classes(tiny_run):
    for task in TINY["tasks"]:
        figures = tiny_run / "results" / task / "figures"
        if SCORING[task].family == "regression":
            assert not figures.exists(), task  # the formula task has no classes
            continue
        for name in ("roc.png", "pr.png", "confusion.png"):
            assert (figures / name).read_bytes()[:4] == b"\x89PNG", (task, name)


def test_multi_label_task_reports_each_factor(tiny_run):
    board = pd.read_csv(tiny_run / "results/motifs/leaderboard.csv")
    for label in ("gata1", "tal1", "composite"):
        for metric in ("auroc", "auprc"):
            assert np.isfinite(board[f"oof_{metric}_{label}"]).all()
    # The overall AUROC is the mean of the three.
    per_label = board[["oof_auroc_gata1", "oof_auroc_tal1", "oof_auroc_composite"]]
    np.testing.assert_allclose(board["oof_auroc"], per_label.mean(axis=1), atol=1e-4)
    assert board["oof_auroc_tal1"].max() > 0.9  # the sharper motif is learnt in the tiny run
    submission = pd.read_csv(tiny_run / "results/motifs/submission.csv")
    expected = [
        f"{c}_{label}" for c in ("prediction", "target") for label in ("gata1", "tal1", "composite")
    ]
    assert list(submission.columns) == ["row_id", *expected]
    truth = pd.read_csv(tiny_run / "results/motifs/simulated/sequences.csv").set_index("row_id")
    for label in ("gata1", "tal1", "composite"):
        assert (
            submission[f"target_{label}"].to_numpy()
            == truth.loc[submission["row_id"], f"label_{label}"]
        ).all()


def test_interpretation_recovers_the_planted_motifs(tiny_run):
    """The primer's positives carry CGACCGAACTCC; the motifs task's, sites of its JASPAR
    matrices. The motif recovered from the best network's attributions must match."""
    for task, settings in TINY["tasks"].items():
        folder = tiny_run / "results" / task / "interpretation"
        if not TASK_KINDS[settings["kind"]].has_sequences:
            assert not folder.exists()
            continue
        for name in ("logos.png", "attribution_maps.png", "token_attributions.png"):
            assert (folder / name).read_bytes()[:4] == b"\x89PNG", (task, name)
        summary = json.loads((folder / "summary.json").read_text())
        board = pd.read_csv(tiny_run / f"results/{task}/leaderboard.csv")
        networks = [a for a in board["architecture"] if a != "ensemble" and not a.startswith("gbm")]
        # The best network, or the next if those above it read no nucleotides (k-mers only).
        passed_over = [reason.split(":")[0] for reason in summary["passed_over"]]
        assert summary["architecture"] == networks[len(passed_over)]
        assert passed_over == networks[: len(passed_over)]
    primer = json.loads((tiny_run / "results/primer/interpretation/summary.json").read_text())
    head = primer["heads"]["output"]
    assert head["saliency_match"]["known_consensus"] == "CGACCGAACTCC"
    assert head["saliency_match"]["matches"] >= 10 and head["ism_match"]["matches"] >= 10
    motifs = json.loads((tiny_run / "results/motifs/interpretation/summary.json").read_text())
    assert set(motifs["heads"]) == {"gata1", "tal1", "composite"}
    assert motifs["heads"]["tal1"]["saliency_match"]["matrix_id"] == "MA0091.1"
    assert motifs["heads"]["tal1"]["saliency_match"]["matches"] >= 9
    # siRNA: the heatmap covers nucleotides and, for multimodal networks, the chemistry.
    attributions = np.load(tiny_run / "results/sirna/interpretation/attributions.npz")
    assert attributions["saliency_output"].shape[2] == 4


def test_report_shows_curves_logos_and_attribution_maps_of_every_task(tiny_run, mirror):
    report = tiny_run / "report.html"
    result = snakemake("--configfile", str(tiny_run / "tiny.yaml"), "--replace-workflow-config",
                       "--report", str(report), workdir=tiny_run, mirror=mirror)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    html = report.read_text()
    for task, settings in TINY["tasks"].items():
        kind = TASK_KINDS[settings["kind"]]
        shown = [f"results/{task}/evaluation/{settings['architectures'][0]}/learning_curves.png"]
        if SCORING[task].family != "regression":
            shown += [f"results/{task}/figures/{n}.png" for n in ("roc", "pr", "confusion")]
        if kind.has_sequences:
            folder = f"results/{task}/interpretation"
            shown += [
                f"{folder}/{n}.png" for n in ("logos", "attribution_maps", "token_attributions")
            ]
        shown += [f"results/{task}/leaderboard.html", f"results/{task}/provenance.html"]
        if "design" in settings:
            folder = f"results/{task}/generated"
            shown += [f"{folder}/{n}" for n in ("judged.html", "logo.png", "training_curves.png")]
        missing = [path for path in shown if path not in html]
        assert not missing, (task, missing)
    assert "results/benchmarks/summary.html" in html and "results/benchmarks/summary.png" in html


def test_dropped_rows_are_counted_in_the_report(tiny_run):
    """The example table has 4 rows without a label: dropped, and said so on the task's
    provenance page (a report item), as well as in the encode log."""
    summary = json.loads((tiny_run / "results/lab/encoded/summary.json").read_text())
    assert summary["dropped"] == {"example_sirna_table.csv: missing knockdown": 4}
    page = (tiny_run / "results/lab/provenance.html").read_text()
    assert "<td>example_sirna_table.csv: missing knockdown</td>\n      <td>4</td>" in page
    assert "dropped 4 rows" in (tiny_run / "logs/encode/lab.log").read_text()


def test_benchmarks_measure_every_job_of_the_run(tiny_run):
    jobs = pd.read_csv(tiny_run / "results/benchmarks/jobs.csv")
    # One line per job that ran, from each rule's `benchmark:` file, measured.
    trained = sum(2 * len(settings["architectures"]) for settings in TINY["tasks"].values())
    assert (jobs["rule"].isin(["train", "train_tabular"])).sum() == trained
    assert (jobs["rule"] == "download").sum() == sum(
        len(d["files"]) for d in TINY["datasets"].values()
    )
    assert (jobs["seconds"] > 0).all()
    assert jobs.loc[jobs["rule"] == "train", "max_rss_mb"].min() > 50  # torch alone is more
    page = (tiny_run / "results/benchmarks/summary.html").read_text()
    assert "<td>train</td>" in page


@pytest.mark.parametrize("task", [t for t, s in TINY["tasks"].items() if "design" in s])
def test_designed_sequences_are_judged_beside_positives_and_random(tiny_run, task):
    """The GAN chain ran (a few epochs: the figures are the primer acceptance run's job, see
    README) and its table is consistent with the sequences it judged."""
    folder = tiny_run / "results" / task / "generated"
    settings = TINY["tasks"][task]["design"]
    history = pd.read_csv(folder / "history.csv")
    assert list(history["epoch"]) == list(range(1, settings["epochs"] + 1))
    run = json.loads((folder / "run.json").read_text())
    for key in ("epochs", "blocks", "batch_size"):  # the config's keys reached the GAN
        assert run["settings"][key] == settings[key], key
    assert run["settings"]["seed"] == 0
    assert run["versions"]["torch"] and run["bound_training_sequences"] > 0
    assert np.isfinite(history[["critic_loss", "generator_loss"]].to_numpy()).all()
    fasta = (folder / "sequences.fasta").read_text().splitlines()
    assert sum(line.startswith(">") for line in fasta) == settings["samples"]
    sequences = pd.read_parquet(folder / "sequences.parquet")
    assert len(sequences) == settings["samples"]
    assert sequences["sequence"].str.fullmatch("[ACGT]+").all()
    judged = pd.read_csv(folder / "judged.csv").set_index("set")
    assert list(judged.index) == ["generated", "training positives", "random"]
    generated = judged.loc["generated"]
    assert generated["motif_rate"] == pytest.approx(sequences["holds_motif"].mean(), abs=1e-4)
    assert generated["mean_binding_probability"] == pytest.approx(
        sequences["binding_probability"].mean(), abs=1e-4
    )
    # The judges themselves: bound training sequences hold the motif and are called bound;
    # random ones are not.
    positives, random = judged.loc["training positives"], judged.loc["random"]
    assert positives["motif_rate"] > 0.5 > 0.1 > random["motif_rate"]
    assert positives["mean_binding_probability"] > 0.6 > random["mean_binding_probability"]
    assert positives["copies_of_training"] == 1.0 and random["copies_of_training"] == 0.0


def test_multiclass_task_runs_every_stage(tiny_run):
    """The sigma-factor task (six classes from one FASTA file each, the independent set as the
    test file, labels from its headers): per-class metrics, an ensemble of per-class
    probabilities, a K x K confusion matrix, one interpretation head per class, a submission
    with a probability per class, and the scoring recorded with every model."""
    classes = ["24", "28", "32", "38", "54", "70"]
    board = pd.read_csv(tiny_run / "results/sigma/leaderboard.csv")
    assert set(board["architecture"]) == {"cnn", "gbm_bases", "ensemble"}
    for column in ("oof_accuracy", "oof_macro_f1", "oof_mcc", "oof_log_loss", "test_accuracy"):
        assert np.isfinite(board[column]).all(), column
    assert all(f"oof_auroc_{c}" in board for c in classes)
    assert list(board["oof_log_loss"]) == sorted(board["oof_log_loss"])  # the selection metric
    ensemble = pd.read_parquet(tiny_run / "results/sigma/ensemble/predictions.parquet")
    probabilities = np.stack(ensemble["prediction"].to_numpy())
    assert probabilities.shape[1] == len(classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    submission = pd.read_csv(tiny_run / "results/sigma/submission.csv")
    assert len(submission) == 256  # the independent set
    assert [f"prediction_{c}" for c in classes] == [
        c for c in submission.columns if c.startswith("prediction_")
    ]
    # The independent set's headers are its classes: 24 x 30, 28 x 4, 32 x 13, 38 x 10, 70 x 199.
    counts = submission["target_70"].sum(), submission["target_24"].sum()
    assert counts == (199, 30)
    summary = json.loads((tiny_run / "results/sigma/interpretation/summary.json").read_text())
    # The independent set has no sigma54 promoter: that class is skipped, and said so.
    assert set(summary["heads"]) == set(classes) - {"54"}
    assert summary["skipped"] == ["54: no held-out row is positive"]
    run = json.loads((tiny_run / "results/sigma/models/cnn/fold0/run.json").read_text())
    assert run["scoring"]["objective_name"] == "multiclass"
    assert run["scoring"]["selection"] == "log_loss"
    assert (tiny_run / "results/sigma/figures/confusion.png").stat().st_size > 0


def test_binding_task_from_peaks_with_shuffled_negatives(tiny_run):
    """ChIP-seq peaks (positives only) get one dinucleotide-shuffled negative each; the B file
    is the test set; both strands are read (DNA)."""
    vocab = json.loads((tiny_run / "results/chip/encoded/vocab.json").read_text())
    assert vocab["reverse_complement"] is True
    train = read_tensors(tiny_run / "results/chip/encoded/train.parquet")
    shuffled = np.char.find(train["row_id"].astype(str), "|shuffle1") >= 0
    # Every peak is a positive, every shuffle a negative (max_rows samples 1,500 of both).
    assert (train["target"][shuffled] == 0).all() and (train["target"][~shuffled] == 1).all()
    assert 0.4 < shuffled.mean() < 0.6
    board = pd.read_csv(tiny_run / "results/chip/leaderboard.csv")
    assert board["test_auroc"].iloc[0] > 0.6  # SRF's CArG box is learnt even in the tiny run
