"""A model that travels: one task's chosen architecture as a folder that predicts with torch
alone, for people who will never install this pipeline.

    model.torchscript.pt  TorchScript: every fold model, both strands where the task reads
                          both, and the objective's transform, in one module
    vocab.json            the checkpoint's vocabularies (what encode wrote)
    inputs.json           each input column the model reads: name, dtype, shape, what it
                          holds, the alphabet -> id map, padding and unknown rules; outputs
    model_card.md         what it reads, what it was trained on, how well it does, who made it
    predict.py            `python predict.py sequences.fa > predictions.csv`, torch only

The exported module computes exactly what `evaluation.inference.predict_member` does with
`models.checkpoint.predict`: per fold, the raw outputs (mean of both strands' when the vocab
says so), transformed by the objective with that fold's own target scale; then the mean over
folds. Input: a dict {column name: tensor} keyed as in `data/schema.py` (`seq_<input>` int16
ids (batch, L), ...); output (batch,) or (batch, K) predictions in the target's units or
probabilities. The trace is verified against the checkpoints at another batch size before a
file is written, and the folder appears whole or not at all.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.nucleotides import both_strands, reverse_complement_batch, strand_order
from dlgenomics.data.schema import CAT, KMER, MOD, NMOD, NUM, SEQ, InputLayout
from dlgenomics.files import atomic_path, umask
from dlgenomics.models.checkpoint import checkpoint_objective, load_model
from dlgenomics.models.common import Batch, GenomicsModel

MODEL_FILE = "model.torchscript.pt"
EXPORT_FORMAT = 1
TRACE_ROWS, CHECK_ROWS = 3, 5  # batch sizes of the trace and of its check: must differ
TOLERANCE = 1e-5  # max abs difference allowed between the trace and the checkpoints


class FoldPrediction(nn.Module):
    """One fold model as `checkpoint.predict` uses it: raw outputs (mean of both strands'),
    then the objective's transform with this fold's target scale baked in."""

    def __init__(self, model: GenomicsModel, checkpoint: dict[str, Any]):
        super().__init__()
        self.model = model
        self.objective = checkpoint_objective(checkpoint)
        vocab = checkpoint.get("vocab", {})
        self.both_strands = both_strands(vocab)
        order = strand_order(vocab, checkpoint["n_outputs"]) or []
        self.register_buffer("strand_order", torch.tensor(order, dtype=torch.long))
        mean, std = checkpoint["target_scale"]
        if self.objective == "multiregression":  # a scale per track, buffers of the trace
            self.register_buffer("track_mean", torch.tensor(mean, dtype=torch.float32))
            self.register_buffer("track_sd", torch.tensor(std, dtype=torch.float32))
        else:
            self.mean, self.std = float(mean), float(std)

    def forward(self, batch: Batch) -> torch.Tensor:
        raw = self.model(batch).float()
        if self.both_strands:
            reverse = self.model(reverse_complement_batch(batch)).float()
            raw = (raw + reverse.index_select(1, self.strand_order)) / 2
        # As objectives.transform: the auxiliary last output of multi-task models is dropped
        # by taking the first output (regression, binary); classes and labels keep them all.
        if self.objective == "regression":
            return raw[:, 0] * self.std + self.mean
        if self.objective == "binary":
            return torch.sigmoid(raw[:, 0])
        if self.objective == "multiclass":
            return torch.softmax(raw, dim=1)
        if self.objective == "multiregression":
            return raw[:, : len(self.track_mean)] * self.track_sd + self.track_mean
        return torch.sigmoid(raw)  # multilabel


class FoldAverage(nn.Module):
    """The architecture's prediction: the mean of its fold models' (as `predict_member`)."""

    def __init__(self, folds: list[FoldPrediction]):
        super().__init__()
        self.folds = nn.ModuleList(folds)

    def forward(self, batch: Batch) -> torch.Tensor:
        return torch.stack([fold(batch) for fold in self.folds]).mean(dim=0)


def load_folds(model_paths: list[Path]) -> tuple[list[GenomicsModel], list[dict[str, Any]]]:
    """Every fold checkpoint of one architecture, refused unless all are networks trained on
    the same vocabulary for the same objective (they are averaged as one model)."""
    if not model_paths:
        raise InputError("no model files to export")
    models, checkpoints = [], []
    for path in model_paths:
        if Path(path).suffix == ".joblib":
            raise InputError(
                f"{path}: a tabular model reads features, not nucleotides, and cannot be "
                "exported (only networks on sequences can)"
            )
        model, checkpoint = load_model(path)
        models.append(model)
        checkpoints.append(checkpoint)
    first = checkpoints[0]
    for path, checkpoint in zip(model_paths[1:], checkpoints[1:], strict=True):
        same = (checkpoint["vocab"], checkpoint_objective(checkpoint), checkpoint["model"])
        if same != (first["vocab"], checkpoint_objective(first), first["model"]):
            raise InputError(
                f"{path}: not a fold of the same model as {model_paths[0]} (another "
                "vocabulary, objective or architecture)"
            )
    return models, checkpoints


def example_batch(layout: InputLayout, n_rows: int, seed: int) -> dict[str, torch.Tensor]:
    """Random but well-formed inputs for every column of the layout: right-padded nucleotide
    ids of several lengths (an N here and there), token ids, conditions (a missing one)."""
    generator = torch.Generator().manual_seed(seed)
    batch: dict[str, torch.Tensor] = {}
    for column, length in layout.token_lengths.items():
        size = layout.token_vocab_sizes[column]
        low = 2 if column.startswith(SEQ) else 1
        ids = torch.randint(low, max(size, low + 1), (n_rows, length), generator=generator)
        if column.startswith(SEQ):
            ids[0, length // 3] = tokens.UNK_ID
        lengths = torch.randint(max(1, length // 2), length + 1, (n_rows,), generator=generator)
        ids[torch.arange(length) >= lengths[:, None]] = tokens.PAD_ID
        batch[column] = ids.to(torch.int16)
    for column in layout.numeric:
        values = torch.randn(n_rows, generator=generator)
        values[0] = float("nan")
        batch[column] = values
    for column, codes in layout.categorical.items():
        batch[column] = torch.randint(0, codes, (n_rows,), generator=generator).to(torch.int16)
    return batch


class _Recording(dict):
    """A batch that remembers which columns were read: the model's true inputs."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.read: list[str] = []

    def __getitem__(self, key: str) -> torch.Tensor:
        if key not in self.read:
            self.read.append(key)
        return super().__getitem__(key)


@torch.no_grad()
def columns_read(models: list[GenomicsModel], layout: InputLayout) -> list[str]:
    """The columns the fold models read (the model's inputs): sequences first, then the
    others in the layout's order."""
    recording = _Recording(example_batch(layout, 2, seed=0))
    for model in models:
        model(recording)
    read = [column for column in recording if column in recording.read]
    return sorted(read, key=lambda column: not column.startswith(SEQ))  # sequences first


@torch.no_grad()
def trace_folds(module: FoldAverage, layout: InputLayout, columns: list[str]) -> Any:
    """TorchScript by tracing: one path for every architecture, the Python around the tensor
    operations (configs, strands, objective) resolved once. Checked against the eager module
    at another batch size, so the batch dimension is known to be free."""
    trace_inputs = {
        c: v for c, v in example_batch(layout, TRACE_ROWS, seed=1).items() if c in columns
    }
    check_inputs = {
        c: v for c, v in example_batch(layout, CHECK_ROWS, seed=2).items() if c in columns
    }
    module.eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.jit")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        traced = torch.jit.trace(module, (trace_inputs,), strict=False, check_trace=False)
    difference = float((traced(check_inputs) - module(check_inputs)).abs().max())
    if not difference <= TOLERANCE:
        raise InputError(
            f"the traced model differs from its checkpoints by {difference:.3g} at batch size "
            f"{CHECK_ROWS}; it cannot be exported faithfully"
        )
    return traced


def nucleotide_alphabet() -> dict[str, int]:
    """Letter -> id as encode reads sequences: A C G, T and U the same id, N and the IUPAC
    ambiguity letters the unknown id (either case)."""
    alphabet = {base: tokens.nucleotide_vocab().index(base) for base in tokens.BASES}
    alphabet["T"] = alphabet["U"]
    alphabet.update({letter: tokens.UNK_ID for letter in tokens.AMBIGUOUS})
    return alphabet


def input_column(column: str, vocab: dict[str, Any]) -> dict[str, Any]:
    """One input's entry of inputs.json: dtype, shape, what it holds, and (for predict.py) the
    value it takes when a FASTA file cannot say (as inference fills absent columns)."""
    spec = vocab["columns"].get(column, {})
    length = spec.get("length")
    entry: dict[str, Any] = {"name": column, "dtype": "int16", "shape": ["batch", length]}
    if column.startswith(SEQ):
        entry["holds"] = (
            f"nucleotide ids of input {column.removeprefix(SEQ)!r}, 5'->3', one per position, "
            f"right-padded with {tokens.PAD_ID} to {length}"
        )
        entry["alphabet"] = nucleotide_alphabet()
    elif column.startswith(KMER):
        source = SEQ + column.removeprefix(KMER)
        entry["holds"] = (
            f"k-mer ids of {source} (vocab.json tokens.kmer); a window holding an unknown "
            "base is 1, one running into padding 0"
        )
        entry.update(k=spec["k"], stride=spec["stride"], derived_from=source)
    elif column.startswith(NMOD):
        entry["holds"] = "the modification id of each nucleotide (vocab.json modification)"
        entry["when_absent"] = "unknown (1) on nucleotides, padding (0) elsewhere"
    elif column.startswith(MOD):
        entry["holds"] = "modification token ids, in order (vocab.json tokens.modification)"
        entry["when_absent"] = "padding (0)"
    elif column.startswith(NUM):
        entry.update(dtype="float32", shape=["batch"], when_absent="NaN")
        entry["holds"] = "numeric condition in its raw units (scaled inside); NaN = missing"
    elif column.startswith(CAT):
        entry.update(shape=["batch"], when_absent=0, categories=vocab["categories"][column])
        entry["holds"] = "category code, index into `categories`; 0 = missing or unseen"
    else:
        entry.update(holds="a column this pipeline's feature step computes", shape=None)
    return entry


def output_spec(checkpoint: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """What the model returns, by objective: names of the outputs (classes, labels) and units."""
    objective = checkpoint_objective(checkpoint)
    labels = list(checkpoint["vocab"].get("metric_options", {}).get("labels", []))
    labels = labels or list(facts.get("labels", []))
    if objective == "regression":
        units = facts.get("units", "the target's own units (un-standardised)")
        return {"shape": ["batch"], "names": [facts.get("target", "prediction")], "units": units}
    if objective == "binary":
        return {
            "shape": ["batch"],
            "names": labels[-1:] or ["probability"],
            "units": "probability of the positive class",
        }
    n_outputs = checkpoint["n_outputs"]
    names = labels if len(labels) == n_outputs else [f"class_{i}" for i in range(n_outputs)]
    units = {
        "multiclass": "probability of each class (rows sum to 1)",
        "multiregression": "each track's value in its own units (un-standardised)",
    }.get(objective, "probability of each label (independent)")
    return {"shape": ["batch", n_outputs], "names": names, "units": units}


def inputs_document(
    checkpoint: dict[str, Any], columns: list[str], n_folds: int, facts: dict[str, Any]
) -> dict[str, Any]:
    """inputs.json: how to build the model's input dict and read its output."""
    vocab = checkpoint["vocab"]
    return {
        "format": EXPORT_FORMAT,
        "model_file": MODEL_FILE,
        "task": facts.get("task"),
        "arch": facts.get("arch"),
        "objective": checkpoint_objective(checkpoint),
        "call": "torch.jit.load(model_file)(batch): batch = {input name: tensor}, rows first",
        "inputs": [input_column(column, vocab) for column in columns],
        "alphabet": nucleotide_alphabet(),
        "padding": f"id {tokens.PAD_ID}, on the right of each sequence (never inside)",
        "unknown": f"id {tokens.UNK_ID}: N or another IUPAC ambiguity letter; lower case is "
        "the same base; any other letter is an error",
        "both_strands_averaged_inside": both_strands(vocab),
        "folds_averaged_inside": n_folds,
        "output": output_spec(checkpoint, facts),
    }


def _metric_lines(facts: dict[str, Any], checkpoints: list[dict[str, Any]]) -> list[str]:
    """Metrics with their spread: from facts, else the folds' validation metrics."""
    metrics = facts.get("metrics")
    if not metrics:
        names = sorted(set.intersection(*(set(c.get("metrics") or {}) for c in checkpoints)))
        metrics = {}
        for name in names:
            values = [c["metrics"][name] for c in checkpoints]
            if all(isinstance(v, int | float) for v in values):
                metrics[name] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
        source = f"validation, over {len(checkpoints)} folds (from the checkpoints)"
    else:
        source = facts.get("metrics_source", "as reported by the pipeline")
    lines = [f"Metrics ({source}):", ""]
    for name, value in metrics.items():
        if isinstance(value, dict) and "mean" in value:
            spread = f" ± {value['std']:.4g} (sd)" if value.get("std") is not None else ""
            lines.append(f"- {name}: {value['mean']:.4g}{spread}")
        else:
            lines.append(f"- {name}: {value}")
    return lines if metrics else ["Metrics: not recorded."]


def external_test_files(task: dict[str, Any]) -> set[str]:
    """The dataset files a task only scores: its `sirna_table`'s `table.test_files`, or the
    files of a `sequences` task's `test` entries that its labelled input does not read."""
    from dlgenomics.tasks.kinds.sequences import inputs_of

    if task.get("table"):
        return set(task["table"].get("test_files") or ())
    if not task.get("test"):
        return set()
    main, tests = inputs_of(task)
    return {name for test in tests for name in test.files()} - set(main.files())


def data_facts(summary: dict[str, Any], task: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The files the task read (the encode summary's `inputs`: name -> sha256 as read), as the
    model card lists them: `training_data` (learnt from) and `test_data` (only scored)."""
    tests = external_test_files(task)
    listed: dict[str, list[dict[str, str]]] = {"training_data": [], "test_data": []}
    for name, sha in summary.get("inputs", {}).items():
        listed["test_data" if name in tests else "training_data"].append(
            {"file": name, "sha256": sha}
        )
    return listed


def _file_lines(files: list[dict[str, str]]) -> list[str]:
    """A model card's list of data files, each with the sha256 it was read with."""
    return [f"- {f.get('file')}: sha256 {f.get('sha256')}" for f in files]


def model_card(
    document: dict[str, Any], checkpoints: list[dict[str, Any]], facts: dict[str, Any]
) -> str:
    """model_card.md: what the model reads and returns, its data, metrics and provenance."""
    sequences = [i for i in document["inputs"] if i["name"].startswith(SEQ)]
    reads = ", ".join(f"`{i['name']}` (up to {i['shape'][1]} nt)" for i in sequences)
    others = [i["name"] for i in document["inputs"] if not i["name"].startswith(SEQ)]
    output = document["output"]
    data, tests = facts.get("training_data") or [], facts.get("test_data") or []
    lines = [
        f"# {facts.get('task', 'task')}: {facts.get('arch', checkpoints[0]['arch'])}",
        "",
        f"Objective: {document['objective']}; architecture `{checkpoints[0]['model']}`; "
        f"the mean of {len(checkpoints)} fold models"
        + ("; both strands averaged inside." if document["both_strands_averaged_inside"] else "."),
        "",
        "## What it reads",
        "",
        f"Nucleotides: {reads}. Alphabet A C G T/U (T and U the same id), lower case allowed; "
        "N and IUPAC ambiguity letters are read as unknown; sequences are right-padded.",
        f"Other inputs: {', '.join(others) or 'none'} (inputs.json says what each holds).",
        "",
        f"Output: {', '.join(output['names'])} — {output['units']}, shape {output['shape']}.",
        "",
        "## Training data",
        "",
        *(_file_lines(data) or ["Not recorded."]),
        *(
            [
                "",
                "## External test data",
                "",
                "Scored for the test figures, never learnt from:",
                "",
                *_file_lines(tests),
            ]
            if tests
            else []
        ),
        "",
        "## How well it does",
        "",
        *_metric_lines(facts, checkpoints),
        "",
        "## Provenance",
        "",
        f"- commit: {facts.get('commit', 'not recorded')}",
        *[f"- {name}: {version}" for name, version in (facts.get("versions") or {}).items()],
        f"- torch used to export: {torch.__version__}",
        "- config:",
        "",
        "```json",
        json.dumps(facts.get("config", {}), indent=1, sort_keys=True),
        "```",
        "",
        "## How to call it (torch only)",
        "",
        "```python",
        _call_snippet(document),
        "```",
        "",
        "Or: `python predict.py sequences.fa > predictions.csv` (FASTA, or one sequence per "
        "line; tab-separated, in the order above, when the model reads several).",
        "",
    ]
    return "\n".join(lines)


def _call_snippet(document: dict[str, Any]) -> str:
    """A runnable torch-only call on one made-up sequence; inputs a sequence cannot give take
    their "absent" value, k-mers are left to predict.py."""
    lines = [
        "import json, torch",
        "spec = json.load(open('inputs.json'))",
        "model = torch.jit.load('model.torchscript.pt')",
        "def ids(sequence, length):",
        "    codes = [spec['alphabet'][b] for b in sequence.upper()]",
        "    return torch.tensor([codes + [0] * (length - len(codes))], dtype=torch.int16)",
        "batch = {}",
    ]
    for entry in document["inputs"]:
        name, shape = entry["name"], entry["shape"]
        if name.startswith(SEQ):
            value = f"ids('ACGTTGCA', {shape[1]})"
        elif name.startswith(NMOD):
            value = f"(batch['{SEQ + name.removeprefix(NMOD)}'] != 0).to(torch.int16)"
        elif name.startswith(MOD):
            value = f"torch.zeros(1, {shape[1]}, dtype=torch.int16)"
        elif name.startswith(NUM):
            value = "torch.tensor([float('nan')])  # missing; or the condition's value"
        elif name.startswith(CAT):
            value = "torch.zeros(1, dtype=torch.int16)  # missing; or a code of `categories`"
        else:
            lines.append(f"# batch['{name}']: see inputs.json and predict.py")
            continue
        lines.append(f"batch['{name}'] = {value}")
    lines.append("print(model(batch))")
    return "\n".join(lines)


# Archive members that differ between runs or machines and that loading does not need: the
# debug records hold each traced line's stack, the exporting script's local path included.
_DEBUG_SUFFIX = ".debug_pkl"
_SERIALIZATION_ID = ".data/serialization_id"  # random per save: a hash of the content instead
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def save_reproducibly(traced: Any, path: Path) -> None:
    """`torch.jit.save`, byte-identical for identical models wherever and whenever it runs:
    the archive as torch writes it (to memory: its root folder is then always `archive/`)
    without the debug records, its random serialization id replaced by a hash of the other
    members, rewritten in torch's member order with a fixed date and mode."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # TorchScript's deprecation: the format is still read
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.jit")
        torch.jit.save(traced, buffer)
    with zipfile.ZipFile(buffer) as source:
        members = [
            (info.filename, source.read(info))
            for info in source.infolist()
            if not info.filename.endswith(_DEBUG_SUFFIX)
        ]
    digest = hashlib.sha256()
    for name, data in members:
        if not name.endswith(_SERIALIZATION_ID):
            digest.update(name.encode() + b"\0" + data)
    with atomic_path(Path(path)) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.create_system, info.external_attr = 3, 0o644 << 16  # unix, rw-r--r--
            if name.endswith(_SERIALIZATION_ID):
                data = f"{int(digest.hexdigest(), 16) % 10**40:040d}".encode()  # torch's form
            archive.writestr(info, data)


def write_folder(out_dir: Path, fill: Callable[[Path], None]) -> None:
    """`fill` writes into a temporary folder beside `out_dir`, which then replaces it whole:
    a failure leaves the previous export (or nothing), never half a folder."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".part"))
    old = out_dir.parent / f"{staging.name}.old"
    try:
        fill(staging)
        # mkdtemp makes the folder 0700: open it as the user's umask would any folder.
        os.chmod(staging, 0o777 & ~umask())
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def export_model(model_paths: list[Path], out_dir: Path, facts: dict[str, Any]) -> None:
    """Export one architecture's fold checkpoints (`model_paths`) to `out_dir` as a folder that
    predicts with torch alone. `facts`: task, arch (required), and optionally objective,
    metrics ({name: {mean, std}} or value), training_data and test_data ([{file, sha256}],
    as `data_facts` gives them), config, commit,
    versions, labels, target, units. Refuses tabular models and networks that read no
    nucleotides (InputError naming the file)."""
    for key in ("task", "arch"):
        if key not in facts:
            raise InputError(f"export of {out_dir}: facts lack {key!r}")
    models, checkpoints = load_folds(list(model_paths))
    layout = InputLayout(**checkpoints[0]["layout"])
    columns = columns_read(models, layout)
    if not any(column.startswith(SEQ) for column in columns):
        raise InputError(
            f"{model_paths[0]}: this model reads no nucleotides; only networks on "
            "sequences can be exported"
        )
    module = FoldAverage([FoldPrediction(m, c) for m, c in zip(models, checkpoints, strict=True)])
    traced = trace_folds(module, layout, columns)
    document = inputs_document(checkpoints[0], columns, len(checkpoints), facts)

    def fill(folder: Path) -> None:
        save_reproducibly(traced, folder / MODEL_FILE)
        vocab = json.dumps(checkpoints[0]["vocab"], indent=1, sort_keys=True)
        (folder / "vocab.json").write_text(vocab + "\n")
        (folder / "inputs.json").write_text(json.dumps(document, indent=1) + "\n")
        (folder / "model_card.md").write_text(model_card(document, checkpoints, facts))
        (folder / "predict.py").write_text(PREDICT_SCRIPT)

    write_folder(out_dir, fill)


PREDICT_SCRIPT = '''\
"""Predict with the exported model, torch only:

    python predict.py sequences.fa > predictions.csv
    python predict.py sequences.txt > predictions.csv   (one sequence per line)

When the model reads several sequences (e.g. both strands of a duplex), give one row per line,
its sequences separated by tabs in the order of inputs.json's nucleotide inputs. Inputs a
sequence file cannot give (modifications, conditions) take their "when_absent" value.
"""

import csv
import json
import sys
import warnings
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
BATCH = 256


def read_records(path):
    """(id, [sequence, ...]) per FASTA record or text line."""
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith(("#", ";"))]
    if lines and lines[0].startswith(">"):
        records, name, parts = [], None, []
        for line in lines + [">"]:
            if line.startswith(">"):
                if name is not None:
                    records.append((name, ["".join(parts)]))
                name, parts = (line[1:].split() or [str(len(records) + 1)])[0], []
            else:
                parts.append(line)
        return records
    return [(str(i + 1), line.split()) for i, line in enumerate(lines)]


def encode(sequence, length, alphabet, where):
    if len(sequence) > length:
        sys.exit(f"{where}: sequence of {len(sequence)} nt, longer than {length}")
    ids = []
    for position, letter in enumerate(sequence.upper()):
        if letter not in alphabet:
            sys.exit(f"{where}: {letter!r} at position {position + 1} is not a nucleotide")
        ids.append(alphabet[letter])
    return ids + [0] * (length - len(ids))


def kmers(ids, k, stride):
    out = []
    for start in range(0, max(len(ids) - k + 1, 0), stride):
        window = ids[start : start + k]
        if 0 in window:
            out.append(0)
        elif 1 in window:
            out.append(1)
        else:
            out.append(sum((b - 2) * 4 ** (k - 1 - j) for j, b in enumerate(window)) + 2)
    return out


def batch_of(records, spec, path):
    inputs = {i["name"]: i for i in spec["inputs"]}
    sequences = [name for name in inputs if name.startswith("seq_")]
    columns = {}
    for i, name in enumerate(sequences):
        length = inputs[name]["shape"][1]
        rows = []
        for record, fields in records:
            if len(fields) != len(sequences):
                sys.exit(f"{path}: {record}: {len(fields)} sequences, the model reads "
                         f"{len(sequences)} ({', '.join(sequences)})")
            rows.append(encode(fields[i], length, spec["alphabet"], f"{path}: {record}"))
        columns[name] = rows
    n = len(records)
    batch = {name: torch.tensor(rows, dtype=torch.int16) for name, rows in columns.items()}
    for name, entry in inputs.items():
        if name in batch:
            continue
        if name.startswith("kmer_"):
            rows = [kmers(r, entry["k"], entry["stride"]) for r in columns[entry["derived_from"]]]
            batch[name] = torch.tensor(rows, dtype=torch.int16).reshape(n, entry["shape"][1])
        elif name.startswith("nmod_"):
            nucleotides = batch["seq_" + name[len("nmod_"):]]
            batch[name] = (nucleotides != 0).to(torch.int16)  # unknown modification
        elif name.startswith("mod_"):
            batch[name] = torch.zeros(n, entry["shape"][1], dtype=torch.int16)
        elif name.startswith("num_"):
            batch[name] = torch.full((n,), float("nan"))
        elif name.startswith("cat_"):
            batch[name] = torch.zeros(n, dtype=torch.int16)
        else:
            sys.exit(f"input {name} cannot be made from sequences alone")
    return batch


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: python predict.py sequences.fa > predictions.csv")
    spec = json.loads((HERE / "inputs.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = torch.jit.load(str(HERE / spec["model_file"]), map_location="cpu")
    records = read_records(argv[1])
    names = spec["output"]["names"]
    writer = csv.writer(sys.stdout, lineterminator="\\n")
    writer.writerow(["id", *names])
    with torch.no_grad():
        for start in range(0, len(records), BATCH):
            chunk = records[start : start + BATCH]
            output = model(batch_of(chunk, spec, argv[1])).reshape(len(chunk), len(names))
            for (record, _), row in zip(chunk, output.tolist()):
                writer.writerow([record, *(repr(value) for value in row)])


if __name__ == "__main__":
    main(sys.argv)
'''


def export_best_network(
    candidates: list[tuple[str, list[Path]]],
    out_dir: Path,
    facts: dict[str, Any],
    leaderboard: pd.DataFrame,
) -> str:
    """Export the task's chosen model: the best-ranked network (`candidates`, best first, as
    `evaluate.ranked_candidates` gives them) that reads nucleotides, with its leaderboard row
    as its metrics. Returns its name."""
    passed = []
    for arch, paths in candidates:
        row = leaderboard.loc[arch] if arch in leaderboard.index else pd.Series(dtype=float)
        metrics = {name: float(v) for name, v in row.items() if isinstance(v, int | float)}
        try:
            export_model(paths, out_dir, {**facts, "arch": arch, "metrics": metrics})
        except InputError as why:
            if "reads no nucleotides" not in str(why):
                raise
            passed.append(arch)
            continue
        return arch
    raise InputError(f"export of {facts['task']}: no network reads nucleotides ({passed})")
