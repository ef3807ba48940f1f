"""A training job as the train rule runs it, for the fault tests: python train_job.py FOLDER.

FOLDER holds train.parquet, test.parquet and vocab.json; outputs and the resume file are
written there. Logs (including "resuming ... after epoch K") go to stderr.
"""

import logging
import sys
from pathlib import Path

from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold

EPOCHS = 6


def main(folder: Path) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    result = train_fold(
        FoldRun(
            kind=TASK_KINDS["sirna_competition"],
            scoring=scoring({"kind": "sirna_competition"}),
            arch="cnn",
            model_params={"channels": 32, "kernel_sizes": [3, 7], "hidden": 32, "dropout": 0.3},
            settings=TrainSettings(
                max_epochs=EPOCHS, patience=EPOCHS, batch_size=8, learning_rate=3e-3, threads=1
            ),
            train_columns=read_tensors(folder / "train.parquet"),
            test_columns=read_tensors(folder / "test.parquet"),
            vocab=read_vocab(folder / "vocab.json"),
            fold=0,
            resume=folder / "resume.pt",
            out_checkpoint=folder / "model.pt",
            out_history=folder / "history.csv",
            out_predictions=folder / "predictions.parquet",
            progress=False,
        )
    )
    print(result)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
