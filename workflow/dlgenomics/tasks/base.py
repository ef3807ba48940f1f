"""The record of a task kind (`TaskKind`) and the tables a kind's loader returns: what every
kind module and every stage may import without importing the kinds themselves.

A standard table has `row_id`, `target` (or, with several labels per row, one `label_<name>`
column each), optional `group` (for grouped splits) and input columns named as in `schema` but
still holding raw values: nucleotide strings in `seq_*`, space-separated modification tokens in
`mod_*`, numbers in `num_*`, labels in `cat_*`. `encode` turns those into tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The file the `simulate` rule writes, which a kind with `simulated` reads.
SIMULATED_FILE = "sequences.csv"


@dataclass
class TaskTables:
    frames: dict[str, pd.DataFrame]  # role -> standard table
    modification_tokens: list[str] | None = None
    # Modification tokens that sit between or beside nucleotides rather than on one (caps,
    # linkages, conjugates): skipped when modifications are aligned to nucleotides.
    non_nucleotide_tokens: frozenset[str] = frozenset()
    # reason -> the dropped rows' ids (line numbers where the file has no id column).
    dropped_ids: dict[str, list[str]] = field(default_factory=dict)
    # role -> the file its rows came from, named in encoding errors ("labelled": both roles).
    sources: dict[str, str] = field(default_factory=dict)
    # standard column -> the user's own column it came from, named in encoding errors.
    columns: dict[str, str] = field(default_factory=dict)
    # External test file's name -> its rows' ids: each is scored on its own (evaluate).
    test_sets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def dropped(self) -> dict[str, int]:
        """Reason -> how many rows were dropped for it."""
        return {reason: len(ids) for reason, ids in self.dropped_ids.items()}


@dataclass
class StreamedTables:
    """A task too large to hold as text: `tables` holds every standard column but the
    sequences (one row per kept row, their longest length per sequence column in
    `lengths`); `chunks()` reads the same rows again, sequences included, a chunk at a time."""

    tables: TaskTables
    lengths: dict[str, int]
    chunks: Callable[[], Iterator[pd.DataFrame]]


@dataclass(frozen=True)
class TaskKind:
    name: str
    # objectives.OBJECTIVES key (None: the task's `objective` setting, kind `sequences`).
    objective: str | None
    required_files: tuple[str, ...]  # empty: the kind generates its data (`generate` config)
    load: Callable[[dict[str, Path], dict[str, Any]], TaskTables]  # (files, task config)
    allow_n: bool  # whether N and IUPAC ambiguity letters (the unknown token) are accepted
    # Key of metrics.METRIC_FAMILIES when the kind reports its own (siRNA), else the
    # objective's; the default selection metric likewise (a task's `selection_metric` wins).
    metric_family: str | None = None
    selection_metric: str | None = None
    # Objective -> the kind's default selection metric, for a kind whose objective varies.
    selection_metrics: dict[str, str] = field(default_factory=dict)
    # Training row ids -> the blocks the leaderboard's bootstrap resamples, where the split's
    # groups are too few to resample (whole chromosomes); None: the split's groups.
    resampling_groups: Callable[[np.ndarray], np.ndarray] | None = None
    # Labels of the auxiliary classification head of multi-task models (None: no such head).
    auxiliary_label: Callable[[np.ndarray], np.ndarray] | None = None
    # Whether the features rule adds siRNA design-rule/target-site features (features.py).
    sirna_features: bool = False
    # column -> (shortest length, what needs it): checked at encode, before anything trains.
    min_lengths: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (standard table, file, user's column names, task config) -> None or InputError: the
    # kind's own checks at encode, before anything trains (siRNA: target letters, strands).
    check_frame: Callable[[pd.DataFrame, str, dict[str, str], dict[str, Any]], None] | None = None
    # Standard table -> the text whose shared stretches tie rows together: groups for a grouped
    # split without a group column, and the leak of random folds reported at encode.
    context_text: Callable[[pd.DataFrame], pd.Series] | None = None
    # Files named by the task's config rather than by the kind (a user's own table).
    files_from_config: Callable[[dict[str, Any]], tuple[str, ...]] | None = None
    # Whether the data comes from the `simulate` rule (SIMULATED_FILE) rather than a download.
    simulated: bool = False
    # Whether rows hold sequences (and the `interpret` rule has something to explain).
    has_sequences: bool = True
    # Whether rows are DNA a factor binds or not: a GAN can learn the bound ones and design
    # new ones (`design` config, dlgenomics.design.designer).
    binding: bool = False
    # A large input read chunk by chunk (encode, when the input files exceed a size): (files,
    # task, rows per chunk) -> StreamedTables, or None where the task cannot be streamed.
    load_streamed: Callable[..., StreamedTables | None] | None = None
    # Task config -> whether its rows may be read on either strand (`reverse_complement`:
    # trained on both, predicted as the mean of both). Most kinds read sequences as given.
    both_strands: Callable[[dict[str, Any]], bool] = lambda task: False
    # Task config -> each output's partner on the reverse strand (stranded tracks swap: the
    # plus strand's signal is the minus strand's once the window is read backwards); None:
    # every output reads the same on both strands.
    reverse_strand_outputs: Callable[[dict[str, Any]], list[int] | None] = lambda task: None
    # Task config -> its own metric settings (label names, siRNA thresholds), passed to
    # `metrics.task_metrics` and recorded in the vocabulary by encode.
    metric_options: Callable[[dict[str, Any]], dict[str, Any]] = lambda task: {}
    # Task settings only this kind reads (a key another kind owns is an error elsewhere), and
    # the kind's own config checks: (config, task, where) -> None or InputError; they may fill
    # in what follows from the rest (a genome_tracks task's objective).
    config_keys: tuple[str, ...] = ()
    check_config: Callable[[dict[str, Any], dict[str, Any], str], None] | None = None
    # Task config -> the scale its labels are written in, where predictions are also written
    # in it (a user's siRNA table); None: the model's own.
    label_scale: Callable[[dict[str, Any]], str | None] = lambda task: None
    # The downloaded file whose layout the submission file copies (the competition's sample).
    submission_sample: str | None = None

    def files(self, task: dict[str, Any]) -> tuple[str, ...]:
        """The dataset files this kind reads for `task` (a `tasks.<name>` config entry)."""
        return self.files_from_config(task) if self.files_from_config else self.required_files
