"""Adding an architecture or a task kind is one module and one registration: a toy of each,
written to a temporary folder as a user would write it, is registered by one call and then
passes where the package's own do (config validation, encode, training, scoring)."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
from conftest import encode_outputs, encode_settings

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import TARGET, read_tensors, read_vocab
from dlgenomics.metrics import regression_metrics
from dlgenomics.models import architectures
from dlgenomics.tasks import kinds
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold

# A kind that makes its own rows: random 40-nt DNA, the target its share of G and C.
TOY_KIND = """
import numpy as np
import pandas as pd

from dlgenomics.tasks.base import TaskKind, TaskTables


def load_gc(files, task):
    rng = np.random.default_rng(task["generate"]["seed"])
    letters = rng.choice(list("ACGT"), size=(task["generate"]["rows"], 40))
    frame = pd.DataFrame({
        "row_id": [str(i + 1) for i in range(len(letters))],
        "seq_dna": ["".join(row) for row in letters],
        "target": np.isin(letters, ["C", "G"]).mean(axis=1).astype(np.float32),
    })
    return TaskTables(frames={"labelled": frame})


KIND = TaskKind(name="toy_gc", objective="regression", required_files=(), load=load_gc,
                allow_n=False)
"""

# A network that averages one-hot bases over positions: exactly what a GC share needs.
TOY_ARCHITECTURE = """
from dataclasses import dataclass

import torch
from torch import nn

from dlgenomics.data.schema import SEQ
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import GenomicsModel, embed_tokens


@dataclass
class ToyConfig:
    scale: float = 1.0


class BaseShares(GenomicsModel):
    def __init__(self, config, layout, numeric_stats, n_outputs=1):
        super().__init__()
        self.inputs = layout.select(None, (SEQ,), required=True)
        size = layout.token_vocab_sizes[self.inputs[0]]
        self.register_buffer("one_hot", torch.eye(size) * config.scale, persistent=False)
        self.head = nn.Linear(size, n_outputs)

    def forward(self, batch):
        column = self.inputs[0]
        return self.head(embed_tokens(column, batch[column], self.one_hot).mean(dim=1))


ARCHITECTURE = Architecture(config=ToyConfig, network=BaseShares)
"""


@pytest.fixture
def toy_modules(tmp_path, monkeypatch):
    """The two modules on the import path, and the registries restored afterwards."""
    (tmp_path / "toy_gc_kind.py").write_text(textwrap.dedent(TOY_KIND))
    (tmp_path / "toy_network.py").write_text(textwrap.dedent(TOY_ARCHITECTURE))
    monkeypatch.syspath_prepend(str(tmp_path))
    registries = (kinds.TASK_KINDS, architectures.ARCHITECTURES)
    saved = [dict(registry) for registry in registries]
    yield tmp_path
    for registry, entries in zip(registries, saved, strict=True):
        registry.clear()  # in place: other modules hold the same dictionaries
        registry.update(entries)
    for module in ("toy_gc_kind", "toy_network"):
        sys.modules.pop(module, None)


def toy_config() -> dict:
    return {
        "datasets": {"unused": {"files": {"unused.csv": {"sources": []}}}},
        "tasks": {
            "gc": {
                "kind": "toy_gc",
                "generate": {"rows": 400, "seed": 1},
                "architectures": ["base_shares"],
                "split": {"method": "random", "folds": 2},
            }
        },
        "architectures": {"base_shares": {"model": "toy", "scale": 2.0}},
    }


def test_a_kind_and_an_architecture_are_one_registration_each(toy_modules, tmp_path):
    with pytest.raises(InputError, match="toy_gc"):
        validate_config(toy_config())  # not yet registered: an unknown kind
    kinds.register_kind("toy_gc_kind")
    architectures.register_architecture("toy", "toy_network")
    task = validate_config(toy_config())["tasks"]["gc"]
    assert kinds.scoring(task).objective_name == "regression"
    assert architectures.make_config("toy", {"scale": 2.0}).scale == 2.0
    with pytest.raises(InputError, match="unknown hyperparameter"):
        architectures.make_config("toy", {"width": 3})

    out = encode_outputs(tmp_path / "encoded")
    out["train"].parent.mkdir()
    encode_task("toy_gc", {}, {**encode_settings("random", 2), **task}, out)
    train = read_tensors(out["train"])
    result = train_fold(FoldRun(
        kind=kinds.TASK_KINDS["toy_gc"],
        scoring=replace(kinds.scoring(task), selection="rmse"),
        arch="toy",
        model_params={"scale": 2.0},
        settings=TrainSettings(max_epochs=40, patience=40, batch_size=32, learning_rate=0.05,
                               seed=0, threads=1),
        train_columns=train,
        test_columns=read_tensors(out["test"]),
        vocab=read_vocab(out["vocab"]),
        fold=0,
        out_checkpoint=tmp_path / "model.pt",
        out_history=tmp_path / "history.csv",
        out_predictions=tmp_path / "predictions.parquet",
        progress=False,
    ))  # fmt: skip
    valid = train["fold"] == 0
    constant = np.full(valid.sum(), train[TARGET][~valid].mean())
    # The GC share is linear in the mean one-hot: the toy learns it, far past a constant.
    assert result["rmse"] < 0.3 * regression_metrics(train[TARGET][valid], constant)["rmse"]
