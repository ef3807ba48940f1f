"""Honest test rows and complete metrics, through the real CLI (issue 29, items 7 and 8): the
test share is carved the way `split.method` makes folds (whole groups; class shares kept), the
binary leaderboard has MCC, sensitivity and specificity (MCC selectable), a multi-class one
each class's F1, and each test file's leak (rows sharing a 16-nt stretch with a training
row) is reported beside its metrics. One small run serves every test here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PUBLISHED_SIRNA_COLUMNS, REPO, snakemake

from dlgenomics import InputError
from dlgenomics.data.schema import ROW_ID, TARGET, read_tensors
from dlgenomics.data.splits import holdout_test
from dlgenomics.files import column_values

DATA = REPO / "tests" / "data"
ROWS, GROUPS = 120, 12
MOTIFS = {"a": "GATAAG", "b": "CACGTG", "c": ""}
SPLIT = {"folds": 2, "test_fraction": 0.25, "seed": 42}
LEAKED = 40  # training rows copied into the `leaky` test file, beside 40 unseen ones


def motif_table(path: Path) -> pd.DataFrame:
    """24-nt random sequences; the class (a, b, c in turn) is the motif planted in it, the
    binary label is class a (a third of the rows); groups of 10 consecutive rows."""
    rng = np.random.default_rng(0)
    records = []
    for i in range(ROWS):
        family = "abc"[i % 3]
        letters = "".join(rng.choice(list("ACGT"), 24))
        letters = letters[:6] + MOTIFS[family] + letters[6 + len(MOTIFS[family]) :]
        group = f"g{i // (ROWS // GROUPS)}"
        records.append({"name": f"s{i}", "sequence": letters, "family": family,
                        "bound": int(family == "a"), "lab_group": group})  # fmt: skip
    table = pd.DataFrame(records)
    table.to_csv(path, index=False)
    return table


def write_sirna_files_with_a_leak(workdir: Path) -> None:
    """`leaky.csv`: 40 rows of the published training file and 40 of an unseen transcript;
    `clean.csv`: another unseen transcript's rows."""
    train = pd.read_csv(DATA / "published_sirna_train.csv")
    unseen = pd.read_csv(DATA / "published_sirna_test_a.csv").head(LEAKED)
    pd.concat([train.head(LEAKED), unseen]).to_csv(workdir / "leaky.csv", index=False)
    shutil.copy(DATA / "published_sirna_test_b.csv", workdir / "clean.csv")
    shutil.copy(DATA / "published_sirna_train.csv", workdir / "train.csv")


def honest_config(workdir: Path) -> None:
    motif_table(workdir / "motifs.csv")
    write_sirna_files_with_a_leak(workdir)
    source = {"format": "table", "file": "motifs.csv", "sequence": "sequence", "id": "name"}
    files = {name: {"sources": [str(workdir / name)]} for name in ("train.csv", "leaky.csv",
                                                                   "clean.csv")}  # fmt: skip
    config = {
        "datasets": {
            "lab": {"files": {"motifs.csv": {"sources": [str(workdir / "motifs.csv")]}}},
            "published": {"files": files},
        },
        "tasks": {
            "grouped": {
                "kind": "sequences", "dataset": "lab", "objective": "multiclass",
                "classes": ["a", "b", "c"],
                "input": {**source, "labels": ["family"], "group": "lab_group"},
                "split": {**SPLIT, "method": "group"}, "architectures": ["mlp"],
            },
            "stratified": {
                "kind": "sequences", "dataset": "lab", "objective": "binary",
                "input": {**source, "labels": ["bound"]}, "selection_metric": "mcc",
                "split": {**SPLIT, "method": "stratified"}, "architectures": ["mlp"],
            },
            "published": {
                "kind": "sirna_table", "dataset": "published",
                "table": {
                    "file": "train.csv", "test_files": ["leaky.csv", "clean.csv"],
                    **PUBLISHED_SIRNA_COLUMNS,
                },
                "split": {"method": "gene", "folds": 2}, "architectures": ["mlp"],
            },
        },
        "architectures": {"mlp": {"hidden": [32]}},
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def honest_run(tmp_path_factory, mirror) -> Path:
    workdir = tmp_path_factory.mktemp("honest")
    honest_config(workdir)
    boards = [f"results/{task}/leaderboard.csv" for task in ("grouped", "stratified", "published")]
    config = ["--configfile", str(workdir / "config.yaml"), "--replace-workflow-config"]
    result = snakemake("--cores", "2", *config, *boards, workdir=workdir, mirror=mirror)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def encoded_ids(workdir: Path, task: str, role: str) -> list[str]:
    return list(read_tensors(workdir / f"results/{task}/encoded/{role}.parquet")[ROW_ID])


def test_group_split_holds_out_whole_groups(honest_run):
    """`method: group` with a test share: no tested group is trained on (a random test share
    put rows of almost every group on both sides)."""
    group_of = pd.read_csv(honest_run / "motifs.csv").set_index("name")["lab_group"]
    trained = set(group_of[encoded_ids(honest_run, "grouped", "train")])
    tested = set(group_of[encoded_ids(honest_run, "grouped", "test")])
    assert len(tested) == np.ceil(0.25 * GROUPS) and not trained & tested
    assert len(trained | tested) == GROUPS


def test_stratified_split_keeps_class_shares_in_the_test_rows(honest_run):
    test = read_tensors(honest_run / "results/stratified/encoded/test.parquet")
    assert len(test[ROW_ID]) == ROWS * 0.25
    assert test[TARGET].sum() == ROWS * 0.25 / 3  # a third of the rows are class a


def test_binary_leaderboard_has_mcc_sensitivity_specificity_and_selects_on_mcc(honest_run):
    from sklearn.metrics import matthews_corrcoef, recall_score

    root = honest_run / "results/stratified"
    board = pd.read_csv(root / "leaderboard.csv")
    for metric in ("mcc", "sensitivity", "specificity"):
        assert f"oof_{metric}" in board and f"test_{metric}" in board, metric
    assert "oof_mcc_ci_low" in board and "vs_best" in board  # the selection metric's interval
    predictions = pd.read_parquet(root / "evaluation/mlp/predictions.parquet")
    predictions = predictions[predictions["role"] == "oof"]
    truth = column_values(predictions["target"]).astype(int)
    called = (column_values(predictions["prediction"]) >= 0.5).astype(int)
    assert board.loc[0, "oof_mcc"] == pytest.approx(matthews_corrcoef(truth, called), abs=1e-4)
    assert board.loc[0, "oof_sensitivity"] == pytest.approx(recall_score(truth, called), abs=1e-4)
    specificity = recall_score(truth, called, pos_label=0)
    assert board.loc[0, "oof_specificity"] == pytest.approx(specificity, abs=1e-4)
    notes = (root / "leaderboard.md").read_text()
    assert "ranked by out-of-fold mcc" in notes
    assert "`fp`: negative rows called positive, a count; lower is better" in notes
    assert "`fn`: positive rows called negative, a count; lower is better" in notes
    run = json.loads((root / "models/mlp/fold0/run.json").read_text())
    assert run["scoring"]["selection"] == "mcc"


def test_multiclass_leaderboard_shows_each_class_f1(honest_run):
    root = honest_run / "results/grouped"
    board = pd.read_csv(root / "leaderboard.csv")
    metrics = json.loads((root / "evaluation/mlp/metrics.json").read_text())
    for label in ("a", "b", "c"):
        own = metrics["oof"][f"f1_{label}"]
        assert board.loc[0, f"oof_f1_{label}"] == pytest.approx(own, abs=1e-4)  # CSV: 4 places
        assert f"test_f1_{label}" in board
    assert "`f1_a`: F1 of class a against the others" in (root / "leaderboard.md").read_text()


def test_each_test_file_reports_its_leak_beside_its_metrics(honest_run):
    """Half the `leaky` file's rows are training rows: a leak of 0.5 beside its metrics, in
    encode's summary and log; the `clean` file shares nothing with training."""
    root = honest_run / "results/published"
    leak = json.loads((root / "encoded/summary.json").read_text())["leak"]
    assert leak["test_sets"] == {"leaky": 0.5, "clean": 0.0}
    clean_rows = len(pd.read_csv(honest_run / "clean.csv"))
    assert leak["test"] == pytest.approx(LEAKED / (2 * LEAKED + clean_rows))
    board = pd.read_csv(root / "leaderboard.csv")
    columns = list(board.columns)
    for name, share in (("leaky", 0.5), ("clean", 0.0)):
        own = [c for c in columns if c.startswith(f"test[{name}]_")]
        assert own[-1] == f"test[{name}]_leak" and (board[own[-1]] == share).all()
        # Right after the file's own metrics.
        assert columns.index(own[-1]) == columns.index(own[-2]) + 1
    assert np.allclose(board["test_leak"], leak["test"], atol=1e-4)  # the pooled test rows
    notes = (root / "leaderboard.md").read_text()
    assert "`test[leaky]_leak`" in notes and "with a training row" in notes
    log = (honest_run / "logs/encode/published.log").read_text()
    assert "50.0% of leaky, 0.0% of clean" in log


def test_test_share_limits_count_groups_and_classes():
    """The limits of a test share, where the split makes it: whole groups on each side, and two
    rows of each class for a stratified one (encode prefixes `tasks.<name>.`)."""
    with pytest.raises(InputError, match=r"^split\.test_fraction: 0\.25 of 1 gene groups leaves "
                                         r"1 test and 0 training gene groups"):  # fmt: skip
        holdout_test(10, 0.25, 0, "gene", groups=np.array(["KLK9"] * 10))
    with pytest.raises(InputError, match=r"^split\.test_fraction: .*the rarest has 1 rows"):
        holdout_test(10, 0.25, 0, "stratified", labels=np.array([0] * 9 + [1]))
    mask = holdout_test(10, 0.5, 0, "group", groups=np.array(list("aabbccddee")))
    assert mask.sum() == 6 and len(set(np.array(list("aabbccddee"))[mask])) == 3


def test_test_method_random_keeps_a_published_protocols_test_rows():
    """`split.test_method: random` takes the test share exactly as the primer tutorial's
    `train_test_split(test_size=0.25, random_state=42)` does, stratified method or not; the
    default follows the method and keeps the class shares."""
    from sklearn.model_selection import train_test_split

    from dlgenomics.data.encode import split_roles
    from dlgenomics.tasks.base import TaskTables

    labels = np.array([1] * 40 + [0] * 80)
    frame = pd.DataFrame({ROW_ID: [f"r{i}" for i in range(120)], TARGET: labels.astype(float)})
    _, tutorial_test = train_test_split(np.arange(120), test_size=0.25, random_state=42)
    split = {"method": "stratified", "folds": 2, "test_fraction": 0.25, "seed": 42}
    task = {"objective": "binary", "max_rows": None}
    roles = {
        how: split_roles("sequences", TaskTables({"labelled": frame}),
                         {**task, "split": {**split, "test_method": how}})
        for how in ("random", "method")
    }  # fmt: skip
    assert sorted(roles["random"]["test"][ROW_ID]) == sorted(frame[ROW_ID][tutorial_test])
    assert roles["method"]["test"][TARGET].sum() == 10  # a quarter of the 40 positives
    assert sorted(roles["method"]["test"][ROW_ID]) != sorted(frame[ROW_ID][tutorial_test])
