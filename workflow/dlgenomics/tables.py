"""Reading user tables with errors that name the file, the row or the column."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dlgenomics import InputError


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


def check_unique(values: pd.Series, path: Path, column: str) -> None:
    duplicated = values.duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: column {column}, row {row + 1}: duplicated id {values.iloc[row]!r}"
        )


def read_lines(path: Path) -> list[str]:
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputError(f"{path}: empty file")
    return lines


def read_fasta(path: Path) -> dict[str, str]:
    """FASTA records -> {id (first word of the header): sequence (lines joined)}."""
    records: dict[str, list[str]] = {}
    current: str | None = None
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            current = line[1:].split()[0] if line[1:].split() else ""
            if not current:
                raise InputError(f"{path}: line {number}: a record header without an id")
            if current in records:
                raise InputError(f"{path}: line {number}: duplicated record id {current!r}")
            records[current] = []
        elif current is None:
            raise InputError(f"{path}: line {number}: sequence before the first '>' header")
        else:
            records[current].append(line)
    if not records:
        raise InputError(f"{path}: no FASTA record")
    return {name: "".join(lines) for name, lines in records.items()}
