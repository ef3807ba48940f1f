"""`snakemake predict` throughput against the evaluate rule's own path, in one run: a CNN the
size of the default config's `cnn` on 200-bp DNA, on 2 threads.

Reference: what the train and evaluate rules do for test rows, `predict_member` on tensors
already encoded. Measured: the predict rule's path from a FASTA file, reading and checking the
records, encoding them with the task's vocabulary, then the same models
(`evaluation.predict.predict_sequences`). The ratio is what reading and encoding add. The
weights are random (speed does not depend on them). Not a test: run by hand.

    python bench/predict_throughput.py [--sequences 20000] [--length 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from variant_effects import COLUMN, primer_cnn, save_models


def write_fasta(path: Path, n: int, length: int, rng: np.random.Generator) -> list[str]:
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    sequences = [letters[rng.integers(0, 4, length)].tobytes().decode() for _ in range(n)]
    path.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(sequences)))
    return sequences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import pandas as pd
    import torch

    torch.set_num_threads(args.threads)
    from dlgenomics.evaluation.inference import encode_rows, predict_member
    from dlgenomics.evaluation.predict import predict_sequences
    from dlgenomics.tasks.kinds.sequences import SequenceInput
    from dlgenomics.tasks.objectives import Scoring

    params, _ = primer_cnn()
    scoring = Scoring("binary", "binary", "auroc")
    with tempfile.TemporaryDirectory(prefix="predict_throughput.") as scratch:
        folder = Path(scratch)
        sequences = write_fasta(folder / "new.fa", args.sequences, args.length,
                                np.random.default_rng(0))  # fmt: skip
        models, vocab = save_models(folder, params, 1, args.length)
        frame = pd.DataFrame({"row_id": [f"s{k}" for k in range(len(sequences))],
                              COLUMN: sequences})  # fmt: skip
        columns, _ = encode_rows(frame, vocab, None, "bench")
        started = time.perf_counter()
        reference = predict_member(models, columns, None, vocab)
        evaluate_s = time.perf_counter() - started
        started = time.perf_counter()
        _, predicted = predict_sequences(
            SequenceInput.from_config({"format": "fasta", "file": "new.fa"}),
            {"new.fa": folder / "new.fa"}, task="bench", choice="cnn", scoring=scoring,
            members={"cnn": models}, vocab=vocab, leaderboard=None, ensemble=None,
        )  # fmt: skip
        predict_s = time.perf_counter() - started
    n = args.sequences
    print(f"cnn {params} on {n:,} x {args.length} bp, {torch.get_num_threads()} threads")
    print(f"evaluate path (encoded tensors): {evaluate_s:6.2f} s = {n / evaluate_s:8,.0f} /s")
    print(f"predict path (FASTA -> checks -> encode -> models): {predict_s:6.2f} s = "
          f"{n / predict_s:8,.0f} /s")  # fmt: skip
    print(
        f"ratio predict / evaluate throughput: {evaluate_s / predict_s:.2f}; "
        f"max |difference| {np.abs(predicted - reference).max():.2e}"
    )


if __name__ == "__main__":
    main()
