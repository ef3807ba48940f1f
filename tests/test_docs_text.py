"""The documentation describes the project, not how it was developed; history is in CHANGELOG."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [
    "README.md",
    "DEVELOPERS.md",
    "CHANGELOG.md",
    "config/README.md",
    "bench/README.md",
    "bench/RESULTS.md",
]

# Wording about the circumstances of development. Each pattern was checked to have no
# legitimate use in these files ("gradient-boosting rounds" is one: the bare word "round" is
# not banned, only the numbered rounds of work).
PATTERNS = [
    r"\bissues? #?\d+",
    r"\bthe issue's\b",
    r"\b(as in|by|from) the issue\b",
    r"\bthe issue (quotes|asks|measured|does not)\b",
    r"\bsessions?\b",
    r"\bengineers?\b",
    r"\blent\b",
    r"\bdevice (tool|machine)\b",
    r"\bworkplace\b",
    r"\bsearch corpus\b",
    r"\b(first|second|third|fourth|fifth|sixth|previous|next|this|last) round'?s?\b",
]


def offending_lines(text: str) -> list[str]:
    """Each line of `text` matching a pattern, with its line number and the pattern."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in PATTERNS:
            if re.search(pattern, line, flags=re.IGNORECASE):
                found.append(f"{number}: /{pattern}/ {line.strip()[:120]}")
    return found


@pytest.mark.parametrize("name", DOCS)
def test_docs_describe_the_project_alone(name):
    path = REPO / name
    assert path.is_file(), f"{name} is missing"
    found = offending_lines(path.read_text(encoding="utf-8"))
    assert not found, f"{name} speaks of how the project was developed:\n" + "\n".join(found)


def test_changelog_linked_from_readme():
    assert (REPO / "CHANGELOG.md").is_file()
    assert "](CHANGELOG.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_patterns_spare_legitimate_wording():
    legitimate = (
        "gradient boosting, rate 0.05, at most 2,000 rounds; the kept number of rounds;\n"
        "feature engineering; the share of the groups, rounded up; each round of boosting"
    )
    assert offending_lines(legitimate) == []
    assert len(offending_lines("No GPU was lent in this session; fourth round (issue 18)")) == 4


# A path of the repository in the docs: under a top-level folder (any file), or a package
# module named from the package or a subpackage (`dlgenomics/config.py`, `tasks/kinds/__init__.py`).
TOP_LEVEL = ("workflow", "tests", "bench", "config", "envs", "profiles", ".ci")
MODULE_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]+\.(?:py|smk|yaml|md|sh))\b")


def repository_paths(text: str) -> set[str]:
    package = REPO / "workflow" / "dlgenomics"
    subpackages = {p.name for p in package.iterdir() if p.is_dir()} | {"dlgenomics"}
    return {
        path
        for path in MODULE_PATH.findall(text)
        if path.split("/")[0] in TOP_LEVEL
        or (path.split("/")[0] in subpackages and path.endswith(".py"))
    }


@pytest.mark.parametrize("doc", DOCS, ids=str)
def test_every_repository_path_in_the_docs_exists(doc):
    package = REPO / "workflow" / "dlgenomics"
    missing = sorted(
        path
        for path in repository_paths((REPO / doc).read_text())
        if not (REPO / path).exists()
        and not (package / path).exists()
        and not (package.parent / path).exists()
    )
    assert not missing
