"""The sequence and table readers: formats met upstream (gzip, CRLF, multi-line FASTA, headerless
TSV) and errors that name the file, the line and the column."""

from __future__ import annotations

import gzip
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from dlgenomics import InputError
from dlgenomics.data.tables import (
    FastaRecord,
    column_name,
    line_of,
    open_text,
    read_delimited,
    read_fasta,
    read_fasta_records,
    read_lines,
)

MIRROR = Path(
    os.environ.get(
        "DLGENOMICS_TEST_MIRROR", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
needs_mirror = pytest.mark.skipif(
    not MIRROR.is_dir(), reason=f"data mirror not found at {MIRROR} (set DLGENOMICS_TEST_MIRROR)"
)


def write(path: Path, text: str, *, gz: bool = False, newline: str = "\n") -> Path:
    """`text` (written with '\\n') to `path`, with other line ends or gzip-compressed."""
    data = text.replace("\n", newline).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def error(call, *args, **kwargs) -> str:
    """The one-line message of the InputError `call` raises."""
    with pytest.raises(InputError) as raised:
        call(*args, **kwargs)
    message = str(raised.value)
    assert "\n" not in message
    return message


# --- open_text ------------------------------------------------------------------------------


def test_open_text_finds_gzip_by_content_and_normalises_line_ends(tmp_path):
    path = write(tmp_path / "plain_name.txt", "a\nb\n", gz=True, newline="\r\n")
    with open_text(path) as handle:
        assert handle.read() == "a\nb\n"
    assert read_lines(path) == ["a", "b"]


def test_open_text_rejects_bytes_that_are_not_text(tmp_path):
    path = tmp_path / "seq.fa"
    path.write_bytes(b">x\nACGT\nAC\xffGT\n")
    assert error(open_text, path) == (
        f"{path}: line 3: byte 0xff is not UTF-8 text (a binary file, or text in another encoding?)"
    )
    path.write_bytes("x,y\n1,2\n".encode("utf-16"))
    assert "UTF-16" in error(open_text, path)
    path.write_bytes(gzip.compress(b">x\nACGT\n")[:-6])
    assert error(open_text, path).startswith(f"{path}: a damaged gzip file")


def test_open_text_names_a_missing_file(tmp_path):
    assert error(open_text, tmp_path / "absent.fa").startswith(f"{tmp_path / 'absent.fa'}: ")


# --- FASTA ----------------------------------------------------------------------------------


def test_multi_line_fasta_with_lower_case_and_crlf(tmp_path):
    text = ">seq1 first record\nacgtAC\nGT ac\n\n>seq2\nTTTT\n"
    path = write(tmp_path / "a.fa", text, newline="\r\n")
    assert read_fasta_records(path) == [
        FastaRecord("seq1 first record", "seq1", "acgtACGTac", 1),
        FastaRecord("seq2", "seq2", "TTTT", 5),
    ]


def test_gzip_fasta(tmp_path):
    path = write(tmp_path / "a.fa.gz", ">r1\nACGT\nAC\n>r2\nGG\n", gz=True)
    assert read_fasta(path) == {"r1": "ACGTAC", "r2": "GG"}


def test_repeated_ids_are_kept_in_file_order(tmp_path):
    path = write(tmp_path / "classes.fa", ">70\nAAA\n>24\nCCC\n>70\nGGG\n")
    records = read_fasta_records(path)
    assert [(r.id, r.sequence, r.line) for r in records] == [
        ("70", "AAA", 1),
        ("24", "CCC", 3),
        ("70", "GGG", 5),
    ]


def test_read_fasta_still_requires_unique_ids(tmp_path):
    path = write(tmp_path / "dup.fa", ">a\nAC\n>b\nGT\n>a x\nTT\n")
    assert error(read_fasta, path) == (
        f"{path}: line 5: duplicated record id 'a' (first at line 1)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (">a\nACGT\n>b desc\n\n>c\nGG\n", "line 3: record 'b' has no sequence"),
        (">a\nACGT\n>last\n", "line 3: record 'last' has no sequence"),
        ("", "empty file"),
        ("\n  \n", "empty file"),
        ("ACGT\nACGT\n", "no FASTA record (no line starts with '>')"),
        ("\nACGT\n>a\nAC\n", "line 2: sequence text before the first '>' header"),
        (">a\nAC\n>  \nGG\n", "line 3: a record header without an id"),
    ],
)
def test_fasta_errors_name_the_line(tmp_path, text, message):
    path = write(tmp_path / "bad.fa", text)
    assert error(read_fasta_records, path) == f"{path}: {message}"


# --- delimited tables -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "separator"), [("t.tsv", "\t"), ("t.csv", ",")])
def test_separator_is_sniffed_from_the_first_line(tmp_path, name, separator):
    text = "id,seq,y\n007,ACGT,1.5\n008,GG,NA\n009,TT,\n".replace(",", separator)
    frame = read_delimited(write(tmp_path / name, text), columns=["id", "seq"], numeric=["y"])
    assert frame.columns.tolist() == ["id", "seq", "y"]
    assert frame["id"].tolist() == ["007", "008", "009"]  # leading zeros kept: read as text
    assert frame["y"].dtype == "float64"
    assert frame["y"].iloc[0] == 1.5
    assert frame["y"].iloc[1:].isna().all()


def test_gzip_tsv_and_na_as_missing(tmp_path):
    path = write(tmp_path / "t.seq.gz", "FoldID\tseq\tBound\nA\tNA\t1\nA\tACGT\t0\n", gz=True)
    frame = read_delimited(path, numeric=["Bound"])
    assert frame["seq"].isna().tolist() == [True, False]
    assert frame["Bound"].tolist() == [1.0, 0.0]


def test_headerless_columns_are_numbered_from_one(tmp_path):
    path = write(tmp_path / "exp.txt", "a\tACGT\t4.5\nb\tNA\t-1e2\n", newline="\r\n")
    frame = read_delimited(path, header=False, columns=[1, "2"], numeric=[3])
    assert frame.columns.tolist() == ["1", "2", "3"]
    assert [column_name(frame, c) for c in (1, "1", 2, "3")] == ["1", "1", "2", "3"]
    assert frame["2"].isna().tolist() == [False, True]
    assert frame["3"].tolist() == [4.5, -100.0]


def test_a_number_picks_a_column_by_position_in_a_file_with_header(tmp_path):
    frame = read_delimited(write(tmp_path / "t.csv", "id,seq\n1,AC\n"))
    assert column_name(frame, 2) == "seq"


@pytest.mark.parametrize(
    ("header", "text", "line"),
    [(True, "id\ty\na\t1\nb\tten\n", 3), (False, "a\t1\nb\t2\nc\tten\n", 3)],
)
def test_non_number_names_its_line_column_and_value(tmp_path, header, text, line):
    path = write(tmp_path / "t.tsv", text)
    column = "y" if header else 2
    name = "y" if header else "2"
    assert error(read_delimited, path, header=header, numeric=[column]) == (
        f"{path}: line {line}, column {name}: 'ten' is not a number"
    )


def test_missing_column_lists_the_columns_there_are(tmp_path):
    path = write(tmp_path / "t.tsv", "FoldID\tEventID\tseq\tBound\nA\te\tAC\t1\n")
    assert error(read_delimited, path, columns=["seq", "sequence"]) == (
        f"{path}: no column 'sequence' (the file has: FoldID, EventID, seq, Bound)"
    )
    path = write(tmp_path / "h.tsv", "a\tAC\t1\n")
    assert error(read_delimited, path, header=False, numeric=[4]) == (
        f"{path}: no column 4 (the file has 3 columns, no header: 1, 2, 3)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        ("id,seq\n", "no data rows"),
        ("id,seq\n1,AC\n\n2,GG\n", "line 3: a blank line inside the table"),
        ("id,seq\n1,AC,x\n2,GG\n", "line 2: more fields than the header has names"),
        ('id\tseq\n1\t"AC\n2\tGG\n', "line 2: a '\"' that is never closed"),
        ('id,seq\n1,AC\n2,"GG\nTT"\n3,AA\n', "line 3: a quoted field runs over several lines"),
    ],
)
def test_table_errors(tmp_path, text, message):
    path = write(tmp_path / "t.csv", text)
    assert error(read_delimited, path).startswith(f"{path}: {message}")


def test_ragged_row_is_unreadable(tmp_path):
    path = write(tmp_path / "t.csv", "id,seq\n1,AC\n2,GG,x\n")
    assert error(read_delimited, path).startswith(f"{path}: not a readable comma-separated table")


def test_line_of_counts_the_header():
    assert [line_of(0, True), line_of(0, False), line_of(9, True)] == [2, 1, 11]


# --- the real upstream files ----------------------------------------------------------------


@needs_mirror
def test_ipromoter_fasta_files_parse():
    positives = read_fasta_records(MIRROR / "promoters_ipromoter" / "positive2860.txt")
    assert len(positives) == 2860
    assert {len(r.sequence) for r in positives} == {81}
    independent = read_fasta_records(MIRROR / "promoters_ipromoter" / "independent.txt")
    assert len(independent) == 256
    assert Counter(r.header for r in independent) == {
        "24": 30, "28": 4, "32": 13, "38": 10, "70": 199
    }  # fmt: skip


@needs_mirror
def test_deepbind_gzip_tsv_parses():
    path = MIRROR / "chipseq_deepbind" / "TBP_H1-hESC_TBP_Stanford_B.seq.gz"
    frame = read_delimited(path, columns=["seq"], numeric=["Bound"])
    assert frame.columns.tolist() == ["FoldID", "EventID", "seq", "Bound"]
    assert len(frame) == 1000
    assert frame["Bound"].sum() == 500


@needs_mirror
def test_ecoli_expression_table_parses_headerless():
    path = MIRROR / "promoter_strength_ecoli" / "exp_ecoli.txt"
    frame = read_delimited(path, header=False, columns=[1, 2], numeric=[3])
    assert frame.shape == (14022, 3)
    assert pd.isna(frame.loc[0, "2"])  # upstream row 1's sequence is 'NA'
    assert frame["2"].notna().sum() == 14021
