"""The conda envs, checked without conda: every rule that runs code names an env in envs/,
each env lists (and pins) every third-party module its rules' code imports.

Why: no conda channel is reachable where the tests run, so `--sdm conda` cannot catch an env
that lacks a module; the rule would only fail on the cluster, hours into a run. The rules come
from Snakemake itself (the workflow loaded with the default config), the imports from `ast`.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from conftest import REPO

if TYPE_CHECKING:
    from snakemake.sourcecache import SourceFile

PACKAGE = "dlgenomics"
SOURCE_ROOT = REPO / "workflow"  # holds the dlgenomics package
ENVS = REPO / "envs"

# Not required in an env: the stdlib; our own package (the `-e ..` line installs it, checked
# separately); and `snakemake`, which the script preamble imports from the running Snakemake
# (it appends that installation's search path to the script's sys.path).
PROVIDED_ELSEWHERE = {PACKAGE, "snakemake"} | set(sys.stdlib_module_names)

# Package (conda or pip) -> the module it provides, where the two names differ.
IMPORT_NAMES = {
    "pytorch": "torch",
    "scikit-learn": "sklearn",
    "pyyaml": "yaml",
    "viennarna": "RNA",
    "pybigwig": "pyBigWig",
}
# Listed in an env without a version: conda picks the pip matching the pinned python.
UNPINNED_OK = {"pip"}
EDITABLE_SELF = "-e .."
CONDA_PIN = re.compile(r"^[A-Za-z0-9_.\-]+=\d[^=\s]*(=\S+)?$")  # name=ver or name=ver=build
PIP_PIN = re.compile(r"^[A-Za-z0-9_.\-]+(\[[^\]]*\])?==\d\S*$")  # name==ver


@dataclass(frozen=True)
class RuleInfo:
    """What this test needs from a Snakemake rule (plain data, usable after the API closes)."""

    name: str
    runs_code: bool  # script, shell, notebook, wrapper or run; False for target rules
    uses_run: bool  # a `run:` block
    env: Path | None  # the conda env file, resolved against the rule's .smk folder
    env_spec: object  # the `conda:` value as written, for messages
    script: Path | None
    benchmark: str | None  # the `benchmark:` path pattern


def load_rules(workdir: Path) -> list[RuleInfo]:
    """The workflow's rules, as Snakemake parses them with config/config.yaml."""
    # Imported here: Snakemake's API is slow to import and only this fixture needs it.
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    output = OutputSettings(quiet={Quietness.ALL}, enable_file_logging=False)
    config = ConfigSettings(configfiles=[REPO / "config" / "config.yaml"])
    rules = []
    # A scratch workdir: loading must leave no .snakemake/ behind in the checkout.
    with SnakemakeApi(output) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=config,
            snakefile=REPO / "Snakefile",
            workdir=workdir,
        )._workflow
        for rule in workflow.rules:
            env = rule.conda_env
            rules.append(
                RuleInfo(
                    name=rule.name,
                    runs_code=not rule.norun,
                    uses_run=rule.is_run,
                    env=_local_path(rule.basedir, env) if isinstance(env, str) else None,
                    env_spec=env,
                    script=_local_path(rule.basedir, rule.script) if rule.script else None,
                    benchmark=str(rule.benchmark) if rule.benchmark else None,
                )
            )
    return rules


def _local_path(basedir: SourceFile, relative: str) -> Path:
    """A rule's path (relative to its .smk file's folder) as an absolute local path."""
    return Path(basedir.join(relative).get_path_or_uri(secret_free=True)).resolve()


def _module_name(path: Path) -> str:
    """`workflow/dlgenomics/models/cnn.py` -> `dlgenomics.models.cnn` (a package: its name)."""
    parts = path.relative_to(SOURCE_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module a Python file imports, anywhere in it: lazy imports in functions count,
    since they run in the rule's env too. `from a import b` yields `a` and `a.b` (b may be a
    submodule); relative imports are resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _package_files(module: str) -> list[Path]:
    """Our files that importing `module` runs: every package `__init__` on the way, then the
    module itself (nothing for a name that is an attribute, not a module)."""
    files = []
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        stem = SOURCE_ROOT.joinpath(*parts[:depth])
        for candidate in (stem / "__init__.py", stem.with_suffix(".py")):
            if candidate.is_file():
                files.append(candidate)
    return files


def third_party_imports(script: Path) -> dict[str, set[Path]]:
    """Third-party top-level modules the script needs, each with the files importing it:
    the script's own imports and, transitively, those of every dlgenomics module it reaches."""
    needed: dict[str, set[Path]] = {}
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path):
            top = module.split(".")[0]
            if top == PACKAGE:
                todo.extend(_package_files(module))
            elif top and top not in PROVIDED_ELSEWHERE:
                needed.setdefault(top, set()).add(path)
    return needed


def _requirement_name(spec: str) -> str:
    """`conda-forge::pytorch=2.9=*cpu*` -> `pytorch`; `logomaker==0.8.7` -> `logomaker`."""
    spec = spec.split("::")[-1]
    return re.split(r"[\s=<>!~\[;@]", spec, maxsplit=1)[0].lower()


def env_requirements(env: Path) -> tuple[list[str], list[str]]:
    """An env file's conda specs and pip requirement lines."""
    dependencies = yaml.safe_load(env.read_text()).get("dependencies") or []
    conda = [str(dep) for dep in dependencies if not isinstance(dep, dict)]
    pip = [
        str(line) for dep in dependencies if isinstance(dep, dict) for line in dep.get("pip", [])
    ]
    return conda, pip


def provided_modules(env: Path) -> set[str]:
    """Modules the env lists explicitly. The `-e ..` line's own pyproject dependencies do not
    count: pip would install those unpinned, outside the conda solve."""
    conda, pip = env_requirements(env)
    names = {_requirement_name(spec) for spec in conda + pip if spec != EDITABLE_SELF}
    return {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in names}


def missing_modules(rule: RuleInfo) -> list[str]:
    """One message per module the rule's script needs that its env does not list."""
    assert rule.script is not None and rule.env is not None
    provided = provided_modules(rule.env)
    return [
        f"rule {rule.name!r}: {_shown(rule.env)} lacks {module!r} (add it, pinned), imported by "
        + ", ".join(sorted(_shown(path) for path in importers))
        for module, importers in sorted(third_party_imports(rule.script).items())
        if module not in provided
    ]


def is_pinned(spec: str, pip: bool) -> bool:
    if spec in UNPINNED_OK or (pip and spec == EDITABLE_SELF):
        return True
    return bool((PIP_PIN if pip else CONDA_PIN).match(spec))


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> list[RuleInfo]:
    return load_rules(tmp_path_factory.mktemp("workflow"))


@pytest.fixture(scope="module")
def code_rules(rules: list[RuleInfo]) -> list[RuleInfo]:
    code = [rule for rule in rules if rule.runs_code]
    # Guard against a vacuous pass: the loader must have found the pipeline's steps.
    assert {"download", "encode", "train", "evaluate"} <= {rule.name for rule in code}
    return code


def test_target_rules_run_no_code(rules: list[RuleInfo]):
    assert {"all", "screen"} <= {rule.name for rule in rules if not rule.runs_code}


def test_every_code_rule_names_an_existing_env(code_rules: list[RuleInfo]):
    problems = []
    for rule in code_rules:
        if rule.uses_run:
            # A `run:` block runs inside Snakemake's own process, where `conda:` has no effect.
            problems.append(f"rule {rule.name!r}: `run:` ignores conda:, use `script:` instead")
        elif rule.env is None:
            problems.append(f"rule {rule.name!r}: no `conda:` env file (got {rule.env_spec!r})")
        elif not rule.env.is_file() or rule.env.parent != ENVS:
            problems.append(f"rule {rule.name!r}: conda env {rule.env} is not a file in envs/")
    assert not problems, "\n".join(problems)


def test_every_code_rule_is_benchmarked_under_its_own_name(code_rules: list[RuleInfo]):
    """The report's benchmark summary groups jobs by the folder under benchmarks/."""
    wrong = {
        rule.name: rule.benchmark
        for rule in code_rules
        if not (rule.benchmark or "").startswith(f"benchmarks/{rule.name}/")
    }
    assert not wrong, wrong


def test_no_env_installs_the_package_by_a_relative_path():
    """Snakemake builds each env from a copy of its file in .snakemake/conda/, where `-e ..`
    would point at .snakemake/: the envs hold dependencies only, and the Snakefile puts this
    checkout's package on every job's PYTHONPATH."""
    for env in sorted(ENVS.glob("*.yaml")):
        _, pip = env_requirements(env)
        assert not [line for line in pip if line.startswith("-e") or "/" in line], _shown(env)
    snakefile = (REPO / "Snakefile").read_text()
    assert 'PACKAGE_ROOT = os.path.join(workflow.basedir, "workflow")' in snakefile
    assert 'os.environ["PYTHONPATH"]' in snakefile
    assert (REPO / "workflow" / PACKAGE / "__init__.py").is_file()


# Distribution name where it differs from the env's package name; and specs that are not
# Python packages of the test environment (checked elsewhere or not checkable here).
DISTRIBUTIONS = {"pytorch": "torch"}
NOT_INSTALLED_HERE = {"pip", "cuda-version"}


def pin_mismatches(env_text: str, installed: Callable[[str], str]) -> list[str]:
    """Pins of an env file that the tested environment does not satisfy: a conda pin is a
    version prefix (`numpy=2.4` holds 2.4.6), a pip pin the exact version."""
    dependencies = yaml.safe_load(env_text)["dependencies"]
    specs = [(str(d), False) for d in dependencies if not isinstance(d, dict)]
    specs += [(str(line), True) for d in dependencies if isinstance(d, dict) for line in d["pip"]]
    problems = []
    for spec, pip in specs:
        name = _requirement_name(spec)
        if name in NOT_INSTALLED_HERE:
            continue
        pinned = spec.split("==")[1] if pip else spec.split("=")[1]
        pinned = pinned.split()[0]
        found = (
            f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
            if name == "python"
            else installed(DISTRIBUTIONS.get(name, name)).split("+")[0]
        )
        agrees = found == pinned if pip else (found + ".").startswith(pinned + ".")
        if not agrees:
            problems.append(f"{spec}: the tests run {name} {found}")
    return problems


def test_pins_agree_with_the_versions_the_tests_run():
    from importlib.metadata import version

    problems = [
        f"{_shown(env)}: {problem}"
        for env in sorted(ENVS.glob("*.yaml"))
        for problem in pin_mismatches(env.read_text(), version)
    ]
    assert not problems, "\n".join(problems)


def test_a_changed_pin_is_caught():
    from importlib.metadata import version

    env = (ENVS / "report.yaml").read_text()
    assert pin_mismatches(env, version) == []
    changed = env.replace("matplotlib=3.11", "matplotlib=3.10")
    assert pin_mismatches(changed, version) == [
        f"matplotlib=3.10: the tests run matplotlib {version('matplotlib')}"
    ]
    assert pin_mismatches(env.replace("logomaker==0.8.7", "logomaker==0.8.6"), version)


def test_the_training_env_pins_cuda():
    conda, _ = env_requirements(ENVS / "train.yaml")
    assert any(spec.startswith("cuda-version=") for spec in conda)
    assert any(spec.startswith("pytorch=") and spec.endswith("=*cuda*") for spec in conda)


def test_every_env_provides_its_rules_imports(code_rules: list[RuleInfo]):
    scripted = [r for r in code_rules if r.script is not None and r.env and r.env.is_file()]
    assert scripted, "no rule with a script and an env"
    problems = [message for rule in scripted for message in missing_modules(rule)]
    assert not problems, "\n".join(problems)


def test_every_dependency_is_pinned():
    problems = []
    for env in sorted(ENVS.glob("*.yaml")):
        conda, pip = env_requirements(env)
        problems += [
            f"{_shown(env)}: conda {s!r} unpinned" for s in conda if not is_pinned(s, False)
        ]
        problems += [f"{_shown(env)}: pip {s!r} unpinned" for s in pip if not is_pinned(s, True)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("spec", "pip", "pinned"),
    [
        ("python=3.11", False, True),
        ("pytorch=2.9=*cuda*", False, True),
        ("pip", False, True),
        ("numpy", False, False),
        ("numpy>=2.4", False, False),
        ("numpy=*", False, False),
        ("logomaker==0.8.7", True, True),
        ("-e ..", True, True),
        ("logomaker", True, False),
        ("logomaker>=0.8", True, False),
    ],
)
def test_pin_rule(spec: str, pip: bool, pinned: bool):
    assert is_pinned(spec, pip) is pinned


def test_missing_module_message_names_rule_env_and_module(
    code_rules: list[RuleInfo], tmp_path: Path
):
    """The check can fail, and says where: report.yaml without matplotlib, for `evaluate`."""
    rule = next(rule for rule in code_rules if rule.name == "evaluate")
    assert rule.env is not None
    env = yaml.safe_load(rule.env.read_text())
    env["dependencies"] = [d for d in env["dependencies"] if not str(d).startswith("matplotlib")]
    broken = tmp_path / rule.env.name
    broken.write_text(yaml.safe_dump(env))
    messages = missing_modules(replace(rule, env=broken))
    [message] = [m for m in messages if "'matplotlib'" in m]
    assert "'evaluate'" in message
    assert str(broken) in message
    assert "workflow/dlgenomics/report/plots.py" in message  # where the import is, to judge it
