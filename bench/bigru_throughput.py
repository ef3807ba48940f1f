"""BiGRU training throughput: the competition's published GRU baseline vs our engine.

Reference: the Datawhale "siRNA药物药效预测" (2024 siRNA drug-efficacy competition) Task 1
baseline, `baseline.py` in the competition's `siRNA_0715.zip`, as transcribed in the public
notebook zps1011/zps1011_learning_notes, `组队学习/siRNA药物药效预测/Task01_baseline.ipynb`
(commit ac2e98a7e309d3c88a23303e4fbea5fff878622b). Its data path is rewritten here, not copied:
GenomicTokenizer(ngram=3, stride=3), GenomicVocab built from the training rows, SiRNADataset
whose `__getitem__` does `self.df.iloc[idx]` and tokenises ['siRNA_antisense_seq',
'modified_siRNA_antisense_seq_list'] per row, padded to one max_len; DataLoader(shuffle=True);
SiRNAModel = Embedding(V, 200, padding_idx=0) -> GRU(200, 256, 3, bidirectional, dropout 0.5)
on each input, last time step, dropout, concat, Linear(1024, 1); Adam(lr 1e-3), MSE,
`loss.item()` every step. (The notebook uses batch 64; this benchmark uses one batch size,
`--batch-size`, default 32, for both sides.)

Ours: `dlgenomics.data.encode.encode_task` on the same N training rows, then
`dlgenomics.training.loop.train_fold` with arch "bigru" (same defaults: embed 200, hidden 256,
3 layers, dropout 0.5) for one epoch on the same train/validation rows.

Prints samples/s of each, the ratio ours/baseline, and where the baseline's time goes (its
DataLoader iterated alone vs its whole epoch). Usage:

    python bench/bigru_throughput.py [--rows 2048] [--device cpu|cuda] [--threads 2]
        [--clock wall|cpu] [--repeats 1] [--batch-size 32] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from published_baseline import (
    SiRNAModel,
    baseline_loaders,
    baseline_train_epoch,
    baseline_validate,
    competition_files,
    default_data_dir,
    set_random_seed,
)
from torch import nn

from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import FOLD, ROW_ID, read_tensors, read_vocab
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training import loop as training

TASK = {
    "split": {
        "method": "random", "folds": 1, "seed": 42, "valid_fraction": 0.1, "test_fraction": 0.25,
    },
    "max_rows": None,
    "kmer": {"k": 3, "stride": 3},
}  # fmt: skip
# Every timing reads this clock: wall time, or (--clock cpu) this process's CPU time, which other
# load on a shared machine barely moves as long as torch runs one thread.
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = [time.perf_counter]


def now() -> float:
    return _clock[0]()


# --- the published baseline (reference: published_baseline.py) ---------------------------


def run_baseline(
    train: pd.DataFrame, valid: pd.DataFrame, batch_size: int, device: str, seed: int
) -> dict[str, float]:
    """Data path alone, one training epoch and one validation pass, each timed."""
    set_random_seed(seed)
    train_loader, valid_loader, vocab_size, max_len = baseline_loaders(train, valid, batch_size)

    started = now()
    for _ in train_loader:  # the data path with no model: iloc + tokenise + collate
        pass
    data_s = now() - started

    model = SiRNAModel(vocab_size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    started = now()
    baseline_train_epoch(model, train_loader, optimizer, device)
    train_s = now() - started
    started = now()
    baseline_validate(model, valid_loader, device)
    valid_s = now() - started
    return {"data_s": data_s, "train_s": train_s, "valid_s": valid_s, "max_len": max_len}


# --- ours -----------------------------------------------------------------------------------


def timed(calls: list[float], function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, recording each call's seconds: train_fold looks its helpers up in the
    module at call time, so this measures its in-epoch validation without editing it."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = now()
        result = function(*args, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        calls.append(now() - started)
        return result

    return wrapper


def pad_kmers(
    columns: dict[str, np.ndarray], vocab: dict[str, Any], width: int
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The k-mer column right-padded to the baseline's single max_len (equal GRU steps)."""
    padded = dict(columns)
    current = columns["kmer_antisense"]
    padded["kmer_antisense"] = np.pad(current, ((0, 0), (0, width - current.shape[1])))
    vocab = {**vocab, "columns": {**vocab["columns"]}}
    vocab["columns"]["kmer_antisense"] = {**vocab["columns"]["kmer_antisense"], "length": width}
    return padded, vocab


def run_ours(
    train_columns: dict[str, np.ndarray],
    test_columns: dict[str, np.ndarray],
    vocab: dict[str, Any],
    batch_size: int,
    device: str,
    threads: int,
    out: Path,
) -> dict[str, float]:
    """One epoch of train_fold; epoch seconds from its history.csv, validation measured."""
    kind = TASK_KINDS["sirna_competition"]
    settings = training.TrainSettings(
        max_epochs=1, batch_size=batch_size, device=device, threads=threads
    )
    predict_calls: list[float] = []
    metric_calls: list[float] = []
    # Validation metrics come from the task's Scoring: its method is timed for this run.
    original = training.predict, Scoring.metrics, training.time
    training.predict = timed(predict_calls, original[0])
    Scoring.metrics = timed(metric_calls, original[1])
    # history.csv's "seconds" then come from the same clock as everything else here.
    training.time = types.SimpleNamespace(perf_counter=now)
    out.mkdir(parents=True, exist_ok=True)
    started = now()
    try:
        training.train_fold(
            training.FoldRun(
                kind=kind,
                scoring=scoring({"kind": "sirna_competition"}),
                arch="bigru",
                model_params={"inputs": ["kmer_antisense", "mod_antisense"]},
                settings=settings,
                train_columns=train_columns,
                test_columns=test_columns,
                vocab=vocab,
                fold=0,
                out_checkpoint=out / "model.pt",
                out_history=out / "history.csv",
                out_predictions=out / "predictions.parquet",
                progress=False,
            )
        )
    finally:
        training.predict, Scoring.metrics, training.time = original
        # train_fold turns this on for CPU runs; later runs in this process start clean.
        torch.use_deterministic_algorithms(False)
    total_s = now() - started
    epoch_s = float(pd.read_csv(out / "history.csv")["seconds"].iloc[0])
    valid_s = predict_calls[0] + metric_calls[0]  # the first calls are the in-epoch ones
    train_s = epoch_s - valid_s
    return {"epoch_s": epoch_s, "valid_s": valid_s, "train_s": train_s, "total_s": total_s}


# --- the comparison -------------------------------------------------------------------------


def warm_up(device: str) -> None:
    """A few steps of the same GRU first, so neither side pays thread-pool/kernel start-up."""
    model = SiRNAModel(64).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ids = torch.randint(1, 64, (32, 25), device=device)
    for _ in range(3):
        optimizer.zero_grad()
        model([ids, ids]).sum().backward()
        optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()


def kernel_check(batch_size: int, max_len: int, rounds: int = 3, steps: int = 3) -> dict:
    """Seconds per baseline training step (same model, same shapes) under three CPU kernel
    settings, interleaved: train_fold's seed helper turns on deterministic algorithms, which
    may change which CPU GRU kernels run (oneDNN or native); this shows whether that alone
    moves the speed, apart from the engine."""
    model = SiRNAModel(92)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ids = torch.randint(1, 92, (batch_size, max_len))
    target = torch.randn(batch_size)
    settings = {
        "default (oneDNN GRU)": (False, True),
        "deterministic algorithms on": (True, True),
        "oneDNN off (mkldnn.enabled=False)": (False, False),
    }
    seconds: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(rounds):
        for name, (deterministic, mkldnn) in settings.items():
            torch.use_deterministic_algorithms(deterministic, warn_only=True)
            torch.backends.mkldnn.enabled = mkldnn
            started = now()
            for _ in range(steps):
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model([ids, ids]), target)
                loss.backward()
                optimizer.step()
                loss.item()
            seconds[name].append((now() - started) / steps)
    torch.use_deterministic_algorithms(False)
    torch.backends.mkldnn.enabled = True
    return {name: float(np.median(values)) for name, values in seconds.items()}


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-key median over repeats (robust to one run hit by other load on the machine)."""
    return {key: float(np.median([run[key] for run in runs])) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="mirror folder")
    parser.add_argument("--rows", type=int, default=2048, help="training-table rows (N)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (both sides)")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs; medians shown")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall", help="cpu: CPU time")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda but no CUDA device is available")
    if args.device == "cuda" and args.clock == "cpu":
        raise SystemExit("--clock cpu does not see GPU time; use the wall clock with cuda")
    _clock[0] = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench_bigru_") as tmp:
        scratch = Path(tmp)
        files = competition_files(args.data)
        encoded = {role: scratch / f"{role}.parquet" for role in ("train", "test")}
        encoded["vocab"] = scratch / "vocab.json"
        encoded["groups"] = scratch / "groups.parquet"
        encode_task("sirna_competition", files, {**TASK, "max_rows": args.rows}, encoded)
        train_columns = read_tensors(encoded["train"])
        vocab = read_vocab(encoded["vocab"])
        # Test predictions come after the timed epoch; a few rows keep the run short.
        test_columns = {k: v[:64] for k, v in read_tensors(encoded["test"]).items()}

        # The baseline sees exactly our rows, split exactly as ours (fold 0 = validation).
        raw = pd.read_csv(files["train_data.csv"]).set_index("id")
        raw.index = raw.index.astype(str)
        is_valid = train_columns[FOLD] == 0
        train = raw.loc[train_columns[ROW_ID][~is_valid]].reset_index()
        valid = raw.loc[train_columns[ROW_ID][is_valid]].reset_index()
        n_train = len(train)

        warm_up(args.device)
        runs: dict[str, list[dict[str, float]]] = {"base": [], "ours": [], "equal": []}
        for _ in range(args.repeats):
            # Interleaved, so slow drift in machine load hits all three alike.
            base = run_baseline(train, valid, args.batch_size, args.device, args.seed)
            runs["base"].append(base)
            # The baseline's seed helper sets cuDNN flags process-wide; give ours the defaults.
            torch.backends.cudnn.deterministic = False
            torch.backends.cudnn.benchmark = False
            common = {"batch_size": args.batch_size, "device": args.device, "threads": args.threads}
            ours = run_ours(train_columns, test_columns, vocab, **common, out=scratch / "ours")
            runs["ours"].append(ours)
            # Ours pads each column to its own length (k-mers: 8 steps) where the baseline
            # pads both inputs to one max_len; this run gives the k-mer column the baseline's
            # length, to separate engine speed from fewer GRU steps.
            width = int(base["max_len"])
            eq_train, eq_vocab = pad_kmers(train_columns, vocab, width)
            eq_test, _ = pad_kmers(test_columns, vocab, width)
            equal = run_ours(eq_train, eq_test, eq_vocab, **common, out=scratch / "equal")
            runs["equal"].append(equal)
    base, ours, equal = (median_run(runs[name]) for name in ("base", "ours", "equal"))
    report(args, base, ours, equal, train_columns, n_train, len(valid), load_before)
    if args.device == "cpu":
        kernels = kernel_check(args.batch_size, int(base["max_len"]))
        print()
        print("baseline training step, same shapes, by CPU kernel setting (median s/step):")
        default = kernels["default (oneDNN GRU)"]
        for name, step_s in kernels.items():
            print(f"  {name:<36}{step_s:>7.3f}  ({default / step_s:.2f}x vs default)")


def report(
    args: argparse.Namespace,
    base: dict[str, float],
    ours: dict[str, float],
    equal: dict[str, float],
    train_columns: dict[str, np.ndarray],
    n_train: int,
    n_valid: int,
    load_before: float,
) -> None:
    """The table, the baseline's breakdown and the ratios."""
    width = int(base["max_len"])
    base_epoch = base["train_s"] + base["valid_s"]
    kmer_width = train_columns["kmer_antisense"].shape[1]
    mod_width = train_columns["mod_antisense"].shape[1]
    print(
        f"device {args.device}, threads {args.threads}, batch {args.batch_size}, "
        f"clock {args.clock}, "
        f"repeats {args.repeats} (medians), 1-min load average {load_before:.2f} before and "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(f"rows: {n_train + n_valid} encoded = {n_train} train + {n_valid} validation")
    print(
        f"GRU steps per sample: baseline {width} + {width}, ours {kmer_width} + {mod_width} "
        f"(equal-length run: {width} + {mod_width})"
    )
    print()
    print(f"{'run':<34}{'train s':>9}{'valid s':>9}{'epoch s':>9}{'samples/s':>11}")
    rows = [
        ("baseline (published loop)", base["train_s"], base["valid_s"], base_epoch),
        ("ours (train_fold)", ours["train_s"], ours["valid_s"], ours["epoch_s"]),
        ("ours, k-mers padded to max_len", equal["train_s"], equal["valid_s"], equal["epoch_s"]),
    ]
    for name, train_s, valid_s, epoch_s in rows:
        print(f"{name:<34}{train_s:>9.2f}{valid_s:>9.2f}{epoch_s:>9.2f}{n_train / epoch_s:>11.1f}")
    print()
    data_share = base["data_s"] / base["train_s"]
    print(
        f"baseline data path alone (its DataLoader, no model): {base['data_s']:.2f} s = "
        f"{100 * data_share:.1f}% of its training loop; the rest (model math, optimiser, "
        f"per-step sync): {base['train_s'] - base['data_s']:.2f} s"
    )
    print(
        f"ours train_fold total (setup, epoch, final predictions of 64 test rows, writes): "
        f"{ours['total_s']:.2f} s"
    )
    print()
    print(
        f"ratio ours/baseline, samples/s, epoch (train + validation): "
        f"{base_epoch / ours['epoch_s']:.2f}x"
    )
    print(
        f"ratio ours/baseline, samples/s, training loop only: "
        f"{base['train_s'] / ours['train_s']:.2f}x"
    )
    print(f"ratio ours/baseline at equal GRU steps, epoch: {base_epoch / equal['epoch_s']:.2f}x")
    print(
        "ceiling from removing the baseline's whole data path at equal model math: "
        f"{1 / (1 - data_share):.2f}x"
    )


if __name__ == "__main__":
    main()
