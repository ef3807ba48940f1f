"""The package's layers: every import (function-local ones included) runs down this order or
stays within its layer, and no modules import each other round a cycle. DEVELOPERS.md
describes the layers; this table is where they are declared."""

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "workflow" / "dlgenomics"

# Bottom to top. The most specific pattern names a module's layer.
LAYERS = (
    ("core", ("dlgenomics", "dlgenomics.files", "dlgenomics.data")),
    ("facts", ("dlgenomics.data.*", "dlgenomics.metrics", "dlgenomics.sirna",
               "dlgenomics.sirna.rules", "dlgenomics.sirna.target_site",
               "dlgenomics.sirna.structure", "dlgenomics.sirna.features")),
    ("tasks", ("dlgenomics.tasks", "dlgenomics.tasks.*")),
    ("models", ("dlgenomics.models", "dlgenomics.models.*")),
    ("training", ("dlgenomics.training", "dlgenomics.training.*")),
    ("stages", ("dlgenomics.steps", "dlgenomics.data.encode", "dlgenomics.evaluation",
                "dlgenomics.evaluation.*", "dlgenomics.interpretation",
                "dlgenomics.interpretation.*", "dlgenomics.design", "dlgenomics.design.*",
                "dlgenomics.report", "dlgenomics.report.*", "dlgenomics.sirna.screening")),
    ("config", ("dlgenomics.config", "dlgenomics.plan")),
)  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """Index in LAYERS of the most specific pattern matching `module`."""
    matches = [
        (len(pattern.rstrip("*")), index)
        for index, (_, patterns) in enumerate(LAYERS)
        for pattern in patterns
        if fnmatchcase(module, pattern)
    ]
    assert matches, f"{module} is in no layer of tests/test_layers.py"
    return max(matches)[1]


def imports_of(module: str) -> list[tuple[str, int]]:
    """(package module imported, line) for every import in `module`, at any depth."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlgenomics"):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"  # `from pkg import module` names a module
                found.append((name if name in MODULES else node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("dlgenomics")]
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_layers(module):
    mine = layer_of(module)
    upward = [
        f"line {line}: {imported} ({LAYERS[layer_of(imported)][0]})"
        for imported, line in imports_of(module)
        if layer_of(imported) > mine
    ]
    assert not upward, f"{module} ({LAYERS[mine][0]}) imports upward: {upward}"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of two or more modules that reach each other (strongly connected components)."""
    order, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in order:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], order[other])
        if low[node] == order[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in order:
            visit(node)
    return found


def test_no_import_cycle():
    graph = {m: {name for name, _ in imports_of(m) if name != m} for m in MODULES}
    assert cycles(graph) == []


def test_the_checks_catch_an_upward_import_and_a_cycle():
    assert layer_of("dlgenomics.tasks.objectives") < layer_of("dlgenomics.report.plots")
    assert layer_of("dlgenomics.metrics") < layer_of("dlgenomics.tasks.kinds")
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
