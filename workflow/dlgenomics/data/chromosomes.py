"""Chromosome names of one file read as another's: THE place names are reconciled.

Real files name one assembly's chromosomes several ways: UCSC `chrI` / `chr1`, Ensembl `I` /
`1`, `chrM` / `MT` / `Mito` (the yeast data beside the checkout uses three of them). Every
reader that takes coordinates against a genome (BED intervals today; bigWig tracks and the
interval tracks of a genome task later) maps its names onto the genome's with
`ChromosomeNames.reconcile`, which returns the mapping (logged with `log_mapping`) and, for each
name it cannot map, why: the caller decides whether that is an error (a BED line is; a bigWig
chromosome no window reaches may not be) and names its own file and line.

A name is matched, in this order: by the user's alias table (`AliasTable`: config mapping or a
two-column file), exactly, by the same name without a `chr`/`chrom`/`chromosome` prefix
(case ignored), by the same number (arabic `10` = roman `X`; leading zeros ignored) or as the
mitochondrion. Roman numerals are read as numbers only on a side whose names are roman-styled
(one roman name other than X: `I`, `II`, `IV`...), so a human `chrX` is never chromosome 10. A
name matching several reference names, or two names landing on one, is ambiguous: an error,
never a guess; an alias settles it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlgenomics import InputError

log = logging.getLogger(__name__)

_PREFIX = re.compile(r"^(chromosome|chrom|chr)[_\-\s]?", re.IGNORECASE)
_ROMAN = re.compile(r"^(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")  # 1-89: every nuclear genome's range
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
MITOCHONDRION = "mitochondrion"
_MITO_NAMES = {"M", "MT", "MITO", "MITOCHONDRION", "MITOCHONDRIAL", "MTDNA"}
_SHOWN = 5  # reference names an error lists


def core(name: str) -> str:
    """The name without its chr/chrom/chromosome prefix, upper-cased: `chrI` -> `I`."""
    return _PREFIX.sub("", name.strip()).upper()


def _roman(text: str) -> int | None:
    if not text or not _ROMAN.fullmatch(text):
        return None
    values = [_ROMAN_VALUES[letter] for letter in text]
    pairs = zip(values, [*values[1:], 0], strict=True)
    return sum(-v if v < after else v for v, after in pairs)


def roman_styled(names: Iterable[str]) -> bool:
    """Whether names number chromosomes in roman numerals: one roman name other than X (a
    human set's only roman-looking name)."""
    return any(_roman(core(name)) not in (None, 10) for name in names)


def number_key(name: str, roman: bool) -> str | None:
    """What a name means beyond its spelling: its chromosome number (`10`, from `chr10`,
    `chr010`, or `X` where `roman`), `mitochondrion`, or None."""
    text = core(name)
    if text in _MITO_NAMES:
        return MITOCHONDRION
    if text.isdigit():
        return str(int(text))
    value = _roman(text) if roman else None
    return None if value is None else str(value)


def shown(names: list[str]) -> str:
    """A list of names for an error: the count, then the first few."""
    more = ", ..." if len(names) > _SHOWN else ""
    return f"{len(names)} sequences: {', '.join(names[:_SHOWN])}{more}"


@dataclass(frozen=True)
class AliasTable:
    """The user's own name -> reference name table, and how an error names each entry."""

    targets: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], key: str) -> AliasTable:
        """A config mapping; errors name `key` (the config key)."""
        targets = {str(k): str(v) for k, v in mapping.items()}
        return cls(targets, {name: f"{key}: {name!r}" for name in targets})

    @classmethod
    def read(cls, path: Path) -> AliasTable:
        """A two-column file (tab or spaces): name as the files spell it, name in the genome;
        '#' lines and blank lines skipped. A line of another width, or a name given two
        targets, stops naming the file and line."""
        targets: dict[str, str] = {}
        where: dict[str, str] = {}
        for number, raw in enumerate(Path(path).read_text().split("\n"), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split("\t") if "\t" in line else line.split()
            if len(words) != 2:
                raise InputError(
                    f"{path}: line {number}: {len(words)} column(s); an alias line "
                    "holds 2 (the name in your files, the genome's)"
                )
            name, target = (word.strip() for word in words)
            if targets.get(name, target) != target:
                raise InputError(
                    f"{path}: line {number}: {name!r} is already an alias of "
                    f"{targets[name]!r} ({where[name]})"
                )
            targets[name], where[name] = target, f"{path}: line {number}"
        return cls(targets, where)


@dataclass(frozen=True)
class Reconciled:
    """Names of one file read as the reference's: `mapping` (each name matched -> reference
    name) and `problems` (each name matched by none, or ambiguously -> why, for an error)."""

    mapping: dict[str, str]
    problems: dict[str, str]

    def renamed(self) -> dict[str, str]:
        """The names that changed: what the log shows."""
        return {name: to for name, to in self.mapping.items() if name != to}


class ChromosomeNames:
    """A reference's sequence names (a genome FASTA's, or the chromosomes a data set holds)
    and the user's aliases onto them. `source` names the reference in errors."""

    def __init__(self, names: Iterable[str], source: str, aliases: AliasTable | None = None):
        self.names = [str(name) for name in dict.fromkeys(names)]
        self.source = source
        self.aliases = aliases or AliasTable()
        for name, target in self.aliases.targets.items():
            if target not in self.names:
                raise InputError(
                    f"{self.aliases.where[name]}: alias target {target!r} is not "
                    f"in {source} ({shown(self.names)})"
                )
        self._known = set(self.names)
        self._by_core = self._index(core)
        roman = roman_styled(self.names)
        self._by_number = self._index(lambda name: number_key(name, roman))

    def _index(self, key: Callable[[str], str | None]) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for name in self.names:
            value = key(name)
            if value is not None:
                index.setdefault(value, []).append(name)
        return index

    def _candidates(self, name: str, roman: bool) -> tuple[list[str], bool]:
        """(reference names `name` may mean, whether the user's alias or the exact name)."""
        if name in self.aliases.targets:
            return [self.aliases.targets[name]], True
        if name in self._known:
            return [name], True
        by_core = self._by_core.get(core(name))
        if by_core:
            return by_core, False
        number = number_key(name, roman)
        return (self._by_number.get(number, []) if number else []), False

    def reconcile(self, names: Iterable[str]) -> Reconciled:
        """Each of one file's names read as a reference name (see the module's order); the
        file's names are judged roman-styled or not together."""
        names = [str(name) for name in dict.fromkeys(names)]
        roman = roman_styled(names)
        mapping: dict[str, str] = {}
        problems: dict[str, str] = {}
        trusted: set[str] = set()  # matched by alias or exactly: never the guess in a clash
        for name in names:
            candidates, exact = self._candidates(name, roman)
            if len(candidates) == 1:
                mapping[name] = candidates[0]
                trusted |= {name} if exact else set()
            elif candidates:
                problems[name] = (
                    f"chromosome {name!r} could be any of {', '.join(candidates)} in {self.source}"
                )
            else:
                problems[name] = (
                    f"chromosome {name!r} is not in {self.source} ({shown(self.names)})"
                )
        claimants: dict[str, list[str]] = {}
        for name, target in mapping.items():
            claimants.setdefault(target, []).append(name)
        for target, rivals in claimants.items():
            for name in rivals if len(rivals) > 1 else []:
                if name not in trusted:
                    other = next(n for n in rivals if n != name)
                    problems[name] = (
                        f"chromosome {name!r} would be read as {target!r} of "
                        f"{self.source}, as {other!r} is"
                    )
                    del mapping[name]
        return Reconciled(mapping, problems)


def aliases_of(
    setting: Mapping[str, str] | str | None, files: Mapping[str, Path], key: str
) -> AliasTable:
    """The alias table a config gives: a mapping (errors name `key`), or the name of a
    two-column file of the dataset, or none."""
    if setting is None:
        return AliasTable()
    if isinstance(setting, str):
        return AliasTable.read(files[setting])
    return AliasTable.from_mapping(setting, key)


def log_mapping(path: Path | str, reconciled: Reconciled, reference: ChromosomeNames) -> None:
    """One log line saying which of a file's names were read as which reference names, in
    the reference's order."""
    order = {name: k for k, name in enumerate(reference.names)}
    renamed = sorted(reconciled.renamed().items(), key=lambda pair: order[pair[1]])
    if renamed:
        pairs = ", ".join(f"{name} -> {to}" for name, to in renamed)
        log.info("%s: chromosome names read as %s's: %s", path, reference.source, pairs)
