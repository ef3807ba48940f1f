"""Reading user tables and sequence files with errors that name the file, the line or the column.

The FASTA, delimited-table and line readers all decode through `open_text`'s helper, so gzip
(found by its magic bytes: upstream names do not always say .gz), CRLF line ends and non-UTF-8
bytes are handled once, the same way. `read_csv` is the older siRNA-table reader (pandas alone)."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import re
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TextIO

import numpy as np
import pandas as pd

from dlgenomics import InputError

GZIP_MAGIC = b"\x1f\x8b"
# Files a user may hand over by mistake, named instead of reported as undecodable bytes.
NOT_TEXT = {
    b"\xff\xfe": "UTF-16 text (save it as UTF-8)",
    b"\xfe\xff": "UTF-16 text (save it as UTF-8)",
    b"PK\x03\x04": "a zip archive (unpack it first)",
    b"\xfd7zXZ\x00": "an xz file (decompress it, or gzip it instead)",
    b"\x28\xb5\x2f\xfd": "a zstd file (decompress it, or gzip it instead)",
}
# The spellings of "no value" in a cell (config/README.md lists them): read as missing, a
# label or sequence so spelled drops its row (counted). Everything else stays the string in
# the file (ids like '007' survive).
MISSING_VALUES = (
    "",
    "NA",
    "N/A",
    "n/a",
    "NaN",
    "nan",
    "NAN",
    "-nan",
    "<NA>",
    "#N/A",
    "null",
    "NULL",
    "Null",
    "None",
)
SEPARATOR_NAMES = {"\t": "tab-separated", ",": "comma-separated"}


def _read_text(path: Path) -> str:
    """The whole file as text with '\\n' line ends. Decoding it all up front means a binary or
    mis-encoded file fails here, naming its line, rather than later as odd sequence letters."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(f"{path}: a damaged gzip file ({error})") from None
    for magic, kind in NOT_TEXT.items():
        if data.startswith(magic):
            raise InputError(f"{path}: not a UTF-8 text file: {kind}")
    data = data.removeprefix(codecs.BOM_UTF8)  # spreadsheet exports start with one
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"{path}: line {line}: byte 0x{data[error.start]:02x} is not UTF-8 text "
            "(a binary file, or text in another encoding?)"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(f"{path}: line {line}: a NUL byte: not a text file (binary, UTF-16?)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def open_text(path: Path) -> TextIO:
    """Open a text file that may be gzip-compressed (detected by its magic bytes, not its name),
    universal newlines (CRLF files exist upstream), UTF-8 with a clear InputError for bytes that
    are not text. The file is decoded whole when opened, so every such error is raised here
    (naming the line), never halfway through a caller's loop; a UTF-8 BOM is dropped."""
    return io.StringIO(_read_text(path))


def read_csv(path: Path, required: Iterable[str], numeric: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV, checking it is non-empty, has the `required` columns and that `numeric`
    columns hold numbers (empty cells allowed). Raises InputError naming what is wrong."""
    try:
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable CSV table ({error})") from None
    if frame.empty:
        raise InputError(f"{path}: no data rows")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing required column(s) {', '.join(missing)}")
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{path}: column {column}, row {row + 1}: "
                f"{frame[column].iloc[row]!r} is not a number"
            )
        frame[column] = values.astype("float64")
    return frame


def is_missing(values: pd.Series) -> pd.Series:
    """Cells that hold no value: empty, NaN, or one of MISSING_VALUES (spaces around ignored)."""
    return values.isna() | values.astype(str).str.strip().isin(MISSING_VALUES)


def check_unique(values: pd.Series, path: Path, column: str) -> None:
    """Ids must name one row each (predictions and submissions are joined on them): the first
    repeat is an InputError naming its row."""
    duplicated = values.duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: column {column}, row {row + 1}: duplicated id '{values.iloc[row]}'"
        )


def read_lines(path: Path) -> list[str]:
    """The non-blank lines, stripped, of a one-value-per-line file (gzip or not, any line end)."""
    lines = [line.strip() for line in _read_text(path).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise InputError(f"{path}: empty file")
    return lines


@dataclass(frozen=True)
class FastaRecord:
    """One FASTA record, with the line of its header so that later checks can point at it."""

    header: str  # the whole header line after '>', stripped
    id: str  # first word of the header
    sequence: str  # lines joined, whitespace removed, case kept
    line: int  # 1-based line number of the header


def read_fasta_records(path: Path) -> list[FastaRecord]:
    """Every record in file order; multi-line, mixed case, gzip or not, CRLF or LF; ids may
    repeat (some benchmark files use the class as the header). Errors: no records (empty file
    or no '>'), an empty record (a header with no sequence: name its line and id), sequence text
    before the first header. Blank lines and ';' comment lines are skipped."""
    text = _read_text(path)
    records: list[FastaRecord] = []
    header: tuple[str, str, int] | None = None  # (header, id, line) of the open record
    chunks: list[str] = []
    orphan = 0  # the first line of sequence text seen before any header
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if not line.startswith(">"):
            if header is None:
                orphan = orphan or number
            else:
                chunks.append("".join(line.split()))
            continue
        if orphan:
            raise InputError(f"{path}: line {orphan}: sequence text before the first '>' header")
        if header is not None:
            records.append(_fasta_record(path, header, chunks))
        words = line[1:].split()
        if not words:
            raise InputError(f"{path}: line {number}: a record header without an id")
        header, chunks = (line[1:].strip(), words[0], number), []
    if orphan:
        raise InputError(f"{path}: no FASTA record (no line starts with '>')")
    if header is None:
        raise InputError(f"{path}: empty file" if not text.strip() else f"{path}: no FASTA record")
    records.append(_fasta_record(path, header, chunks))
    return records


def _fasta_record(path: Path, header: tuple[str, str, int], chunks: list[str]) -> FastaRecord:
    """The record a header opened, once its sequence lines are in: an empty one is an error
    because it would otherwise become a zero-length training example."""
    text, name, line = header
    if not chunks:
        raise InputError(f"{path}: line {line}: record {name!r} has no sequence")
    return FastaRecord(text, name, "".join(chunks), line)


def read_fasta(path: Path) -> dict[str, str]:
    """FASTA records -> {id (first word of the header): sequence (lines joined)}, for files
    whose records are looked up by name, so an id may appear only once."""
    sequences: dict[str, str] = {}
    first: dict[str, int] = {}
    for record in read_fasta_records(path):
        if record.id in first:
            raise InputError(
                f"{path}: line {record.line}: duplicated record id {record.id!r} "
                f"(first at line {first[record.id]})"
            )
        first[record.id] = record.line
        sequences[record.id] = record.sequence
    return sequences


def read_delimited(
    path: Path,
    *,
    separator: str | None = None,
    header: bool = True,
    columns: Sequence[str | int] = (),
    numeric: Sequence[str | int] = (),
) -> pd.DataFrame:
    """A CSV/TSV table, gzip or not. separator None: sniff from the first line (tab if it holds a
    tab, else comma). header False: columns are named '1', '2', ... (1-based strings) and a
    column may be referred to by its 1-based int or that string. `columns` must exist (error
    names the missing one and lists the ones the file has), `numeric` must hold numbers (error
    names column, the file's line number — header counted when there is one — and the value)
    and come back as float64. Values are read as strings (dtype=str, keep_default_na=False,
    then MISSING_VALUES become missing) so that ids like '007' survive. Errors: empty file, no
    data rows, unreadable. Data row i is always line `line_of(i, header)` of the file: a blank
    line inside the table or a quoted field over several lines is an error, not skipped."""
    lines = _read_text(path).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()  # trailing blank lines are harmless; inside the table they shift rows
    if not lines:
        raise InputError(f"{path}: empty file")
    return _delimited(path, lines, separator, header, columns, numeric)


def _delimited(
    path: Path,
    lines: list[str],
    separator: str | None,
    header: bool,
    columns: Sequence[str | int],
    numeric: Sequence[str | int],
) -> pd.DataFrame:
    """read_delimited on the file's lines (the header first, when there is one)."""
    sep = separator if separator is not None else ("\t" if "\t" in lines[0] else ",")
    kind = SEPARATOR_NAMES.get(sep, f"{sep!r}-separated")
    for number, line in enumerate(lines, start=1):
        if not line.strip() and sep not in line:
            raise InputError(f"{path}: line {number}: a blank line inside the table")
    frame = _parse(path, lines, sep, header, kind)
    if frame.empty:
        raise InputError(f"{path}: no data rows")
    if not header:
        frame.columns = [str(i) for i in range(1, frame.shape[1] + 1)]
    frame.attrs.update(path=str(path), header=header)
    for column in columns:
        column_name(frame, column)
    for column in numeric:
        name = column_name(frame, column)
        frame[name] = _numbers(frame[name], path, name, header)
    return frame


def read_delimited_chunks(
    path: Path,
    rows: int,
    *,
    separator: str | None = None,
    header: bool = True,
    columns: Sequence[str | int] = (),
    numeric: Sequence[str | int] = (),
) -> Iterator[pd.DataFrame]:
    """read_delimited's table `rows` data rows at a time, never the whole file in memory (a
    table of millions of 1-kb sequences). Each frame's attrs["first_row"] is its first row's
    number in the whole table; errors name the file's own line, as read_delimited's do."""
    with _binary(path) as stream:
        first = _decoded(path, stream.readline(), 1).removeprefix("\ufeff").rstrip("\n")
        head, pending = ([first], []) if header else ([], [first])
        first_row = 0
        while True:
            new = [_decoded(path, line, 0).rstrip("\n") for line in islice(stream, rows)]
            lines = pending + new
            # Blank lines at a chunk's end wait for the next: inside the table they are an
            # error (read_delimited's), at the file's end harmless.
            kept = len(lines)
            while kept and not lines[kept - 1].strip():
                kept -= 1
            body, pending = lines[:kept], lines[kept:]
            if body:
                yield _chunk(path, head + body, first_row, separator, header, columns, numeric)
                first_row += len(body)
            if not new:
                if first_row == 0:
                    raise InputError(f"{path}: no data rows")
                return


def _chunk(
    path: Path,
    lines: list[str],
    first_row: int,
    separator: str | None,
    header: bool,
    columns: Sequence[str | int],
    numeric: Sequence[str | int],
) -> pd.DataFrame:
    """One chunk's frame; its errors name the file's line, not the chunk's."""
    try:
        frame = _delimited(path, lines, separator, header, columns, numeric)
    except InputError as error:
        raise InputError(
            _LINE.sub(lambda match: f"line {int(match[1]) + first_row}", str(error))
        ) from None
    frame.attrs["first_row"] = first_row
    return frame


_LINE = re.compile(r"line (\d+)")


@contextlib.contextmanager
def _binary(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, gunzipped where it is gzip (by its magic bytes)."""
    try:
        with Path(path).open("rb") as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
        with gzip.open(path, "rb") if gzipped else Path(path).open("rb") as stream:
            yield stream
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None


def _decoded(path: Path, line: bytes, number: int) -> str:
    """One line as text ('\\n' ends); bytes that are not UTF-8 are an error (numbered where
    known: the header)."""
    try:
        return line.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        where = f"line {number}: " if number else ""
        raise InputError(f"{path}: {where}bytes that are not UTF-8 text") from None


def _parse(path: Path, lines: list[str], sep: str, header: bool, kind: str) -> pd.DataFrame:
    """pandas' parser on the lines, every value a string, with its failures made InputErrors;
    checks that rows and lines still match one to one (an unclosed quote merges lines)."""
    try:
        with warnings.catch_warnings():
            # A first data row wider than the header would silently lose its extra fields.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO("\n".join(lines)),
                sep=sep,
                header=0 if header else None,
                dtype=str,
                keep_default_na=False,
                na_values=list(MISSING_VALUES),
                index_col=False,
                skip_blank_lines=False,
            )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except pd.errors.ParserWarning:
        raise InputError(f"{path}: line 2: more fields than the header has names") from None
    except (pd.errors.ParserError, ValueError) as error:
        reason = " ".join(str(error).split())
        if "EOF inside string" in reason and (odd := _odd_quotes(lines)):
            raise InputError(f"{path}: line {odd}: a '\"' that is never closed") from None
        raise InputError(f"{path}: not a readable {kind} table ({reason})") from None
    if len(frame) != len(lines) - header:
        odd = _odd_quotes(lines)
        raise InputError(
            f"{path}: {f'line {odd}: ' if odd else ''}a quoted field runs over several lines"
        )
    return frame


def _odd_quotes(lines: list[str]) -> int | None:
    """The first line holding an odd number of '"': where a quoted field leaves its line."""
    return next((n for n, line in enumerate(lines, start=1) if line.count('"') % 2), None)


def _numbers(values: pd.Series, path: Path, name: str, header: bool) -> pd.Series:
    """`values` as float64, missing cells allowed; the first cell that is not a finite number
    is an error naming its line, so a user can open the file there."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = (numbers.isna() & values.notna()) | np.isinf(numbers)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: line {line_of(row, header)}, column {name}: "
            f"{values.iloc[row]!r} is not a number"
        )
    return numbers


def column_name(frame: pd.DataFrame, column: str | int) -> str:
    """The frame's column for a config reference (a header name, or a 1-based number for a
    headerless file). A number also picks that column of a file with a header, by position.
    A missing one is an InputError listing the columns the file has, so a typo is obvious."""
    names = [str(name) for name in frame.columns]
    if isinstance(column, int | np.integer) and not isinstance(column, bool):
        if 1 <= column <= len(names):
            return names[int(column) - 1]
    elif str(column) in names:
        return str(column)
    shown = ", ".join(names[:30]) + (f", … ({len(names) - 30} more)" if len(names) > 30 else "")
    headerless = frame.attrs.get("header") is False
    has = f"has {len(names)} columns, no header: {shown}" if headerless else f"has: {shown}"
    raise InputError(f"{frame.attrs.get('path', 'table')}: no column {column!r} (the file {has})")


def line_of(row: int, header: bool) -> int:
    """1-based line in the file of 0-based data row `row` (header counted): read_delimited
    keeps rows and lines one to one, so errors found later can still point into the file."""
    return row + (2 if header else 1)


def first_row(mask: pd.Series) -> int:
    """0-based position of the first True in `mask`."""
    return int(mask.to_numpy().nonzero()[0][0])


def check_range(values: pd.Series, bounds: tuple[float, float], path: Path, column: str) -> None:
    """Raise naming the first row (1-based) whose value lies outside `bounds`; NaN passes."""
    low, high = bounds
    outside = values.notna() & ~values.between(low, high)
    if outside.any():
        row = first_row(outside)
        raise InputError(
            f"{path}: column {column}, row {row + 1}: {values.iloc[row]} is outside [{low}, {high}]"
        )
