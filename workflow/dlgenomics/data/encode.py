"""Standard tables -> Parquet tensors (one file per role) and the vocabularies beside them.

Vocabularies are fixed alphabets (nucleotides, k-mers), the dataset's declared modification
tokens, and category levels seen in the *training* rows only, so every role is encoded with
the same ids and nothing is learnt from the test table.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.download import sha256_of
from dlgenomics.data.schema import (
    CAT,
    FOLD,
    KMER,
    LABEL,
    MOD,
    NMOD,
    NUM,
    ROW_GROUP_ROWS,
    ROW_ID,
    SEQ,
    TARGET,
    is_token_column,
    tensor_writer,
    token_dtype,
    write_tensors,
    write_vocab,
)
from dlgenomics.data.splits import (
    DEFAULT_SHARED_CONTEXT,
    GROUPED,
    assign_folds,
    chromosome_test,
    holdout_test,
    leak_share,
    shared_context_groups,
    shares_with_training,
)
from dlgenomics.files import atomic_path
from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.kinds import TASK_KINDS, objective_of

log = logging.getLogger(__name__)
MISSING_CATEGORY = "<missing or unseen>"
VOCAB_FORMAT = 1


def _columns(frame: pd.DataFrame, prefix: str) -> list[str]:
    return [c for c in frame.columns if c.startswith(prefix)]


def build_vocab(
    frames: dict[str, pd.DataFrame],
    modification_tokens: list[str] | None,
    kmer: dict[str, Any] | None,
    non_nucleotide_tokens: frozenset[str] = frozenset(),
    lengths: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Vocabularies and fixed lengths for every input column of the tables (`lengths`: the
    longest sequence of each sequence column, where the tables hold none: a streamed encode)."""
    train = frames["train"]
    vocabularies: dict[str, list[str]] = {"nucleotide": tokens.nucleotide_vocab()}
    columns: dict[str, dict[str, Any]] = {}
    everything = pd.concat(frames.values(), ignore_index=True)
    for column in _columns(train, SEQ) if lengths is None else list(lengths):
        length = (
            tokens.max_length(everything[column].dropna()) if lengths is None else lengths[column]
        )
        columns[column] = {"vocab": "nucleotide", "length": length}
        if kmer:
            k, stride = kmer["k"], kmer.get("stride") or kmer["k"]
            vocabularies["kmer"] = tokens.kmer_vocab(k)
            columns[KMER + column.removeprefix(SEQ)] = {
                "vocab": "kmer",
                "length": tokens.kmer_length(length, k, stride),
                "k": k,
                "stride": stride,
            }
    mod_columns = _columns(train, MOD)
    if mod_columns:
        if modification_tokens is None:
            raise InputError("this task has modification lists but no modification vocabulary")
        vocabularies["modification"] = [tokens.PAD, tokens.UNK, *modification_tokens]
        for column in mod_columns:
            length = tokens.max_tokens(everything[column].dropna())
            columns[column] = {"vocab": "modification", "length": length}
            strand = column.removeprefix(MOD)
            if SEQ + strand in columns:
                columns[NMOD + strand] = {
                    "vocab": "modification",
                    "length": columns[SEQ + strand]["length"],
                    "aligned_to": SEQ + strand,
                }
        vocabularies["modification_non_nucleotide"] = sorted(non_nucleotide_tokens)
    for column in _columns(train, NUM):
        columns[column] = {"dtype": "float32"}
    categories: dict[str, list[str]] = {}
    for column in _columns(train, CAT):
        levels = sorted(train[column].dropna().astype(str).unique())
        categories[column] = [MISSING_CATEGORY, *levels]
        columns[column] = {"vocab": column}
    return {
        "format": VOCAB_FORMAT,
        "tokens": vocabularies,
        "categories": categories,
        "columns": columns,
    }


def encode_frame(
    frame: pd.DataFrame,
    vocab: dict[str, Any],
    where: str,
    allow_n: bool,
    names: dict[str, str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One standard table -> tensor columns, plus counts of what was mapped to unknown.
    Errors name `where` (the file), the user's column (`names`: standard -> theirs) and the
    row's own id."""
    names = names or {}
    out: dict[str, np.ndarray] = {ROW_ID: frame[ROW_ID].astype(str).to_numpy()}
    ids = out[ROW_ID]  # errors name rows by id: the source file's own, or its row number
    unknown: dict[str, Any] = {}
    # k-mers and aligned modifications derive from other columns: those come first, whatever
    # the vocabulary's order (vocab.json is written with sorted keys).
    derived = (KMER, NMOD)
    in_order = sorted(vocab["columns"].items(), key=lambda item: item[0].startswith(derived))
    for column, spec in in_order:
        if column.startswith(SEQ):
            out[column] = tokens.encode_nucleotides(
                frame[column],
                spec["length"],
                f"{where}: column {names.get(column, column)}",
                allow_n,
                ids,
            )
            ambiguous = int((out[column] == tokens.UNK_ID).any(axis=1).sum())
            if ambiguous:
                unknown[column] = {"rows with N or another IUPAC ambiguity letter": ambiguous}
        elif column.startswith(KMER):
            nucleotides = out[SEQ + column.removeprefix(KMER)]
            out[column] = tokens.encode_kmers(nucleotides, spec["k"], spec["stride"])
        elif column.startswith(MOD):
            out[column], counts = tokens.encode_tokens(
                frame[column],
                vocab["tokens"]["modification"],
                spec["length"],
                f"{where}: column {names.get(column, column)}",
                ids,
            )
            if counts:
                unknown[column] = counts
        elif column.startswith(NMOD):
            strand = column.removeprefix(NMOD)
            out[column], short = tokens.align_to_nucleotides(
                out[MOD + strand],
                out[SEQ + strand],
                tokens.nucleotide_token_mask(
                    vocab["tokens"]["modification"],
                    vocab["tokens"]["modification_non_nucleotide"],
                ),
            )
            if short:
                unknown[column] = {"modification list shorter than the sequence (rows)": short}
        elif column.startswith(NUM):
            out[column] = frame[column].to_numpy(dtype=np.float32)
        elif column.startswith(CAT):
            levels = {level: i for i, level in enumerate(vocab["categories"][column])}
            codes = frame[column].astype("string").map(levels)
            unseen = frame[column].notna() & codes.isna()
            if unseen.any():
                unknown[column] = {
                    str(k): int(v) for k, v in frame[column][unseen].value_counts().items()
                }
            out[column] = codes.fillna(0).to_numpy(dtype=np.int16)
    out = {
        ROW_ID: out[ROW_ID],
        **{column: stored(out[column], column, vocab) for column in vocab["columns"]},
    }
    labels = [c for c in frame.columns if c.startswith(LABEL)]
    out[TARGET] = frame[labels if labels else TARGET].to_numpy(dtype=np.float32)
    return out, unknown


def stored(values: np.ndarray, column: str, vocab: dict[str, Any]) -> np.ndarray:
    """A column as written: token ids at one byte where their vocabulary allows."""
    if not is_token_column(column):
        return values
    return values.astype(token_dtype(len(vocab["tokens"][vocab["columns"][column]["vocab"]])))


def check_lengths(
    frame: pd.DataFrame,
    shortest: dict[str, tuple[int, str]],
    where: str,
    names: dict[str, str],
) -> None:
    """Sequences too short for what a kind computes from them (an siRNA guide shorter than its
    duplex core) stop encode, naming the file, the user's column and the row's id: later
    steps would fail on them while training already runs."""
    for column, (length, needed_by) in shortest.items():
        lengths = frame[column].fillna("").astype(str).str.len().to_numpy()
        if (lengths < length).any():
            row = int(np.argmax(lengths < length))
            raise InputError(
                f"{where}: column {names.get(column, column)}, id {frame[ROW_ID].iloc[row]}: "
                f"{lengths[row]} nt, shorter than {needed_by}"
            )


def split_inputs(
    kind_name: str, frame: pd.DataFrame, task: dict[str, Any]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(groups, class labels) of a table's rows, as the task's split keeps them together and
    balances them; None where the table has none."""
    kind, split = TASK_KINDS[kind_name], task["split"]
    objective = objective_of({**task, "kind": kind_name})
    # Several labels per row (label_* columns): no single class to stratify by.
    labels = objective.stratify_by(frame[TARGET].to_numpy()) if TARGET in frame else None
    groups = frame["group"].to_numpy() if "group" in frame else None
    if groups is None and split["method"] in GROUPED and kind.context_text is not None:
        # No gene column: rows on overlapping stretches of one mRNA stay together.
        shared = split.get("shared_context") or DEFAULT_SHARED_CONTEXT
        groups = shared_context_groups(kind.context_text(frame), shared)
    return groups, labels


def split_roles(
    kind_name: str, tables: TaskTables, task: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Carve the test role from the labelled rows where the dataset has no test table (none at
    all with `test_fraction: 0`): the rows on `test_chromosomes`, else by the task's split
    method; then subsample training rows if asked."""
    frames, split, max_rows = dict(tables.frames), task["split"], task["max_rows"]
    if "labelled" in frames and "test" in frames:  # external test files
        frames = {"train": frames.pop("labelled"), **frames}  # train first: checked first
    elif "labelled" in frames:
        labelled = frames.pop("labelled")
        if split.get("test_chromosomes"):  # their rows, whatever test_fraction says
            # A BED task's `group` column holds each row's chromosome (tasks/kinds/sequences.py).
            is_test = chromosome_test(labelled["group"].to_numpy(), split["test_chromosomes"])
            counts = labelled.loc[is_test, "group"].value_counts(sort=False).items()
            log.info("test rows per chromosome: %s", ", ".join(f"{c} {n}" for c, n in counts))
        else:
            groups, labels = (
                split_inputs(kind_name, labelled, task) if split["test_fraction"] else (None, None)
            )
            # `test_method: random` keeps a published protocol's unstratified, ungrouped rows.
            method = split["method"] if split["test_method"] == "method" else "random"
            is_test = holdout_test(
                len(labelled), split["test_fraction"], split["seed"], method, groups, labels
            )
        frames = {
            "train": labelled[~is_test].reset_index(drop=True),
            "test": labelled[is_test].reset_index(drop=True),
        }
    if max_rows is not None and max_rows < len(frames["train"]):
        keep = np.random.default_rng(split["seed"]).choice(
            len(frames["train"]), max_rows, replace=False
        )
        frames["train"] = frames["train"].iloc[np.sort(keep)].reset_index(drop=True)
    return frames


def standard_tables(
    kind_name: str, files: dict[str, Path], task: dict[str, Any]
) -> tuple[TaskTables, dict[str, pd.DataFrame]]:
    """The task's standard tables by role (train, test), as encoded: loaded, split, sampled."""
    tables = TASK_KINDS[kind_name].load(files, task)
    return tables, split_roles(kind_name, tables, task)


def train_folds(
    kind_name: str, train: pd.DataFrame, task: dict[str, Any], name: str
) -> tuple[np.ndarray, np.ndarray | None, dict[str, float]]:
    """Validation fold of each training row, the groups the folds kept together (None: rows
    are independent), and, for kinds that tie rows by shared sequence, the share of validated
    rows that share a stretch with another fold: under these folds and under plain random ones
    (the leak a random split would let in)."""
    kind, split = TASK_KINDS[kind_name], task["split"]
    groups, labels = split_inputs(kind_name, train, task)
    shared = split.get("shared_context") or DEFAULT_SHARED_CONTEXT
    text = kind.context_text(train) if kind.context_text else None
    try:
        folds = assign_folds(
            len(train),
            split["method"],
            split["folds"],
            split["seed"],
            split["valid_fraction"],
            groups=groups,
            labels=labels,
        )
    except InputError as error:  # name the key to change
        message = str(error).replace("split: ", "split.folds: ", 1)
        raise InputError(f"tasks.{name}.{message}") from None
    if split["method"] not in GROUPED:
        groups = None  # a group column the split did not use
    if text is None:
        return folds, groups, {}
    random = assign_folds(
        len(train), "random", split["folds"], split["seed"], split["valid_fraction"]
    )
    leak = {
        "shared_nt": shared,
        "these_folds": leak_share(text, folds, shared),
        "random_folds": leak_share(text, random, shared),
    }
    log.info(
        "validated rows sharing a %d-nt stretch with a training row: %.1f%% with these folds, "
        "%.1f%% with random folds",
        shared,
        100 * leak["these_folds"],
        100 * leak["random_folds"],
    )
    return folds, groups, leak


def held_out_leak(
    kind_name: str, frames: dict[str, pd.DataFrame], test_sets: dict[str, list[str]], shared: int
) -> dict[str, Any]:
    """Share of the test rows (`test`), and of each external test file's rows (`test_sets`),
    that share a `shared`-nt stretch with a training row: a test figure on such rows is
    closer to a random split's. Empty without test rows."""
    test = frames.get("test")
    if test is None or test.empty:
        return {}
    text_of = TASK_KINDS[kind_name].context_text
    leaks = shares_with_training(text_of(frames["train"]), text_of(test), shared)
    leak: dict[str, Any] = {"test": float(leaks.mean())}
    if test_sets:
        row_ids = test[ROW_ID].astype(str)
        leak["test_sets"] = {
            name: float(leaks[row_ids.isin(ids).to_numpy()].mean()) if ids else float("nan")
            for name, ids in test_sets.items()
        }
    shares = {"all test rows": leak["test"], **leak.get("test_sets", {})}
    log.info(
        "test rows sharing a %d-nt stretch with a training row: %s",
        shared,
        ", ".join(f"{100 * share:.1f}% of {name}" for name, share in shares.items()),
    )
    return leak


def write_groups(row_ids: np.ndarray, groups: np.ndarray | None, path: Path) -> None:
    """Each training row's split group, for the leaderboard's bootstrap (each row its own group
    where the split kept none together)."""
    group = row_ids if groups is None else np.asarray(groups)
    frame = pd.DataFrame({ROW_ID: row_ids.astype(str), "group": group.astype(str)})
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def encode_task(
    kind_name: str,
    files: dict[str, Path],
    task: dict[str, Any],
    out: dict[str, Path],
    name: str = "<task>",
) -> dict[str, Any]:
    """Encode one task: writes out['train'], out['test'] (Parquet) and out['vocab'] (JSON).
    Inputs over STREAM_BYTES are read, tokenised and written a chunk at a time where the
    kind can (`TaskKind.load_streamed`): memory then grows with the rows' labels, not their
    sequences.

    Returns a summary (rows per role, rows dropped and why, unknown tokens) for the log.
    """
    kind = TASK_KINDS[kind_name]
    streamed = _streamed(kind, files, task)
    try:
        if streamed is None:
            tables, frames = standard_tables(kind_name, files, task)
        else:
            tables = streamed.tables
            labelled = tables.frames["labelled"]
            labelled[STREAMED_ROW] = np.arange(len(labelled))
            frames = split_roles(kind_name, tables, task)
    except InputError as error:
        if str(error).startswith("split."):  # the test share: name the task's key
            raise InputError(f"tasks.{name}.{error}") from None
        raise
    rows_read = check_dropped_share(tables, task.get("max_dropped_fraction"), name)
    sources = {role: role_source(tables, role, kind_name) for role in frames}
    if streamed is None:  # streamed: checked chunk by chunk, before each is padded
        check_max_length(frames, task.get("max_length"), sources, name)
    vocab = build_vocab(
        frames,
        tables.modification_tokens,
        task["kmer"],
        tables.non_nucleotide_tokens,
        None if streamed is None else streamed.lengths,
    )
    folds, groups, leak = train_folds(kind_name, frames["train"], task, name)
    summary: dict[str, Any] = {"rows": {}, "dropped": tables.dropped, "unknown": {}}
    summary["rows_read"] = rows_read  # kept and dropped, before any max_rows sample
    if tables.dropped_ids:
        summary["dropped_rows"] = tables.dropped_ids  # reason -> ids, for the user to look up
    if leak:
        leak.update(held_out_leak(kind_name, frames, tables.test_sets, leak["shared_nt"]))
        summary["leak"] = leak
    if tables.test_sets:
        summary["test_sets"] = tables.test_sets
    # The data as read, whatever the config pinned (a local file may come without a sha256).
    summary["inputs"] = {name: sha256_of(Path(path)) for name, path in sorted(files.items())}
    encoding = EncodeJob(kind, task, name, tables, vocab, folds, sources, out, summary)
    if streamed is None:
        encoding.roles(frames)
    else:
        encoding.streamed(frames, streamed)
    train_ids = frames["train"][ROW_ID].astype(str).to_numpy()
    if kind.resampling_groups is not None:
        groups = kind.resampling_groups(train_ids)
    write_groups(train_ids, groups, out["groups"])
    summary["fold_sizes"] = {
        int(k): int(v) for k, v in zip(*np.unique(folds, return_counts=True), strict=True)
    }
    if kind.both_strands(task):
        vocab["reverse_complement"] = True  # training and prediction read both strands
        partners = kind.reverse_strand_outputs(task)
        if partners is not None:
            vocab["reverse_strand_outputs"] = partners
    options = kind.metric_options(task)
    if options:  # only kinds with settings of their own record them (older files stay valid)
        vocab["metric_options"] = options
    write_vocab(vocab, out["vocab"])
    for why in dropped_why(tables):
        log.warning("dropped %s", why)
    for role, unknown in summary["unknown"].items():
        log.warning("%s: values mapped to the unknown id: %s", role, json.dumps(unknown))
    log.info("encoded %s: %s", name, json.dumps(summary_for_log(summary), ensure_ascii=False))
    return summary


# --- Writing the roles: whole tables, or a large input chunk by chunk ------------------------

STREAM_BYTES = 256 * 2**20  # input files larger than this are encoded chunk by chunk
STREAMED_ROW = "_streamed_row"  # a streamed row's number among the kept rows (internal)


def _streamed(kind: TaskKind, files: dict[str, Path], task: dict[str, Any]) -> Any:
    """The kind's StreamedTables where the inputs are large and the kind can stream them."""
    size = sum(Path(path).stat().st_size for path in files.values())
    if kind.load_streamed is None or size <= STREAM_BYTES:
        return None
    return kind.load_streamed(files, task, ROW_GROUP_ROWS)


@dataclass
class EncodeJob:
    """What writing a task's roles needs, whole or streamed."""

    kind: TaskKind
    task: dict[str, Any]
    name: str
    tables: TaskTables
    vocab: dict[str, Any]
    folds: np.ndarray
    sources: dict[str, str]
    out: dict[str, Path]
    summary: dict[str, Any]

    def encoded(self, frame: pd.DataFrame, role: str) -> tuple[dict[str, np.ndarray], dict]:
        """A role's rows (all, or a chunk) checked and encoded; their unknown-token counts."""
        where, names = self.sources[role], self.tables.columns
        columns, unknown = encode_frame(frame, self.vocab, where, self.kind.allow_n, names)
        check_lengths(frame, self.kind.min_lengths, where, names)
        if self.kind.check_frame is not None:
            self.kind.check_frame(frame, where, names, self.task)
        return columns, unknown

    def roles(self, frames: dict[str, pd.DataFrame]) -> None:
        """Every role whole: encoded, written, counted in the summary."""
        for role, frame in frames.items():
            columns, unknown = self.encoded(frame, role)
            columns[FOLD] = (
                self.folds if role == "train" else np.full(len(frame), -1, dtype=np.int16)
            )
            write_tensors(columns, self.out[role])
            self.summary["rows"][role] = len(frame)
            if unknown:
                self.summary["unknown"][role] = unknown

    def streamed(self, frames: dict[str, pd.DataFrame], streamed: Any) -> None:
        """Every role a chunk of the input at a time, in the rows' order (the same files the
        whole tables give): each chunk's rows split by role, checked, encoded, and written a
        Parquet row group at a time."""
        role_of = np.full(len(self.tables.frames["labelled"]), -1, dtype=np.int8)
        fold_of = np.full(len(role_of), -1, dtype=np.int16)
        for number, frame in enumerate(frames.values()):
            role_of[frame[STREAMED_ROW].to_numpy()] = number
        fold_of[frames["train"][STREAMED_ROW].to_numpy()] = self.folds
        unknown: dict[str, dict[str, Any]] = {role: {} for role in frames}
        with contextlib.ExitStack() as stack:
            writers = {role: stack.enter_context(tensor_writer(self.out[role])) for role in frames}
            first = 0
            for chunk in streamed.chunks():
                rows = np.arange(first, first + len(chunk))
                first += len(chunk)
                for number, role in enumerate(frames):
                    mine = role_of[rows] == number
                    part = chunk[mine].reset_index(drop=True)
                    check_max_length(
                        {role: part}, self.task.get("max_length"), self.sources, self.name
                    )
                    columns, seen = self.encoded(part, role)
                    columns[FOLD] = fold_of[rows[mine]]
                    writers[role].write(columns)
                    add_counts(unknown[role], seen)
        for role, writer in writers.items():
            self.summary["rows"][role] = writer.rows
            if unknown[role]:
                self.summary["unknown"][role] = unknown[role]
        self.summary["streamed"] = {"chunk_rows": ROW_GROUP_ROWS, "rows": first}


def add_counts(total: dict[str, Any], counts: dict[str, Any]) -> None:
    """Nested counts (column -> what -> rows) added into `total`, in place."""
    for column, by_what in counts.items():
        into = total.setdefault(column, {})
        for what, count in by_what.items():
            into[what] = into.get(what, 0) + count


def role_source(tables: TaskTables, role: str, kind_name: str) -> str:
    """The file a role's rows came from, as errors name it (a carved test role: the labelled
    table's)."""
    sources = tables.sources
    return sources.get(role) or sources.get("labelled") or f"{role} table of {kind_name}"


# --- What encode refuses or reports before anything is padded or trained ------------------

SHOWN_IDS = 5  # ids a log line or error shows of a longer list (the rest are counted)


def shown_ids(ids: list[str]) -> str:
    """A list of row ids for a log line or an error: the count, then the first few."""
    more = ", …" if len(ids) > SHOWN_IDS else ""
    return f"{len(ids)} ids: {', '.join(map(str, ids[:SHOWN_IDS]))}{more}"


def summary_for_log(summary: Any) -> Any:
    """The summary as the encode log shows it: each list of more than a few ids counted and
    cut to its first few (summary.json keeps them all)."""
    if isinstance(summary, dict):
        return {key: summary_for_log(value) for key, value in summary.items()}
    if isinstance(summary, list) and len(summary) > SHOWN_IDS:
        return shown_ids(summary)
    return summary


def check_max_length(
    frames: dict[str, pd.DataFrame], max_length: int | None, sources: dict[str, str], name: str
) -> None:
    """A record longer than `tasks.<name>.max_length` stops encode, naming it and its length,
    before anything is padded: one outlier would pad every row to its length (a 1 Mb record
    among 200-nt rows runs out of memory)."""
    if max_length is None:
        return
    for role, frame in frames.items():
        for column in _columns(frame, SEQ):
            lengths = frame[column].fillna("").astype(str).str.len().to_numpy()
            if len(lengths) and lengths.max() > max_length:
                row = int(lengths.argmax())
                raise InputError(
                    f"{sources.get(role, role)}: record {frame[ROW_ID].iloc[row]}: "
                    f"{lengths[row]} nt, longer than tasks.{name}.max_length ({max_length} nt; "
                    f"the median row has {int(np.median(lengths))} nt): remove the record, or "
                    "raise max_length if every row should be padded to its length"
                )


def check_dropped_share(tables: TaskTables, limit: float | None, name: str) -> int:
    """Rows read (kept and dropped); more dropped than `tasks.<name>.max_dropped_fraction`
    of them stops encode, saying how many, why and which (the first few ids)."""
    dropped = sum(tables.dropped.values())
    read = dropped + sum(len(frame) for frame in tables.frames.values())
    if limit is not None and dropped > limit * read:
        raise InputError(
            f"tasks.{name}.max_dropped_fraction: {dropped} of {read} rows dropped "
            f"({dropped / read:.0%}), more than {limit:g} of them: {'; '.join(dropped_why(tables))}"
        )
    return read


def dropped_why(tables: TaskTables) -> list[str]:
    """Each reason rows were dropped, with how many and which (the first few ids)."""
    reasons = []
    for reason, count in tables.dropped.items():
        ids = tables.dropped_ids.get(reason)
        reasons.append(f"{count} rows: {reason}" + (f" ({shown_ids(ids)})" if ids else ""))
    return reasons


def dropped_rows_warnings(tasks: list[str], summary_pattern: str) -> list[str]:
    """One warning line per task whose encode dropped rows (how many, why, where their ids
    are), read from each task's encoded summary (`summary_pattern` with `{task}`): said at the
    end of a run, where a user reads, not only in the encode log. Tasks not encoded yet, or
    whose summary cannot be read, say nothing."""
    lines = []
    for task in tasks:
        path = Path(summary_pattern.format(task=task))
        try:
            summary = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        dropped = summary.get("dropped") or {}
        if not dropped:
            continue
        count = sum(dropped.values())
        read = summary.get("rows_read") or count + sum(summary.get("rows", {}).values())
        why = "; ".join(f"{reason}: {rows}" for reason, rows in dropped.items())
        where = f"{path} (dropped_rows)" if summary.get("dropped_rows") else str(path)
        lines.append(
            f"warning: task {task}: {count} of {read} rows dropped ({why}); their ids: {where}"
        )
    return lines


def print_dropped_rows(tasks: list[str], summary_pattern: str) -> None:
    """The end-of-run warnings (dropped_rows_warnings) on standard error: the Snakefile's
    onsuccess and onerror handlers call this."""
    for line in dropped_rows_warnings(tasks, summary_pattern):
        print(line, file=sys.stderr)
