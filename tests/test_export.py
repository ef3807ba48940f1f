"""A model that travels: every architecture that reads nucleotides, exported, predicts in a
fresh interpreter that cannot import dlgenomics exactly what its fold checkpoints predict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_training import SMALL

from dlgenomics import InputError
from dlgenomics.data.encode import build_vocab, encode_frame
from dlgenomics.data.schema import FOLD, InputLayout
from dlgenomics.evaluation.inference import predict_member
from dlgenomics.models import export
from dlgenomics.models.architectures import build_model, networks
from dlgenomics.models.checkpoint import layout_dict, save_checkpoint
from dlgenomics.models.export import MODEL_FILE, TRACE_ROWS, export_model
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.objectives import OBJECTIVES, Scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold

TORCH_SITE = str(Path(torch.__file__).resolve().parents[1])
CLASSES = ["low", "mid", "high"]
TRAIN_ROWS, CHECK_ROWS = 40, 7  # CHECK_ROWS differs from the trace's batch size
# architecture -> (task, objective, both strands); every objective, both ways of strands.
CASES = {
    "mlp": ("dna", "regression", False),
    "cnn": ("dna", "binary", True),
    "bigru": ("dna", "multiclass", True),
    "lstm": ("duplex", "regression", False),
    "transformer": ("dna", "binary", True),
    "gcn": ("duplex", "binary", False),
    "autoencoder": ("dna", "multiclass", True),
    "tutorial_cnn": ("dna", "regression", True),
}
PARAMS = {**SMALL, "cnn": {**SMALL["cnn"], "inputs": ["seq_dna", "kmer_dna"]}}


def test_every_architecture_reading_nucleotides_is_covered():
    assert set(CASES) == set(networks())
    assert {objective for _, objective, _ in CASES.values()} >= {"regression", "binary",
                                                                  "multiclass"}  # fmt: skip


def random_dna(rng: np.random.Generator, n: int, n_letters: bool) -> list[str]:
    sequences = []
    for _ in range(n):
        sequence = list(rng.choice(list("ACGT"), int(rng.integers(18, 31))))
        if n_letters and rng.random() < 0.3:
            sequence[int(rng.integers(len(sequence)))] = "N"
        sequences.append("".join(sequence))
    return sequences


def task_frame(task: str, n: int, seed: int, n_letters: bool = True) -> pd.DataFrame:
    """A standard table: one DNA input and a numeric condition, or a duplex of two strands
    and a categorical condition; the target is a noisy GC content."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(n)]})
    if task == "dna":
        frame["seq_dna"] = random_dna(rng, n, n_letters)
        frame["num_temperature"] = rng.normal(37, 2, n).astype(np.float32)
    else:
        frame["seq_sense"] = random_dna(rng, n, n_letters)
        frame["seq_antisense"] = random_dna(rng, n, n_letters)
        frame["cat_cell_line"] = rng.choice(["HeLa", "Hep3B"], n)
    first = frame.filter(like="seq_").iloc[:, 0]
    frame["target"] = first.map(lambda s: (s.count("G") + s.count("C")) / len(s)) + rng.normal(
        0, 0.05, n
    )
    return frame


def as_objective(target: np.ndarray, objective: str) -> np.ndarray:
    median = np.median(target)
    if objective == "binary":
        return (target > median).astype(np.float32)
    if objective == "multiclass":
        return np.digitize(target, np.quantile(target, [1 / 3, 2 / 3])).astype(np.float32)
    return target.astype(np.float32)


def task_vocab(frame: pd.DataFrame, objective: str, strands: bool) -> dict:
    kmer = {"k": 3, "stride": 1} if "seq_dna" in frame else None
    vocab = build_vocab({"train": frame}, None, kmer)
    if strands:
        vocab["reverse_complement"] = True
    if objective == "multiclass":
        vocab["metric_options"] = {"labels": CLASSES}
    return json.loads(json.dumps(vocab, sort_keys=True))  # as read from vocab.json


def train_folds(arch: str, folder: Path) -> tuple[list[Path], dict]:
    """Two fold checkpoints of `arch`, trained for one epoch by the training loop itself."""
    task, objective, strands = CASES[arch]
    frame = task_frame(task, TRAIN_ROWS, seed=1)
    vocab = task_vocab(frame, objective, strands)
    columns, _ = encode_frame(frame, vocab, "generated", allow_n=True)
    columns["target"] = as_objective(columns["target"], objective)
    columns[FOLD] = (np.arange(TRAIN_ROWS) % 2).astype(np.int8)
    options = {"labels": CLASSES} if objective == "multiclass" else {}
    scoring = Scoring(objective, objective, OBJECTIVES[objective].selection_metric, options)
    paths = []
    for fold in (0, 1):
        out = folder / f"fold{fold}"
        train_fold(FoldRun(
            kind=TASK_KINDS["sequences"], scoring=scoring, arch=arch, model_params=PARAMS[arch],
            settings=TrainSettings(max_epochs=1, patience=1, batch_size=16, learning_rate=3e-3,
                                   seed=fold, threads=1, device="cpu"),
            train_columns=columns, test_columns=columns, vocab=vocab, fold=fold,
            out_checkpoint=out / "model.pt", out_history=out / "history.csv",
            out_predictions=out / "predictions.parquet", progress=False,
        ))  # fmt: skip
        paths.append(out / "model.pt")
    return paths, vocab


def expected_predictions(arch: str, paths: list[Path], vocab: dict, folder: Path) -> None:
    """What the pipeline predicts for new rows, and those rows, for the fresh interpreter:
    rows.pt (encoded columns) with expected.pt; sequences.fa (or .tsv for a duplex), which
    predict.py reads without conditions, with expected_file.pt, the pipeline's prediction
    for the same rows with their conditions missing (as inference fills them)."""
    task = CASES[arch][0]
    frame = task_frame(task, CHECK_ROWS, seed=2)
    columns, _ = encode_frame(frame, vocab, "new rows", allow_n=True)
    inputs = {k: torch.tensor(v) for k, v in columns.items() if k not in ("row_id", "target")}
    torch.save(inputs, folder / "rows.pt")
    torch.save(
        torch.from_numpy(predict_member(paths, columns, None, vocab)), folder / "expected.pt"
    )
    missing = {**columns}
    for name in columns:
        if name.startswith("num_"):
            missing[name] = np.full(CHECK_ROWS, np.nan, dtype=np.float32)
        elif name.startswith("cat_"):
            missing[name] = np.zeros(CHECK_ROWS, dtype=np.int16)
    expected = predict_member(paths, missing, None, vocab)
    torch.save(torch.from_numpy(expected), folder / "expected_file.pt")
    if task == "dna":
        text = "".join(f">{r} some description\n{s[:10]}\n{s[10:].lower()}\n"
                       for r, s in zip(frame["row_id"], frame["seq_dna"], strict=True))  # fmt: skip
        (folder / "sequences.fa").write_text(text)
    else:
        spec = json.loads((folder / "export" / "inputs.json").read_text())
        order = [i["name"] for i in spec["inputs"] if i["name"].startswith("seq_")]
        assert sorted(order) == ["seq_antisense", "seq_sense"]
        lines = frame[order[0]] + "\t" + frame[order[1]]  # in the order inputs.json gives
        (folder / "sequences.tsv").write_text("\n".join(lines) + "\n")


FACTS = {
    "metrics": {"rmse": {"mean": 0.12, "std": 0.01}, "r2": 0.5},
    "training_data": [{"file": "train.csv", "sha256": "ab" * 32}],
    "config": {"training": {"max_epochs": 1}},
    "commit": "0123456789abcdef",
    "versions": {"dlgenomics": "0.1.0"},
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """Every architecture trained, exported to <root>/<arch>/export, with what the pipeline
    predicts beside it."""
    root = tmp_path_factory.mktemp("exported")
    torch_threads = torch.get_num_threads()
    try:
        for arch in CASES:
            paths, vocab = train_folds(arch, root / arch)
            export_model(paths, root / arch / "export", {**FACTS, "task": CASES[arch][0],
                                                         "arch": arch})  # fmt: skip
            expected_predictions(arch, paths, vocab, root / arch)
    finally:
        torch.set_num_threads(torch_threads)
        torch.use_deterministic_algorithms(False)
    return root


CHILD = r"""
import contextlib, csv, importlib.util, io, json, os, runpy, sys
sys.path.append(TORCH_SITE)
assert importlib.util.find_spec("dlgenomics") is None, "dlgenomics is importable"
import torch
from pathlib import Path

root, results = Path(ROOT), {}
for case in sorted(p for p in root.iterdir() if (p / "export").is_dir()):
    folder = case / "export"
    spec = json.loads((folder / "inputs.json").read_text())
    model = torch.jit.load(str(folder / "model.torchscript.pt"))
    rows = torch.load(case / "rows.pt")
    batch = {i["name"]: rows[i["name"]] for i in spec["inputs"]}
    with torch.no_grad():
        got = model(batch).double()
        single = model({k: v[:1] for k, v in batch.items()}).double()
    expected = torch.load(case / "expected.pt").double()
    file = next(case.glob("sequences.*"))
    sys.argv, out = ["predict.py", str(file)], io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(folder / "predict.py"), run_name="__main__")
    table = list(csv.reader(io.StringIO(out.getvalue())))
    from_file = torch.tensor([[float(x) for x in row[1:]] for row in table[1:]]).double()
    expected_file = torch.load(case / "expected_file.pt").double()
    card = (folder / "model_card.md").read_text()
    snippet = card.split("```python\n")[1].split("```")[0]
    if not any(i["name"].startswith("kmer_") for i in spec["inputs"]):
        os.chdir(folder)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(snippet, {})
    results[case.name] = {
        "shape": list(got.shape), "expected_shape": list(expected.shape),
        "diff": float((got - expected).abs().max()),
        "single_diff": float((single - expected[:1]).abs().max()),
        "header": table[0], "ids": [row[0] for row in table[1:]],
        "file_diff": float((from_file.reshape(expected_file.shape) - expected_file).abs().max()),
    }
assert not any(name.startswith("dlgenomics") for name in sys.modules)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def child_results(exported) -> dict:
    """Every export loaded and run in one fresh interpreter: isolated (-I), no site (-S: the
    editable install's .pth is not read), torch's own site-packages the only addition."""
    code = CHILD.replace("TORCH_SITE", repr(TORCH_SITE)).replace("ROOT", repr(str(exported)))
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=300,
        cwd=exported,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("arch", sorted(CASES))
def test_exported_model_predicts_as_the_checkpoints_without_the_package(child_results, arch):
    result = child_results[arch]
    assert result["shape"] == result["expected_shape"]
    assert result["shape"][0] == CHECK_ROWS != TRACE_ROWS  # another batch size than the trace's
    assert result["diff"] <= 1e-5
    assert result["single_diff"] <= 1e-5


@pytest.mark.parametrize("arch", sorted(CASES))
def test_predict_script_gives_the_same_numbers(child_results, arch):
    result = child_results[arch]
    assert result["file_diff"] <= 1e-5
    assert len(result["ids"]) == CHECK_ROWS
    if CASES[arch][0] == "dna":
        assert result["ids"][:2] == ["r0", "r1"]  # FASTA names, first word
    if CASES[arch][1] == "multiclass":
        assert result["header"] == ["id", *CLASSES]


def test_predict_script_runs_as_a_command_without_the_package(exported, tmp_path):
    folder = exported / "cnn" / "export"
    assert "dlgenomics" not in (folder / "predict.py").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-S", str(folder / "predict.py"), str(exported / "cnn" / "sequences.fa")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**env, "PYTHONPATH": TORCH_SITE, "PYTHONNOUSERSITE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    expected = torch.load(exported / "cnn" / "expected_file.pt").numpy()
    assert list(table.columns) == ["id", "probability"]
    np.testing.assert_allclose(table["probability"].to_numpy(), expected, rtol=0, atol=1e-5)

    bad = tmp_path / "bad.txt"
    bad.write_text("ACGTXACGT\n")
    result = subprocess.run(
        [sys.executable, "-S", str(folder / "predict.py"), str(bad)], capture_output=True,
        text=True, timeout=120, env={**env, "PYTHONPATH": TORCH_SITE},
    )  # fmt: skip
    assert result.returncode != 0 and "'X' at position 5 is not a nucleotide" in result.stderr


def test_export_folder_describes_the_model(exported):
    folder = exported / "bigru" / "export"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MODEL_FILE, "vocab.json", "inputs.json", "model_card.md", "predict.py"]
    )
    spec = json.loads((folder / "inputs.json").read_text())
    (sequence,) = spec["inputs"]
    assert sequence["name"] == "seq_dna" and sequence["dtype"] == "int16"
    assert sequence["shape"] == ["batch", 30]
    assert spec["alphabet"]["A"] == 2 and spec["alphabet"]["T"] == spec["alphabet"]["U"] == 5
    assert spec["alphabet"]["N"] == 1
    assert spec["both_strands_averaged_inside"] is True and spec["folds_averaged_inside"] == 2
    assert spec["output"] == {"shape": ["batch", 3], "names": CLASSES,
                              "units": "probability of each class (rows sum to 1)"}  # fmt: skip
    vocab = json.loads((folder / "vocab.json").read_text())
    assert vocab["reverse_complement"] is True and "kmer" in vocab["tokens"]
    card = (folder / "model_card.md").read_text()
    for fact in ["ab" * 32, "0123456789abcdef", "rmse: 0.12 ± 0.01", "`seq_dna` (up to 30 nt)",
                 "torch.jit.load", '"max_epochs": 1']:  # fmt: skip
        assert fact in card
    # The conditions and k-mers a model reads are inputs too.
    cnn = json.loads((exported / "cnn" / "export" / "inputs.json").read_text())
    assert [i["name"] for i in cnn["inputs"]] == ["seq_dna", "kmer_dna", "num_temperature"]
    assert cnn["inputs"][1]["derived_from"] == "seq_dna" and cnn["inputs"][2]["dtype"] == "float32"
    assert not list(exported.glob("*/.export.*"))  # no staging folder left behind


def test_tabular_model_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "gbm" / "fold0.joblib"
    with pytest.raises(InputError) as error:
        export_model([path], tmp_path / "out", {"task": "t", "arch": "gbm"})
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def numbers_only_checkpoint(path: Path) -> None:
    layout = InputLayout({}, {}, {}, ("num_x",), {})
    network = build_model("mlp", {"hidden": [4]}, layout)
    save_checkpoint(
        path, network, model="mlp", arch="mlp", params={"hidden": [4]}, n_outputs=1,
        layout=layout_dict(layout), numeric_stats={"num_x": (0.0, 1.0)},
        vocab={"columns": {"num_x": {"dtype": "float32"}}}, objective="regression",
        target_scale=(0.0, 1.0), fold=0, metrics={},
    )  # fmt: skip


def test_network_without_nucleotides_is_refused(tmp_path):
    numbers_only_checkpoint(tmp_path / "model.pt")
    with pytest.raises(InputError, match="reads no nucleotides") as error:
        export_model([tmp_path / "model.pt"], tmp_path / "out", {"task": "t", "arch": "mlp"})
    assert str(tmp_path / "model.pt") in str(error.value)


def test_failed_export_leaves_the_previous_folder_whole(exported, tmp_path, monkeypatch):
    paths = [exported / "mlp" / f"fold{f}" / "model.pt" for f in (0, 1)]
    out = tmp_path / "export"
    export_model(paths, out, {"task": "dna", "arch": "mlp"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "model_card", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export_model(paths, out, {"task": "dna", "arch": "other"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_folds_of_different_models_are_refused(exported):
    paths = [exported / "mlp" / "fold0" / "model.pt", exported / "cnn" / "fold1" / "model.pt"]
    with pytest.raises(InputError, match="not a fold of the same model"):
        export_model(paths, exported / "mixed", {"task": "dna", "arch": "mlp"})


def test_facts_need_task_and_arch(exported):
    with pytest.raises(InputError, match="'arch'"):
        export_model([exported / "mlp" / "fold0" / "model.pt"], exported / "x", {"task": "dna"})


def test_trace_must_match_at_another_batch_size(exported, monkeypatch):
    """A module whose batch size was frozen into the trace is caught before anything is
    written (here: a tolerance no float model meets stands in for such a difference)."""
    monkeypatch.setattr(export, "TOLERANCE", -1.0)
    out = exported / "never"
    with pytest.raises(InputError, match="cannot be exported faithfully"):
        export_model([exported / "mlp" / "fold0" / "model.pt"], out, {"task": "d", "arch": "mlp"})
    assert not out.exists()
