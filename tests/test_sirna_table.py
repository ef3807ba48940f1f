"""The `sirna_table` kind: a user's own siRNA CSV mapped onto the standard table."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLE_SIRNA_TABLE, REPO, encode_outputs

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import FOLD, ROW_ID, TARGET, read_tensors, read_vocab
from dlgenomics.data.tokens import decode_nucleotides
from dlgenomics.tasks.kinds import TASK_KINDS, metric_options
from dlgenomics.tasks.kinds.sirna_competition import load_sirna_competition
from dlgenomics.tasks.sirna_tables import to_remaining_percent

DATA = REPO / "tests" / "data"
EXAMPLE = DATA / "example_sirna_table.csv"
NAME = EXAMPLE.name
MAPPING: dict[str, Any] = {**EXAMPLE_SIRNA_TABLE, "file": NAME}
UNLABELLED = 4  # rows of the example without a knockdown


def task_config(table: dict[str, Any] | None = None, **task: Any) -> dict[str, Any]:
    """The `tasks.lab` entry of a validated config reading the example table."""
    config = {
        "datasets": {"lab": {"files": {NAME: {"sha256": "0" * 64, "sources": [str(EXAMPLE)]}}}},
        "tasks": {
            "lab": {
                "kind": "sirna_table",
                "dataset": "lab",
                "table": deepcopy(MAPPING) if table is None else table,
                "architectures": ["mlp"],
                **task,
            }
        },
    }
    return validate_config(config, "lab.yaml")["tasks"]["lab"]


def load(path: Path = EXAMPLE, table: dict[str, Any] | None = None):
    task = task_config(table)
    return TASK_KINDS["sirna_table"].load({NAME: path}, task)


def edited_example(tmp_path: Path, edit: Callable[[pd.DataFrame], None]) -> Path:
    """A copy of the example table, changed by `edit`, under the same file name."""
    table = pd.read_csv(EXAMPLE)
    edit(table)
    path = tmp_path / NAME
    table.to_csv(path, index=False)
    return path


def test_example_table_becomes_the_standard_table():
    tables = load()
    frame = tables.frames["labelled"]
    raw = pd.read_csv(EXAMPLE)
    assert len(raw) == 400 and len(frame) == 400 - UNLABELLED
    assert tables.dropped == {f"{NAME}: missing knockdown": UNLABELLED}
    assert set(frame.columns) == {
        "row_id", "group", "seq_antisense", "seq_sense", "target_context",
        "num_log10_concentration_nm", "num_duration_h", "cat_cell_line",
        "cat_transfection_method", "target",
    }  # fmt: skip
    assert set(frame["group"]) == {"KLK9", "PCSK4", "TTRL"}
    assert "OL0002" not in set(frame["row_id"])  # unlabelled in the file: dropped
    # Row 1 by hand: knockdown 0.679 (fraction) -> 100 * (1 - 0.679) = 32.1 % remaining.
    first = frame.iloc[0]
    assert raw.loc[0, "knockdown"] == pytest.approx(0.679)
    assert first["row_id"] == "OL0001" and first["target"] == pytest.approx(32.1)
    assert first["num_log10_concentration_nm"] == pytest.approx(np.log10(0.5))
    assert (first["num_duration_h"], first["cat_cell_line"]) == (48, "HeLa")
    assert first["cat_transfection_method"] == "lipofection"
    assert first["seq_antisense"] == raw.loc[0, "guide_5to3"]
    assert first["seq_sense"] == raw.loc[0, "passenger_5to3"]
    # target_context is the raw mRNA text, and the guide's site really lies in it.
    assert first["target_context"] == raw.loc[0, "mrna"]
    site = first["seq_antisense"][::-1].translate(str.maketrans("ACGU", "TGCA"))
    assert site in first["target_context"]
    assert frame["target"].between(0, 100).all()
    assert tables.modification_tokens is None
    assert metric_options(task_config()) == {
        "threshold": pytest.approx(30.0),
        "inclusive": True,
        "official": False,
    }


@pytest.mark.parametrize(
    ("value", "scale", "remaining"),
    [(0.7, "efficacy_fraction", 30.0), (85.0, "efficacy_percent", 15.0),
     (42.0, "remaining_percent", 42.0), (0.0, "efficacy_fraction", 100.0)],
)  # fmt: skip
def test_labels_become_percent_remaining(value, scale, remaining):
    assert float(to_remaining_percent(value, scale)) == remaining  # exact: rounded on purpose


def test_unknown_scale_in_code_is_an_error():
    with pytest.raises(InputError, match="unknown label scale 'ratio'"):
        to_remaining_percent(0.5, "ratio")


def test_metric_options_per_kind():
    table = deepcopy(MAPPING)
    table["label"] = {"column": "knockdown", "scale": "remaining_percent"}
    # No effective_at: the competition's 30 %; on its scale the official score is reported.
    assert metric_options(task_config(table)) == {
        "threshold": 30.0,
        "inclusive": False,
        "official": True,
    }
    # A threshold of the user's own counts rows at it as effective (efficacy >= 80 %).
    table["label"] = {"column": "knockdown", "scale": "efficacy_percent", "effective_at": 80}
    assert metric_options(task_config(table)) == {
        "threshold": 20.0,
        "inclusive": True,
        "official": False,
    }
    assert metric_options({"kind": "primer"}) == {}


def test_missing_labels_are_dropped_and_counted(tmp_path):
    def blank(table: pd.DataFrame) -> None:
        table.loc[[10, 20, 30], "knockdown"] = np.nan

    tables = load(edited_example(tmp_path, blank))
    frame = tables.frames["labelled"]
    assert tables.dropped == {f"{NAME}: missing knockdown": UNLABELLED + 3}
    assert len(frame) == 400 - UNLABELLED - 3
    assert not {"OL0011", "OL0021", "OL0031"} & set(frame["row_id"])
    assert not frame["target"].isna().any()


def test_a_table_without_any_label_is_an_error(tmp_path):
    path = edited_example(tmp_path, lambda t: t.__setitem__("knockdown", np.nan))
    with pytest.raises(InputError, match=r"column knockdown: no row has a label$"):
        load(path)


def _set(column: str, row: int, value: Any) -> Callable[[pd.DataFrame], None]:
    """Edit setting `column` of data row `row` (1-based, as errors name it) to `value`."""

    def edit(table: pd.DataFrame) -> None:
        if not isinstance(value, float):
            table[column] = table[column].astype(object)
        table.loc[row - 1, column] = value

    return edit


# Rows after row 2 (unlabelled, dropped): errors name the file's own row numbers.
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.pop("passenger_5to3"),
         r"missing required column\(s\) passenger_5to3$"),
        (_set("knockdown", 5, 1.2), r"column knockdown, row 5: 1\.2 is outside \[0\.0, 1\.0\]$"),
        (_set("knockdown", 6, -0.1), r"column knockdown, row 6: -0\.1 is outside"),
        (_set("oligo_id", 10, "OL0003"), r"column oligo_id, row 10: duplicated id 'OL0003'$"),
        (_set("conc_nM", 7, 0.0), r"column conc_nM, row 7: 0\.0 is not a positive concentration$"),
        (_set("conc_nM", 7, "lots"), r"column conc_nM, row 7: 'lots' is not a number$"),
        (_set("hours", 9, -24.0), r"column hours, row 9: -24\.0 is outside"),
        (_set("guide_5to3", 8, np.nan), r"column guide_5to3, row 8: missing guide sequence$"),
        (_set("passenger_5to3", 3, " "), r"column passenger_5to3, row 3: missing passenger seq"),
        (_set("oligo_id", 4, np.nan), r"column oligo_id, row 4: missing id$"),
    ],
)  # fmt: skip
def test_bad_cells_name_file_column_and_row(tmp_path, edit, message):
    path = edited_example(tmp_path, edit)
    with pytest.raises(InputError, match=message) as error:
        load(path)
    assert str(error.value).startswith(f"{path}: ")
    assert "\n" not in str(error.value)


def test_bad_sequence_letters_are_left_to_the_encoder(tmp_path):
    path = edited_example(tmp_path, _set("guide_5to3", 5, "ACGUXACGU"))
    # Three genes: one is the test share (whole genes), two remain for the folds.
    task = task_config(split={"method": "gene", "folds": 2})
    oligo = pd.read_csv(path)["oligo_id"].iloc[4]  # data row 5, named by its own id
    with pytest.raises(InputError, match=rf"{path}: column guide_5to3: id {oligo}: character 'X'"):
        encode_task("sirna_table", {NAME: path}, task, encode_outputs(tmp_path / "enc"))


def _without(key: str) -> Callable[[dict], None]:
    return lambda table: table.pop(key)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["label"].update(scale="fraction"),
         r"tasks\.lab\.table\.label\.scale: 'fraction' is not one of"),
        (lambda t: t["conditions"].update(temperature_c="temp"),
         r"tasks\.lab\.table\.conditions: Additional properties .*'temperature_c'"),
        (_without("guide"), r"tasks\.lab\.table: 'guide' is a required property"),
        (lambda t: t["label"].update(effective_at=70),
         r"tasks\.lab\.table\.label\.effective_at: 70 is outside \[0\.0, 1\.0\]"),
        (lambda t: t.update(guide_modifications="mods"),
         r"tasks\.lab\.table\.modification_tokens: needed with guide_modifications"),
        (lambda t: t.update(file="other.csv"),
         r"tasks\.lab\.dataset: kind 'sirna_table' needs file\(s\) \['other\.csv'\]"),
    ],
)  # fmt: skip
def test_bad_mapping_is_rejected_by_the_config(edit, message):
    table = deepcopy(MAPPING)
    edit(table)
    with pytest.raises(InputError, match=message) as error:
        task_config(table)
    assert "\n" not in str(error.value)


def test_table_belongs_to_sirna_table_only():
    config = {
        "datasets": {"lab": {"files": {NAME: {"sha256": "0" * 64, "sources": [str(EXAMPLE)]}}}},
        "tasks": {"lab": {"kind": "sirna_table", "dataset": "lab"}},
    }
    with pytest.raises(InputError, match=r"tasks\.lab\.table: kind 'sirna_table' needs a"):
        validate_config(deepcopy(config), "lab.yaml")
    config["tasks"]["lab"].update(kind="xor", table=deepcopy(MAPPING))
    with pytest.raises(InputError, match=r"tasks\.lab\.table: only kind 'sirna_table'"):
        validate_config(config, "lab.yaml")


def test_modification_columns_and_row_numbers_as_ids(tmp_path):
    def add_mods(table: pd.DataFrame) -> None:
        table["guide_mods"] = ["VP " + " ".join(g.lower()) for g in table["guide_5to3"]]

    table = deepcopy(MAPPING)
    del table["id"]
    table.update(
        guide_modifications="guide_mods",
        modification_tokens=["a", "c", "g", "u", "VP"],
        non_nucleotide_tokens=["VP"],
    )
    tables = load(edited_example(tmp_path, add_mods), table)
    frame = tables.frames["labelled"]
    assert frame["row_id"].iloc[:2].tolist() == ["1", "3"]  # file rows; row 2 had no label
    assert frame["mod_antisense"].iloc[0].split()[:2] == ["VP", "a"]
    assert tables.modification_tokens == ["a", "c", "g", "u", "VP"]
    assert tables.non_nucleotide_tokens == frozenset({"VP"})


def test_encode_task_end_to_end(tmp_path):
    task = task_config(split={"method": "gene", "folds": 2}, kmer={"k": 3})
    out = encode_outputs(tmp_path / "enc")
    summary = encode_task("sirna_table", {NAME: EXAMPLE}, task, out)
    labelled = 400 - UNLABELLED
    assert summary["rows"]["train"] + summary["rows"]["test"] == labelled
    assert summary["dropped"] == {f"{NAME}: missing knockdown": UNLABELLED}
    train, test = read_tensors(out["train"]), read_tensors(out["test"])
    vocab = read_vocab(out["vocab"])
    assert set(vocab["columns"]) == {
        "seq_antisense", "seq_sense", "kmer_antisense", "kmer_sense",
        "num_log10_concentration_nm", "num_duration_h", "cat_cell_line",
        "cat_transfection_method",
    }  # fmt: skip
    assert "target_context" not in train  # raw text: not a tensor
    assert train["seq_antisense"].shape == (len(train[ROW_ID]), 21)
    assert train["seq_sense"].shape[1] == 21  # 19- and 21-nt passengers, padded to 21
    raw = pd.read_csv(EXAMPLE).set_index("oligo_id")
    ids = list(train[ROW_ID])
    assert decode_nucleotides(train["seq_antisense"]) == list(raw.loc[ids, "guide_5to3"])
    expected = 100 * (1 - raw.loc[ids, "knockdown"].to_numpy())
    np.testing.assert_allclose(train[TARGET], expected, atol=1e-4)
    assert set(np.unique(train[FOLD])) == {0, 1} and (test[FOLD] == -1).all()
    genes = raw.loc[ids, "gene"].to_numpy()
    # The test share (split.test_fraction) is carved as the folds are: whole genes, a quarter
    # of the three rounded up, so no tested gene is trained on.
    assert len(set(raw.loc[list(test[ROW_ID]), "gene"])) == 1
    assert not set(raw.loc[list(test[ROW_ID]), "gene"]) & set(genes)
    assert (pd.Series(train[FOLD]).groupby(genes).nunique() == 1).all()  # one gene, one fold
    assert vocab["categories"]["cat_cell_line"][1:] == ["HeLa", "HepG2"]


def test_competition_table_keeps_its_target_context(sirna_files):
    tables = load_sirna_competition(sirna_files, {})
    raw = pd.read_csv(sirna_files["train_data.csv"])
    assert tables.frames["train"]["target_context"].tolist() == raw["gene_target_seq"].tolist()


def test_generator_rewrites_the_same_table(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_example", DATA / "make_example_sirna_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / NAME)
    assert (tmp_path / NAME).read_bytes() == EXAMPLE.read_bytes()
    assert EXAMPLE.stat().st_size < 100_000
