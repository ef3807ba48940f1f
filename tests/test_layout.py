"""The package's shape, as DEVELOPERS.md promises it: short functions, one place per fact."""

from __future__ import annotations

import ast
import re

from conftest import REPO

PACKAGE = REPO / "workflow" / "dlgenomics"
MAX_FUNCTION_LINES = 80  # one screen


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in sorted((REPO / "workflow").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({lines})")
    assert not long


def test_no_module_branches_on_an_objective_name():
    """Behaviour that depends on what a task predicts lives in tasks/objectives.py."""
    branch = re.compile(r"(task_type|objective_name) *(==|!=|in )")
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(REPO.joinpath("workflow").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if branch.search(line) and path.name != "objectives.py"
    ]
    assert not found


def test_no_module_branches_on_a_task_kind_name():
    """What depends on a task's kind is a field of its TaskKind entry (a module of tasks/kinds/): no
    comparison with a kind's name anywhere else, in the package or the rules."""
    from dlgenomics.tasks.kinds import TASK_KINDS

    names = "|".join(TASK_KINDS)
    branch = re.compile(
        rf"""(==|!=) *["']({names})["']|["']({names})["'] *(==|!=)|\bkind\.name *(==|!=)"""
    )
    files = [*REPO.joinpath("workflow").rglob("*.py"), *REPO.joinpath("workflow").rglob("*.smk")]
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(files)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if branch.search(line)
    ]
    assert not found


def test_each_stage_of_the_workflow_is_a_subpackage():
    stages = {"data", "tasks", "models", "training", "evaluation", "interpretation", "design",
              "sirna", "report"}  # fmt: skip
    found = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}  # tasks/kinds/ is within
    assert found == stages
    # The layout DEVELOPERS.md draws names every module that exists.
    developers = (REPO / "DEVELOPERS.md").read_text()
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            assert path.name in developers, path.relative_to(REPO)


def test_every_report_item_has_a_caption_and_a_label():
    """Each `report()` output says what it shows and how to read it (a caption file under
    workflow/report/) and carries a readable label instead of its path."""
    import re

    rules = REPO / "workflow" / "rules"
    items = []
    for smk in sorted(rules.glob("*.smk")):
        items += [
            (smk.name, m.group(1))
            for m in re.finditer(r"report\((.*?)\n\s*\)", smk.read_text(), re.S)
        ]
    assert len(items) >= 20
    for name, body in items:
        caption = re.search(r'caption="([^"]+)"', body)
        assert caption and (rules / caption.group(1)).resolve().is_file(), (name, body)
        assert 'labels={"figure": ' in body, (name, body)
    landing = (REPO / "Snakefile").read_text()
    assert 'report: "workflow/report/workflow.rst"' in landing


def test_every_table_keyed_by_objective_names_each_objective():
    """What differs by objective beyond its maths is a table beside the code that uses it:
    an objective added to OBJECTIVES and forgotten in one of them fails here, not in a run."""
    from dlgenomics.design.targets import DESIGN_TARGETS
    from dlgenomics.evaluation.predict import PREDICTION_COLUMNS
    from dlgenomics.interpretation.attributions import SOUGHT_ROWS
    from dlgenomics.models.gbm import TABULAR_OUTPUTS
    from dlgenomics.report.views import PREDICTION_VIEWS
    from dlgenomics.tasks.labels import LABEL_FORMATS
    from dlgenomics.tasks.objectives import OBJECTIVES

    tables = (LABEL_FORMATS, DESIGN_TARGETS, SOUGHT_ROWS, TABULAR_OUTPUTS, PREDICTION_COLUMNS,
              PREDICTION_VIEWS)  # fmt: skip
    for table in tables:
        assert sorted(table) == sorted(OBJECTIVES)
