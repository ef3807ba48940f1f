"""Multi-output regression (issue 30): several real-valued tracks per row, some unknown; the
networks' loop and gradient boosting on k-mer counts fit them, and the run reports each
track's figures beside the leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import encode_outputs, snakemake
from test_sequence_sets import _files_of, _task

from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.metrics import multiregression_metrics
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold
from dlgenomics.training.tabular import train_tabular_fold

TRACKS = ["gata", "ebox"]
MOTIFS = {"gata": "GATAAG", "ebox": "CACGTG"}


def track_table(path: Path, rows: int = 240, seed: int = 0) -> None:
    """Random 40-nt sequences holding 0-2 copies of each motif; each track is its motif's
    count plus noise, a tenth of each track's values unknown (empty)."""
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(rows):
        letters = list("".join(rng.choice(list("ACGT"), 40)))
        record = {}
        for offset, (track, motif) in zip((2, 22), MOTIFS.items(), strict=True):
            copies = int(rng.integers(0, 3))
            for copy in range(copies):
                start = offset + 8 * copy
                letters[start : start + 6] = motif
            value = copies + rng.normal(0, 0.2)
            record[track] = "" if rng.random() < 0.1 else round(value, 3)
        records.append({"sequence": "".join(letters), **record})
    pd.DataFrame(records).to_csv(path, index=False)


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiregression")
    track_table(folder / "tracks.csv")
    task = _task(objective="multiregression", reverse_complement=False,
                 input={"format": "table", "file": "tracks.csv", "sequence": "sequence",
                        "labels": TRACKS},
                 split={"method": "random", "folds": 2, "test_fraction": 0.2})  # fmt: skip
    out = encode_outputs(folder / "encoded")
    encode_task("sequences", {n: folder / n for n in _files_of(task)}, task, out)
    return task, read_tensors(out["train"]), read_tensors(out["test"]), read_vocab(out["vocab"])


def _mean_rmse(train: dict[str, np.ndarray]) -> float:
    """The RMSE, pooled over the tracks' known values, of predicting each track's mean."""
    target, valid = train["target"], train["fold"] == 0
    mean = np.nanmean(target[~valid], axis=0)
    return multiregression_metrics(target[valid], np.tile(mean, (valid.sum(), 1)))["rmse"]


def test_network_and_kmer_boosting_beat_the_mean_predictor(encoded, tmp_path):
    task, train, test, vocab = encoded
    assert train["target"].shape[1] == 2 and np.isnan(train["target"]).any()  # rows kept
    task_scoring = scoring(task)
    assert task_scoring.selection == "median_pearson"
    network = train_fold(FoldRun(
        kind=TASK_KINDS["sequences"], scoring=task_scoring, arch="cnn",
        model_params={"channels": 16, "kernel_sizes": [6], "hidden": 16},
        settings=TrainSettings(max_epochs=30, patience=30, batch_size=16, learning_rate=3e-3,
                               seed=0, threads=1),
        train_columns=train, test_columns=test, vocab=vocab, fold=0,
        out_checkpoint=tmp_path / "model.pt", out_history=tmp_path / "history.csv",
        out_predictions=tmp_path / "predictions.parquet", progress=False,
    ))  # fmt: skip
    boosting = train_tabular_fold(
        scoring=task_scoring, arch="gbm_kmers",
        model_params={"features": ["kmer_counts"], "kmer_size": 6, "max_iter": 300,
                      "n_iter_no_change": 30, "min_samples_leaf": 5},
        settings={}, train_columns=train, test_columns=test, train_features=None,
        test_features=None, vocab=vocab, fold=0, out_model=tmp_path / "gbm.joblib",
        out_history=tmp_path / "gbm_history.csv", out_predictions=tmp_path / "gbm.parquet",
    )  # fmt: skip
    baseline = _mean_rmse(train)
    for result in (network, boosting):
        assert result["rmse"] < 0.8 * baseline, (result, baseline)
        assert result["pearson_gata"] > 0.5 and result["pearson_ebox"] > 0.5, result
    predictions = pd.read_parquet(tmp_path / "gbm.parquet")
    assert np.stack(predictions["prediction"]).shape == (len(predictions), 2)


def multiregression_config(workdir: Path) -> None:
    """One `sequences` task of two tracks: an mlp and gradient boosting on 4-mer counts, two
    folds, one epoch, a fifth of the rows held out."""
    track_table(workdir / "tracks.csv", rows=160)
    config = {
        "datasets": {"lab": {"files": {"tracks.csv": {"sources": [str(workdir / "tracks.csv")]}}}},
        "tasks": {
            "tracks": {
                "kind": "sequences", "dataset": "lab", "objective": "multiregression",
                "input": {"format": "table", "file": "tracks.csv", "sequence": "sequence",
                          "labels": TRACKS},
                "split": {"method": "random", "folds": 2, "test_fraction": 0.2},
                "architectures": ["mlp", "gbm_kmers"],
                "interpretation": {"rows": 20, "ism_rows": 2},
            },
        },
        "architectures": {
            "mlp": {"hidden": [16]},
            "gbm_kmers": {"model": "gbm", "features": ["kmer_counts"], "max_iter": 20,
                          "n_iter_no_change": 5},
        },
        "training": {"max_epochs": 1, "patience": 1, "threads": 1, "device": "cpu"},
    }  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def test_multiregression_runs_end_to_end_with_per_track_figures(tmp_path):
    """Through the real CLI: leaderboard ranked by the median track's Pearson, an ensemble
    of both, the per-track table and figure beside the leaderboard, a `prediction_<track>`
    column per track in the predictions table, an exported network."""
    multiregression_config(tmp_path)
    args = ["--configfile", str(tmp_path / "config.yaml"), "--replace-workflow-config"]
    result = snakemake(*args, "--cores", "2", workdir=tmp_path, mirror=None)
    assert result.returncode == 0, result.stderr[-4000:]
    results = tmp_path / "results" / "tracks"
    board = pd.read_csv(results / "leaderboard.csv")
    assert set(board["architecture"]) == {"mlp", "gbm_kmers", "ensemble"}
    assert {"oof_median_pearson", "test_median_pearson", "oof_pearson_gata"} <= set(board)
    per_track = pd.read_csv(results / "leaderboard_tracks.tsv", sep="\t")
    assert set(per_track["track"]) == set(TRACKS)
    assert set(per_track["rows"]) == {"out of fold", "test: held-out"}
    assert {"pearson", "spearman", "r2"} <= set(per_track.columns)
    assert len(per_track) == 2 * 2 * 3  # tracks x sets of rows x ranked names
    oof = per_track[(per_track["rows"] == "out of fold") & (per_track["architecture"] == "mlp")]
    assert np.median(oof["pearson"]) == pytest.approx(
        board.set_index("architecture").loc["mlp", "oof_median_pearson"], abs=1e-4
    )
    assert (results / "figures" / "tracks.png").stat().st_size > 0
    export = json.loads((results / "export" / "inputs.json").read_text())
    assert export["output"]["names"] == TRACKS, export["output"]


def test_gradient_boosting_and_ensembles_of_tasks_with_several_outputs():
    """Gradient boosting is accepted on multi-label and multi-output regression tasks (one
    model per output); a multi-output regression has an ensemble, a multi-label task none."""
    from copy import deepcopy

    from dlgenomics import InputError
    from dlgenomics.config import ensemble_members_of, validate_config

    def config(objective: str, **settings) -> dict:
        task = {"kind": "sequences", "dataset": "data", "objective": objective,
                "input": {"format": "table", "file": "t.csv", "sequence": "s", "labels": TRACKS},
                "architectures": ["cnn", "gbm_kmers"], **settings}  # fmt: skip
        return {
            "datasets": {"data": {"files": {"t.csv": {"sha256": "0" * 64, "sources": ["x"]}}}},
            "architectures": {"gbm_kmers": {"model": "gbm", "features": ["kmer_counts"]}},
            "tasks": {"t": deepcopy(task)},
        }

    regression = validate_config(config("multiregression"))["tasks"]["t"]
    assert ensemble_members_of(regression) == ["cnn", "gbm_kmers"]
    labels = validate_config(config("multilabel"))["tasks"]["t"]
    assert ensemble_members_of(labels) == []
    with pytest.raises(InputError, match=r"tasks\.t\.ensemble: a multi-label task has no ensemble"):
        validate_config(config("multilabel", ensemble=["cnn", "gbm_kmers"]))
    with pytest.raises(InputError, match="kmer_size 9 is not between 1 and 6"):
        broken = config("multiregression")
        broken["architectures"]["gbm_kmers"]["kmer_size"] = 9
        validate_config(broken)


def test_objective_scales_each_track_and_ignores_unknown_values():
    """Per track mean and sd of its known training values; the loss and its gradient see
    only known values; outputs are scaled back per track, the auxiliary head dropped; design
    learns the top rows of one track."""
    import torch

    from dlgenomics.design.targets import DESIGN_TARGETS
    from dlgenomics.evaluation.predict import PREDICTION_COLUMNS
    from dlgenomics.tasks.objectives import OBJECTIVES

    objective = OBJECTIVES["multiregression"]
    target = np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0], [np.nan, 20.0]])
    mean, sd = objective.target_scale(target, np.arange(4))
    assert mean == pytest.approx([3.0, 20.0]) and sd == pytest.approx(
        [np.std([1, 3, 5]), np.std([10, 20, 30])]
    )
    scaled = objective.scaled_target(torch.tensor(target), (mean, sd))
    assert torch.isnan(scaled[1, 1]) and scaled[0, 1].item() == pytest.approx(-10 / sd[1])
    output = torch.zeros(4, 2, dtype=torch.float64, requires_grad=True)
    loss = objective.loss(output, scaled)
    known = scaled[torch.isfinite(scaled)]
    assert loss.item() == pytest.approx(float((known**2).mean()))
    loss.backward()
    assert output.grad[1, 1] == 0 and output.grad[3, 0] == 0 and output.grad[0, 0] != 0
    raw = torch.tensor([[0.0, 1.0, 5.0]])  # two tracks and a multitask model's auxiliary head
    assert objective.transform(raw, (mean, sd))[0].tolist() == pytest.approx([3.0, 20 + sd[1]])
    columns = PREDICTION_COLUMNS["multiregression"](np.array([[1.0, 2.0]]), TRACKS)
    assert list(columns) == ["prediction_gata", "prediction_ebox"]
    assert np.flatnonzero(DESIGN_TARGETS["multiregression"].rows(target, 1, 0.3)).tolist() == [2]


def stranded_table(path: Path, rows: int = 300, seed: int = 1) -> None:
    """Random 40-nt sequences holding 0-2 copies of GATAAG on either strand: track `plus`
    counts those read forwards, `minus` those on the other strand (CTTATC forwards)."""
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(rows):
        letters = list("".join(rng.choice(list("ACGT"), 40)))
        counts = {"plus": 0, "minus": 0}
        for start in (2, 14, 26):
            if rng.random() < 0.5:
                strand = "plus" if rng.random() < 0.5 else "minus"
                letters[start : start + 6] = "GATAAG" if strand == "plus" else "CTTATC"
                counts[strand] += 1
        records.append({"sequence": "".join(letters), **counts})
    pd.DataFrame(records).to_csv(path, index=False)


def test_both_strands_learn_a_stranded_pair_only_with_its_partners(tmp_path):
    """Read on a random strand, a row's plus-strand signal is its minus strand's: with the
    pair's partners recorded (what genome_tracks' `strand_pairs` writes) the network learns
    both tracks; without them the flipped rows teach it that the two are the same."""
    stranded_table(tmp_path / "stranded.csv")
    task = _task(objective="multiregression", reverse_complement=True,
                 input={"format": "table", "file": "stranded.csv", "sequence": "sequence",
                        "labels": ["plus", "minus"]},
                 split={"method": "random", "folds": 2, "test_fraction": 0.2})  # fmt: skip
    out = encode_outputs(tmp_path / "encoded")
    encode_task("sequences", {n: tmp_path / n for n in _files_of(task)}, task, out)
    train, test, vocab = (
        read_tensors(out["train"]),
        read_tensors(out["test"]),
        read_vocab(out["vocab"]),
    )
    figures = {}
    for name, partners in (("paired", [1, 0]), ("blind", None)):
        run_vocab = {**vocab, **({"reverse_strand_outputs": partners} if partners else {})}
        figures[name] = train_fold(FoldRun(
            kind=TASK_KINDS["sequences"], scoring=scoring(task), arch="cnn",
            model_params={"channels": 16, "kernel_sizes": [6], "hidden": 16},
            settings=TrainSettings(max_epochs=25, patience=25, batch_size=16,
                                   learning_rate=3e-3, seed=0, threads=1),
            train_columns=train, test_columns=test, vocab=run_vocab, fold=0,
            out_checkpoint=tmp_path / f"{name}.pt", out_history=tmp_path / f"{name}.csv",
            out_predictions=tmp_path / f"{name}.parquet", progress=False,
        ))["median_pearson"]  # fmt: skip
    # Measured: paired 0.80, blind 0.35 (median over the two tracks' Pearson r).
    assert figures["paired"] > 0.7
    assert figures["blind"] < figures["paired"] - 0.2
