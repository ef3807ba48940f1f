"""Encoding throughput: our `encode_task` on the whole competition train + test tables, side by
side with the published baseline's per-row Python tokenisation of the same rows.

Reference: the Datawhale 2024 siRNA competition's GRU baseline (see bench/bigru_throughput.py
for the source), whose SiRNADataset.__getitem__ does `self.df.iloc[idx]` and tokenises
['siRNA_antisense_seq', 'modified_siRNA_antisense_seq_list'] row by row, every epoch. Here its
dataset is built over every train and test row (tokenizer and vocabulary as published, one
max_len over both tables) and indexed once per row. Ours reads the gzip CSVs, checks them,
splits, encodes every input column (both strands: nucleotides, k-mers, modification lists;
conditions) and writes Parquet.

    python bench/encode_throughput.py [--data DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from dlgenomics.data.encode import encode_task
from dlgenomics.tasks.kinds import TASK_KINDS

REPO = Path(__file__).resolve().parents[1]


def load_bigru_bench() -> Any:
    """The baseline's classes live in bigru_throughput.py beside this file (one copy)."""
    spec = importlib.util.spec_from_file_location(
        "bigru_throughput", Path(__file__).with_name("bigru_throughput.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def encode_ours(
    bench: Any, files: dict[str, Path], scratch: Path
) -> tuple[float, float, dict[str, int]]:
    """Seconds for the whole encode_task, seconds for its table loading alone, rows per role."""
    out = {"train": scratch / "train.parquet", "test": scratch / "test.parquet"}
    out["vocab"] = scratch / "vocab.json"
    out["groups"] = scratch / "groups.parquet"
    started = time.perf_counter()
    summary = encode_task("sirna_competition", files, bench.TASK, out)
    total_s = time.perf_counter() - started
    load = TASK_KINDS["sirna_competition"].load
    started = time.perf_counter()
    load(files, {})
    load_s = time.perf_counter() - started
    return total_s, load_s, summary["rows"]


def encode_reference(bench: Any, files: dict[str, Path]) -> tuple[float, float, int]:
    """Seconds for the baseline path (read CSVs, vocabulary, every row through __getitem__),
    seconds for reading the CSVs alone, and rows encoded."""
    started = time.perf_counter()
    train = pd.read_csv(files["train_data.csv"])
    test = pd.read_csv(files["sample_submission.csv"])
    read_s = time.perf_counter() - started
    columns = bench.COLUMNS
    tokenizer = bench.GenomicTokenizer(ngram=3, stride=3)
    tokens: list[str] = []
    for col in columns:
        for seq in train[col]:
            tokens.extend(seq.split() if " " in seq else tokenizer.tokenize(seq))
    vocab = bench.GenomicVocab.create(tokens, max_vocab=10000, min_freq=1)
    max_len = max(
        max(len(s.split()) if " " in s else len(tokenizer.tokenize(s)) for s in frame[col])
        for frame in (train, test)
        for col in columns
    )
    datasets = [
        bench.SiRNADataset(train, columns, vocab, tokenizer, max_len),
        bench.SiRNADataset(test, columns, vocab, tokenizer, max_len, is_test=True),
    ]
    for dataset in datasets:
        for i in range(len(dataset)):
            dataset[i]
    return time.perf_counter() - started, read_s, len(train) + len(test)


def main() -> None:
    bench = load_bigru_bench()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=bench.default_data_dir(), help="mirror")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; best shown")
    args = parser.parse_args()
    files = bench.competition_files(args.data)
    load_before = os.getloadavg()[0]

    ours_runs, reference_runs = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="bench_encode_") as tmp:
            ours_runs.append(encode_ours(bench, files, Path(tmp)))
        reference_runs.append(encode_reference(bench, files))
    # Best of the repeats: the least disturbed by anything else running on the machine.
    ours_s, ours_load_s, rows = min(ours_runs, key=lambda run: run[0])
    ref_s, ref_read_s, ref_rows = min(reference_runs, key=lambda run: run[0])
    n_rows = sum(rows.values())

    print(
        f"repeats {args.repeats} (best shown; all ours: "
        f"{', '.join(f'{run[0]:.2f}' for run in ours_runs)} s), 1-min load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"rows: ours {rows} = {n_rows}; reference {ref_rows}")
    print()
    print(f"{'run':<48}{'seconds':>9}{'rows/s':>11}")
    print(
        f"{'ours: encode_task (read, check, encode, write)':<48}{ours_s:>9.2f}"
        f"{n_rows / ours_s:>11.0f}"
    )
    print(f"{'  of which loading + checking the tables':<48}{ours_load_s:>9.2f}")
    print(f"{'reference: baseline per-row path':<48}{ref_s:>9.2f}{ref_rows / ref_s:>11.0f}")
    print(f"{'  of which reading the CSVs':<48}{ref_read_s:>9.2f}")
    print()
    print(f"ratio reference/ours (seconds, whole path): {ref_s / ours_s:.1f}x")
    tokenise_ours = ours_s - ours_load_s
    tokenise_ref = ref_s - ref_read_s
    print(
        f"ratio excluding table reading: {tokenise_ref / tokenise_ours:.1f}x "
        f"({tokenise_ref:.2f} s vs {tokenise_ours:.2f} s)"
    )
    print(f"target < 5 s for ours: {'met' if ours_s < 5 else 'NOT met'} ({ours_s:.2f} s)")


if __name__ == "__main__":
    main()
