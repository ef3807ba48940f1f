"""Kind `sequences`: any labelled sequence set a genomics user already has, described in config.

Rows come from a delimited table, FASTA files or BED intervals cut from a genome
(`SequenceInput`), their labels are read as the task's objective writes them
(`tasks/labels.py`), and the result is the standard table every kind produces
(`tasks/base.py`): `row_id`, `seq_<alphabet>`, `target` (or one `label_<name>` per label),
optional `group`, `num_*` and `cat_*` columns.

Rules a user can rely on (config/README.md says them too):
- lower case (soft-masked) is sequence; T and U are one token;
- N and the IUPAC ambiguity letters become the unknown token (counted); anything else stops
  the run with the file, the line or record, and the letter;
- a row without a sequence or a label is dropped and counted (summary.json), never silently;
- ids repeated in a FASTA file (some benchmarks use the class as the header) get `#2`, `#3`...;
  a repeated id in a table's own id column is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import is_missing
from dlgenomics.data.tokens import AMBIGUOUS
from dlgenomics.tasks.base import StreamedTables, TaskKind, TaskTables
from dlgenomics.tasks.labels import LABEL_FORMATS
from dlgenomics.tasks.objectives import OBJECTIVES, Objective

_NOT_SEQUENCE = re.compile(f"[^ACGTU{AMBIGUOUS}]", re.IGNORECASE)
LINE, SOURCE, LABEL_RAW = "_line", "_source", "_label"  # internal columns, dropped at the end
UNMATCHED = "_unmatched"  # internal: the table a FASTA record's id was not found in


@dataclass(frozen=True)
class SequenceInput:
    """One file mapping (`input`, or a `test` entry laid over it); the defaults live here."""

    format: str
    file: str | None = None
    separator: str | None = None
    header: bool = True
    sequence: str | int | None = None
    labels: tuple[str | int, ...] = ()
    id: str | int | None = None
    group: str | int | None = None
    numeric: tuple[str | int, ...] = ()
    categorical: tuple[str | int, ...] = ()
    classes: dict[str, str] | None = None
    label: str | float | None = None
    label_pattern: str | None = None
    label_table: dict[str, Any] | None = None
    genome: str | None = None
    length: int | None = None
    anchor: str = "summit"
    chromosome_aliases: dict[str, str] | str | None = None

    @classmethod
    def from_config(cls, mapping: dict[str, Any]) -> SequenceInput:
        own = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in mapping.items()}
        return cls(**{k: v for k, v in values.items() if k in own})

    def files(self) -> list[str]:
        """Every dataset file this mapping reads."""
        named = [self.file, self.genome, (self.label_table or {}).get("file")]
        if isinstance(self.chromosome_aliases, str):  # a two-column file of the dataset
            named.append(self.chromosome_aliases)
        return [f for f in [*named, *(self.classes or {}).values()] if f]


def inputs_of(task: dict[str, Any]) -> tuple[SequenceInput, list[SequenceInput]]:
    """(the labelled input, the external test inputs) of a `sequences` task."""
    main = SequenceInput.from_config(task["input"])
    tests = []
    label_sources = ("classes", "label", "label_pattern", "label_table")
    for override in task.get("test") or []:
        merged = {**task["input"], **override}
        if any(key in override for key in label_sources):
            # A test file that names its own label source drops the input's other ones.
            merged = {k: v for k, v in merged.items() if k not in label_sources or k in override}
        tests.append(SequenceInput.from_config(merged))
    return main, tests


def sequence_files(task: dict[str, Any]) -> tuple[str, ...]:
    main, tests = inputs_of(task)
    return tuple(dict.fromkeys(f for source in (main, *tests) for f in source.files()))


def class_names(task: dict[str, Any]) -> list[str] | None:
    """The task's class names in output order (`classes`, else the input's class files)."""
    if task.get("classes"):
        return [str(c) for c in task["classes"]]
    classes = task.get("input", {}).get("classes")
    return [str(c) for c in classes] if classes else None


def label_names(task: dict[str, Any]) -> list[str]:
    """Names of a multi-label task's labels (its label columns)."""
    return [str(c) for c in task["input"].get("labels", [])]


def positive_class(task: dict[str, Any]) -> str | None:
    """A binary task's positive class when its labels are names (None: labels are 0/1)."""
    if task.get("positive_class"):
        return str(task["positive_class"])
    names = class_names(task)
    return names[1] if names and task.get("classes") else None


# Task settings only kind `sequences` reads (`reverse_complement` also genome_tracks).
SEQUENCE_TASK_KEYS = (
    "objective",
    "input",
    "test",
    "negatives",
    "classes",
    "positive_class",
    "alphabet",
    "reverse_complement",
)


def check_sequence_task(task: dict[str, Any], where: str) -> None:
    """What the schema cannot say about a `sequences` task; `where` names it in errors."""
    for key in ("objective", "input"):
        if key not in task:
            raise InputError(f"{where}.{key}: kind 'sequences' needs `{key}`")
    objective = OBJECTIVES[task["objective"]]
    label_format = LABEL_FORMATS[objective.name]
    main, tests = inputs_of(task)
    for name, source in [("input", main)] + [(f"test[{i}]", t) for i, t in enumerate(tests)]:
        _check_input(source, f"{where}.{name}", objective)
    names = class_names(task)
    if label_format.needs_classes and not names:
        raise InputError(
            f"{where}.classes: a {objective.name} task lists its classes "
            "(or input.classes names a file per class)"
        )
    if label_format.takes_negatives and names and not positive_class(task):
        raise InputError(f"{where}.positive_class: name the class that is 1 (one of {names})")
    if task.get("positive_class") and names and task["positive_class"] not in names:
        raise InputError(f"{where}.positive_class: {task['positive_class']!r} is not in {names}")
    if main.format == "table" and len(main.labels) < label_format.label_columns:
        raise InputError(
            f"{where}.input.labels: a {objective.name} task reads "
            f"{label_format.label_columns} or more label columns"
        )
    negatives = task.get("negatives")
    if negatives and not label_format.takes_negatives:
        raise InputError(f"{where}.negatives: only a binary task adds negatives")
    if negatives and negatives["method"] == "genome" and main.format != "bed":
        raise InputError(f"{where}.negatives.method: 'genome' needs BED input (a genome to draw)")
    if task.get("reverse_complement") and task.get("kmer"):
        raise InputError(f"{where}.reverse_complement: not with `kmer` (k-mers are one strand)")
    if task["split"]["method"] == "chromosome" and main.format != "bed":
        raise InputError(f"{where}.split.method: 'chromosome' needs BED input")
    if task["split"].get("test_chromosomes") and (main.format != "bed" or tests):
        raise InputError(
            f"{where}.split.test_chromosomes: needs BED input, and no `test` files "
            "(the test rows are those chromosomes' windows)"
        )
    if task["split"]["method"] == "group" and main.group is None:
        raise InputError(f"{where}.split.method: 'group' needs input.group (a column)")


_NEEDS = {"table": ("file", "sequence"), "fasta": (), "bed": ("file", "genome", "length")}


def _check_input(source: SequenceInput, where: str, objective: Objective) -> None:
    for key in _NEEDS[source.format]:
        if getattr(source, key) in (None, ()):
            raise InputError(f"{where}.{key}: needed with format {source.format!r}")
    if source.format == "table" and not source.labels:
        raise InputError(f"{where}.labels: a table names its label column(s)")
    if source.format == "fasta":
        given = [
            k
            for k in ("classes", "label", "label_pattern", "label_table")
            if getattr(source, k) is not None
        ]
        if len(given) != 1:
            raise InputError(
                f"{where}: a FASTA input takes exactly one of classes, label, label_pattern or "
                f"label_table (got {', '.join(given) or 'none'})"
            )
        if source.classes is None and not source.file:
            raise InputError(f"{where}.file: needed unless `classes` names a file per class")
        if source.label_pattern is not None:
            try:
                if re.compile(source.label_pattern).groups < 1:
                    raise InputError(f"{where}.label_pattern: needs a (group) around the label")
            except re.error as error:
                raise InputError(
                    f"{where}.label_pattern: not a regular expression ({error})"
                ) from None
    label_format = LABEL_FORMATS[objective.name]
    if source.classes is not None and not (
        label_format.needs_classes or label_format.takes_negatives
    ):
        raise InputError(f"{where}.classes: a {objective.name} task has no classes")


# --- Reading: every format ends as a raw frame (row_id, sequence, _label, ..., _line) ---------


def read_source(source: SequenceInput, files: dict[str, Path]) -> pd.DataFrame:
    if source.format == "table":
        return _read_table(source, files[source.file])
    if source.format == "fasta":
        return _read_fasta(source, files)
    return _read_bed(source, files)


def _table_columns(source: SequenceInput) -> dict[str, Any]:
    """What read_delimited is asked for a table input."""
    wanted = [source.sequence, *source.labels, *source.numeric, *source.categorical]
    wanted += [c for c in (source.id, source.group) if c is not None]
    return {
        "separator": source.separator,
        "header": source.header,
        "columns": wanted,
        "numeric": source.numeric,
    }


def _read_table(source: SequenceInput, path: Path) -> pd.DataFrame:
    from dlgenomics.data.tables import read_delimited

    return _table_frame(source, read_delimited(path, **_table_columns(source)), path)


def table_chunks(source: SequenceInput, path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """A table input's frames `rows` rows at a time (encode streams a large table)."""
    from dlgenomics.data.tables import read_delimited_chunks

    for raw in read_delimited_chunks(path, rows, **_table_columns(source)):
        yield _table_frame(source, raw, path)


def _table_frame(source: SequenceInput, raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A table's rows (all, or a chunk starting at raw.attrs["first_row"]) as the loader's
    frame: lines and default ids counted in the whole file."""
    from dlgenomics.data.tables import column_name, line_of

    def col(reference: str | int) -> pd.Series:
        return raw[column_name(raw, reference)]

    first = raw.attrs.get("first_row", 0)
    lines = [line_of(first + i, source.header) for i in range(len(raw))]
    frame = pd.DataFrame({"sequence": col(source.sequence).to_numpy(), LINE: lines})
    if source.id is not None:
        from dlgenomics.data.tables import check_unique

        ids = col(source.id).astype(str)
        check_unique(ids, path, column_name(raw, source.id))
        frame["row_id"] = ids.to_numpy()
    else:
        frame["row_id"] = [str(line) for line in lines]
    for k, reference in enumerate(source.labels):
        frame[f"{LABEL_RAW}{k}"] = col(reference).to_numpy()
    if source.group is not None:
        frame["group"] = col(source.group).fillna("").astype(str).to_numpy()
    for reference in source.numeric:
        frame[f"num_{safe_name(column_name(raw, reference))}"] = col(reference).to_numpy(np.float32)
    for reference in source.categorical:
        frame[f"cat_{safe_name(column_name(raw, reference))}"] = col(reference).to_numpy()
    frame[SOURCE] = str(path)
    return frame


def safe_name(name: str) -> str:
    """A column name usable in tensor column names (letters, digits, _)."""
    return re.sub(r"\W+", "_", str(name)).strip("_") or "column"


def _fasta_frame(path: Path, label_of: Any) -> pd.DataFrame:
    from dlgenomics.data.tables import read_fasta_records

    records = read_fasta_records(path)
    return pd.DataFrame(
        {
            "row_id": _unique([r.id for r in records]),
            "sequence": [r.sequence for r in records],
            f"{LABEL_RAW}0": [label_of(r, path) for r in records],
            LINE: [r.line for r in records],
            SOURCE: str(path),
        }
    )


def _read_fasta(source: SequenceInput, files: dict[str, Path]) -> pd.DataFrame:
    if source.classes is not None:
        frames = [
            _fasta_frame(files[f], lambda r, p, c=name: c) for name, f in source.classes.items()
        ]
        frame = pd.concat(frames, ignore_index=True)
        frame["row_id"] = _unique(frame["row_id"].tolist())
        return frame
    path = files[source.file]
    if source.label is not None:
        return _fasta_frame(path, lambda r, p: source.label)
    if source.label_pattern is not None:
        pattern = re.compile(source.label_pattern)

        def from_header(record: Any, where: Path) -> str:
            found = pattern.search(record.header)
            if not found:
                raise InputError(
                    f"{where}: line {record.line}: header {record.header[:60]!r} does not match "
                    f"label_pattern {source.label_pattern!r}"
                )
            return found.group(1)

        return _fasta_frame(path, from_header)
    return _joined_labels(_fasta_frame(path, lambda r, p: None), source, files)


def _joined_labels(
    frame: pd.DataFrame, source: SequenceInput, files: dict[str, Path]
) -> pd.DataFrame:
    """Labels from a separate table, joined on the FASTA record id."""
    from dlgenomics.data.tables import check_unique, column_name, read_delimited

    spec = source.label_table
    path = files[spec["file"]]
    table = read_delimited(
        path,
        separator=spec.get("separator"),
        header=spec.get("header", True),
        columns=[spec["id"], *spec["labels"]],
    )
    ids = table[column_name(table, spec["id"])].astype(str)
    check_unique(ids, path, column_name(table, spec["id"]))
    frame = frame.drop(columns=[f"{LABEL_RAW}0"])
    for k, reference in enumerate(spec["labels"]):
        values = dict(zip(ids, table[column_name(table, reference)], strict=True))
        frame[f"{LABEL_RAW}{k}"] = frame["row_id"].map(values).to_numpy()
    # Why such a row has no label, for the count of dropped rows.
    frame[UNMATCHED] = np.where(frame["row_id"].isin(set(ids)), "", path.name)
    return frame


def _read_bed(source: SequenceInput, files: dict[str, Path]) -> pd.DataFrame:
    from dlgenomics.data.chromosomes import ChromosomeNames, aliases_of
    from dlgenomics.data.intervals import (
        genome_index,
        interval_windows,
        read_intervals,
        reconcile_chromosomes,
    )

    bed, genome_path = files[source.file], files[source.genome]
    intervals = read_intervals(bed)
    genome = genome_index(genome_path)
    aliases = aliases_of(source.chromosome_aliases, files, "input.chromosome_aliases")
    names = ChromosomeNames(genome.keys(), str(genome_path), aliases)
    intervals = reconcile_chromosomes(intervals, names, bed)
    windows = interval_windows(intervals, genome, genome_path, bed, source.length, source.anchor)
    frame = pd.DataFrame(
        {
            "row_id": windows["row_id"].to_numpy(),
            "sequence": windows["sequence"].to_numpy(),
            "chrom": windows["chrom"].to_numpy(),
            LINE: windows["line"].to_numpy(),
            SOURCE: str(bed),
        }
    )
    raw = _bed_columns(bed, source.labels) if source.labels else {}
    for k, values in enumerate(raw.values()):
        frame[f"{LABEL_RAW}{k}"] = values
    if not source.labels:
        frame[f"{LABEL_RAW}0"] = 1  # every interval a positive: negatives come from `negatives`
    return frame


def _bed_columns(path: Path, columns: tuple[str | int, ...]) -> dict[str, np.ndarray]:
    """1-based BED columns holding labels, in file order of the intervals."""
    from dlgenomics.data.tables import read_delimited

    table = read_delimited(path, separator="\t", header=False, columns=[str(c) for c in columns])
    keep = ~table["1"].astype(str).str.startswith(("track", "browser", "#"))
    return {str(c): table.loc[keep, str(c)].to_numpy() for c in columns}


def _unique(ids: list[str]) -> list[str]:
    """Ids with repeats told apart: the second `x` becomes `x#2`, and so on."""
    seen: dict[str, int] = {}
    out = []
    for name in ids:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


# --- Labels, as the objective reads them -------------------------------------------------------


def _where(frame: pd.DataFrame) -> Callable[[int], str]:
    """How a label error names its row: the file it came from and the line in that file."""
    return lambda row: f"{frame[SOURCE].iloc[row]}: line {frame[LINE].iloc[row]}"


def targets(frame: pd.DataFrame, task: dict[str, Any]) -> pd.DataFrame:
    """The raw label column(s) -> `target` (or `label_<name>` per label), as the task's
    objective reads them; a value that is no label stops the run naming file, line and value."""
    label_format = LABEL_FORMATS[task["objective"]]
    raw = [frame[c] for c in frame.columns if c.startswith(LABEL_RAW)]
    names = (
        [safe_name(n) for n in label_names(task)]
        if label_format.label_columns > 1
        else (class_names(task) or [])
    )
    labels = label_format.read(raw, names, positive_class(task), _where(frame))
    out = frame.drop(columns=[c for c in frame.columns if c.startswith(LABEL_RAW)])
    return out.assign(**labels)


# --- Cleaning, negatives, the loader -----------------------------------------------------------


def _clean(
    frame: pd.DataFrame, dropped_ids: dict[str, list[str]], partial: bool = False
) -> pd.DataFrame:
    """Drop rows without a sequence or a label (counted by file and reason, their ids kept;
    with `partial`, a row needs one label of its several); stop at a letter that is no
    nucleotide, naming the file, line, position and letter."""
    labels = [c for c in frame.columns if c == "target" or c.startswith("label_")]
    sequence = frame["sequence"].astype("string").str.strip()
    no_sequence = is_missing(frame["sequence"]) | (sequence == "")
    no_label = frame[labels].isna().all(axis=1) if partial else frame[labels].isna().any(axis=1)
    reason = pd.Series("no label", index=frame.index, dtype=object)
    if UNMATCHED in frame:
        unmatched = frame[UNMATCHED] != ""
        reason[unmatched] = "id not in " + frame.loc[unmatched, UNMATCHED]
    reason[no_sequence] = "no sequence"
    gone = no_sequence | no_label
    files = frame[SOURCE].map(lambda source: Path(source).name)
    for key, ids in frame.loc[gone, "row_id"].groupby((files + ": " + reason)[gone], sort=False):
        dropped_ids[key] = [*dropped_ids.get(key, []), *ids.astype(str)]
    frame = frame[~gone].drop(columns=[UNMATCHED], errors="ignore").reset_index(drop=True)
    frame["sequence"] = sequence[~gone].to_numpy()
    check_letters(frame)
    return frame


def check_letters(frame: pd.DataFrame) -> None:
    """Stop at a letter that is no nucleotide, naming the file, line, record and position."""
    bad = frame["sequence"].str.contains(_NOT_SEQUENCE)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        text = frame["sequence"].iloc[row]
        position = _NOT_SEQUENCE.search(text).start()
        raise InputError(
            f"{_where(frame)(row)}: record {frame['row_id'].iloc[row]}: letter "
            f"{text[position]!r} at position {position + 1} is not a nucleotide "
            f"(ACGTU, or an IUPAC ambiguity code {AMBIGUOUS})"
        )


def read_unlabelled(source: SequenceInput, files: dict[str, Path]) -> pd.DataFrame:
    """Sequences to predict (no labels): `row_id`, `sequence`, and the file and line each
    came from. Letters are checked as for a task's own rows; an empty record is an error."""
    if source.format == "fasta":
        frame = _fasta_frame(files[source.file], lambda record, path: None)
    else:
        frame = read_source(replace(source, labels=()), files)
    frame["sequence"] = frame["sequence"].astype("string").str.strip().fillna("")
    empty = frame["sequence"] == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(f"{_where(frame)(row)}: record {frame['row_id'].iloc[row]} is empty")
    check_letters(frame)
    return frame[["row_id", "sequence", LINE, SOURCE]].reset_index(drop=True)


def _shuffled_negatives(frame: pd.DataFrame, per_positive: int, seed: int) -> pd.DataFrame:
    """Dinucleotide shuffles of every positive (DeepBind's negatives): same composition, no
    motif. Each keeps its positive's group, so the pair never straddles a fold boundary."""
    from dlgenomics.data.motifs import dinucleotide_shuffle

    rng = np.random.default_rng(seed)
    positives = frame[frame["target"] == 1]
    copies = positives.loc[positives.index.repeat(per_positive)].copy()
    copies["sequence"] = [dinucleotide_shuffle(s.upper(), rng) for s in copies["sequence"]]
    number = np.tile(np.arange(1, per_positive + 1), len(positives))
    copies["row_id"] = [f"{i}|shuffle{k}" for i, k in zip(copies["row_id"], number, strict=True)]
    copies["target"] = 0.0
    return copies


def _genome_negatives(
    frame: pd.DataFrame,
    source: SequenceInput,
    files: dict[str, Path],
    per_positive: int,
    seed: int,
) -> pd.DataFrame:
    from dlgenomics.data.intervals import genome_background, genome_index

    genome = genome_index(files[source.genome])
    positives = frame[frame["target"] == 1]
    windows = genome_background(
        genome, positives.assign(start=0), per_positive * len(positives), source.length, seed
    )
    return pd.DataFrame(
        {
            "row_id": windows["row_id"].to_numpy(),
            "sequence": windows["sequence"].to_numpy(),
            "chrom": windows["chrom"].to_numpy(),
            "target": 0.0,
            LINE: -1,
            SOURCE: str(files[source.genome]),
        }
    )


def _standard(frame: pd.DataFrame, task: dict[str, Any]) -> pd.DataFrame:
    """Internal columns out, the sequence under its alphabet's column, chromosomes as groups
    for `split.method: chromosome` and `split.test_chromosomes`."""
    frame = frame.rename(columns={"sequence": f"seq_{task.get('alphabet', 'dna')}"})
    if "chrom" in frame:
        if task["split"]["method"] == "chromosome" or task["split"].get("test_chromosomes"):
            frame["group"] = frame["chrom"]
        frame = frame.drop(columns=["chrom"])
    return frame.drop(columns=[LINE, SOURCE]).reset_index(drop=True)


def load_sequences(files: dict[str, Path], task: dict[str, Any]) -> Any:
    """A `sequences` task's standard tables: `labelled` (and `test` from external files)."""

    main, tests = inputs_of(task)
    dropped_ids: dict[str, list[str]] = {}
    partial = LABEL_FORMATS[task["objective"]].partial_labels
    labelled = _clean(targets(read_source(main, files), task), dropped_ids, partial)
    if labelled.empty:
        raise InputError(f"{files[main.files()[0]]}: no row with a sequence and a label")
    negatives = task.get("negatives")
    if negatives:
        method, count, seed = negatives["method"], negatives["per_positive"], negatives["seed"]
        extra = (
            _shuffled_negatives(labelled, count, seed)
            if method == "shuffle"
            else _genome_negatives(labelled, main, files, count, seed)
        )
        labelled = pd.concat([labelled, extra], ignore_index=True)
    check_classes(labelled, task, str(files[main.files()[0]]))
    frames = {"labelled": _standard(labelled, task)}
    sources = {"labelled": str(files[main.files()[0]])}
    if tests:
        test = [_clean(targets(read_source(t, files), task), dropped_ids, partial) for t in tests]
        frames["test"] = _standard(pd.concat(test, ignore_index=True), task)
        frames["test"]["row_id"] = _unique(frames["test"]["row_id"].tolist())
        sources["test"] = ", ".join(str(files[t.files()[0]]) for t in tests)
    return TaskTables(frames=frames, dropped_ids=dropped_ids, sources=sources)


def load_sequences_streamed(files: dict[str, Path], task: dict[str, Any], rows: int) -> Any:
    """load_sequences for a large table, `rows` rows of the file at a time (StreamedTables);
    None where the task needs every row at once (external test files, generated negatives)
    or reads no table."""

    main, tests = inputs_of(task)
    if main.format != "table" or tests or task.get("negatives"):
        return None
    path = files[main.file]
    partial = LABEL_FORMATS[task["objective"]].partial_labels

    def chunks(dropped_ids: dict[str, list[str]]) -> Iterator[pd.DataFrame]:
        for frame in table_chunks(main, path, rows):
            yield _standard(_clean(targets(frame, task), dropped_ids, partial), task)

    dropped: dict[str, list[str]] = {}
    parts, lengths = [], {}
    for chunk in chunks(dropped):
        sequences = [c for c in chunk.columns if c.startswith("seq_")]
        for column in sequences:
            longest = int(chunk[column].str.len().max()) if len(chunk) else 0
            lengths[column] = max(lengths.get(column, 0), longest)
        parts.append(chunk.drop(columns=sequences))
    labelled = pd.concat(parts, ignore_index=True)
    if labelled.empty:
        raise InputError(f"{path}: no row with a sequence and a label")
    if main.id is not None:  # unique in the whole file, not only within each chunk
        from dlgenomics.data.tables import check_unique

        check_unique(labelled["row_id"], path, str(main.id))
    check_classes(labelled, task, str(path))
    tables = TaskTables(
        frames={"labelled": labelled}, dropped_ids=dropped, sources={"labelled": str(path)}
    )
    return StreamedTables(tables, lengths, lambda: chunks({}))


def check_classes(frame: pd.DataFrame, task: dict[str, Any], path: str) -> None:
    """Every class of a classification task present, each with at least a row per fold."""
    count = LABEL_FORMATS[task["objective"]].class_counts
    if "target" not in frame or count is None:  # no single class per row
        return
    counts = count(frame["target"].to_numpy(), class_names(task) or [], positive_class(task))
    folds = task["split"]["folds"]
    present = {name: count for name, count in counts.items() if count}
    if len(present) < 2:
        only, rows = next(iter(present.items()))
        raise InputError(
            f"{path}: the labels hold one class only ({only!r}, {rows} rows); "
            "a binary task of positives only needs `negatives`"
        )
    for name, count in counts.items():
        if count < folds:
            raise InputError(
                f"{path}: class {name!r} has {count} row(s), fewer than the "
                f"{folds} folds of split.folds"
            )


def sequences_read_both_strands(task: dict[str, Any]) -> bool:
    """`reverse_complement`: on by default for DNA (a factor binds either strand), off for RNA."""
    return bool(task.get("reverse_complement", task.get("alphabet", "dna") == "dna"))


def sequences_metric_options(task: dict[str, Any]) -> dict[str, Any]:
    """The label names of a multi-class, multi-label or multi-output task."""
    labels = {"multiclass": class_names, "multilabel": label_names, "multiregression": label_names}
    named = labels[task["objective"]](task) if task["objective"] in labels else None
    return {"labels": named} if named else {}


KIND = TaskKind(
    name="sequences",
    objective=None,  # the task's own `objective` setting
    required_files=(),
    load=load_sequences,
    both_strands=sequences_read_both_strands,
    metric_options=sequences_metric_options,
    config_keys=SEQUENCE_TASK_KEYS,
    check_config=lambda config, task, where: check_sequence_task(task, where),
    allow_n=True,
    files_from_config=sequence_files,
    load_streamed=load_sequences_streamed,
)
