"""Task kinds: how one dataset's raw files become standard tables, one per role; each kind is
one module of this package, registered by one line of `KIND_MODULES`.

A standard table has `row_id`, `target` (or, with several labels per row, one `label_<name>`
column each), optional `group` (for grouped splits) and input
columns named as in `schema` but still holding raw values: nucleotide strings in `seq_*`,
space-separated modification tokens in `mod_*`, numbers in `num_*`, labels in `cat_*`.
`encode` turns those into tensors.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from dlgenomics.tasks.base import TaskKind
from dlgenomics.tasks.objectives import OBJECTIVES, Objective, Scoring


def objective_of(task: dict[str, Any]) -> Objective:
    """What the task predicts: its kind's objective, else its own `objective` setting."""
    return OBJECTIVES[TASK_KINDS[task["kind"]].objective or task["objective"]]


def scoring(task: dict[str, Any]) -> Scoring:
    """How a task is scored (objectives.Scoring): objective, metric family, selection metric
    (the task's `selection_metric`, else its kind's, else its objective's) and options."""
    kind, objective = TASK_KINDS[task["kind"]], objective_of(task)
    family = kind.metric_family or objective.metric_family
    selection = (
        task.get("selection_metric")
        or kind.selection_metric
        or kind.selection_metrics.get(objective.name)
        or objective.selection_metric
    )
    return Scoring(objective.name, family, selection, metric_options(task))


# One line per kind: the module under tasks/kinds/ that defines it (its `KIND`).
KIND_MODULES = (
    "sirna_competition",
    "sirna_table",
    "primer",
    "simulated_binding",
    "formula",
    "xor",
    "sequences",
    "genome_tracks",
)
TASK_KINDS: dict[str, TaskKind] = {}


def register_kind(module: str) -> TaskKind:
    """Add the kind `module` (an importable module's full name) defines, its `KIND`, to
    TASK_KINDS."""
    kind = import_module(module).KIND
    if not isinstance(kind, TaskKind):
        raise TypeError(f"{module}.KIND is a {type(kind).__name__}, not a TaskKind")
    TASK_KINDS[kind.name] = kind
    return kind


for _module in KIND_MODULES:
    register_kind(f"{__name__}.{_module}")


def label_scale(task: dict[str, Any]) -> str | None:
    """The scale predictions are also written in (its kind's `label_scale`)."""
    return TASK_KINDS[task["kind"]].label_scale(task)


def metric_options(task: dict[str, Any]) -> dict[str, Any]:
    """The task's own metric settings (its kind's `metric_options`)."""
    return TASK_KINDS[task["kind"]].metric_options(task)
