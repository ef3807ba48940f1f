"""Transcription-factor motif matrices: JASPAR records, consensus strings, sampling sites
and the dinucleotide shuffle, and the motifs file the simulate rule writes beside a task.

Matrices are (length, 4) float arrays of probabilities, columns in the order A, C, G, T.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from dlgenomics import InputError
from dlgenomics.data.nucleotides import DNA, decode_bases
from dlgenomics.files import write_json

# Counts added to every base of a JASPAR matrix before normalising (see `jaspar_motif`).
JASPAR_PSEUDOCOUNT = 0.01


@dataclass(frozen=True)
class Motif:
    """A named probability matrix (length, 4), columns A C G T, each row summing to 1.

    `family`: the factor's structural family where known (JASPAR's tf_family), for reports only
    (it takes no part in equality)."""

    name: str
    matrix_id: str
    probabilities: np.ndarray
    family: str = ""

    def __post_init__(self) -> None:
        matrix = np.array(self.probabilities, dtype=np.float64)
        check_pwm(matrix, f"motif {self.name!r}")
        if (matrix < 0).any() or not np.allclose(matrix.sum(axis=1), 1.0, atol=1e-6):
            raise InputError(
                f"motif {self.name!r}: probabilities must be non-negative with rows summing to 1"
            )
        matrix.setflags(write=False)  # frozen means frozen: nobody edits a shared motif
        object.__setattr__(self, "probabilities", matrix)

    # numpy arrays have no single truth value, so the generated __eq__/__hash__ would fail.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Motif):
            return NotImplemented
        return (
            self.name == other.name
            and self.matrix_id == other.matrix_id
            and np.array_equal(self.probabilities, other.probabilities)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.matrix_id, self.probabilities.tobytes()))

    @property
    def length(self) -> int:
        return int(self.probabilities.shape[0])

    @property
    def consensus(self) -> str:
        return consensus(self.probabilities)


def jaspar_motif(name: str, matrix_id: str, release: str = "JASPAR2024") -> Motif:
    """Motif `matrix_id` (e.g. "MA0035.4") from pyjaspar's bundled, offline database.

    Counts become probabilities after adding JASPAR_PSEUDOCOUNT to every base: JASPAR counts
    contain zeros, and a zero probability would forbid that base in sampled sites forever and
    make log-likelihoods -inf; 0.01 is far below any real count, so the matrix barely changes.
    """
    database = _jaspar_database(release, f"matrix {matrix_id!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjaspar warns, then returns None, for unknown ids
        record = database.fetch_motif_by_id(matrix_id)
    if record is None:
        raise InputError(f"{release} has no matrix {matrix_id!r}; check the id at jaspar.elixir.no")
    return _jaspar_record(record, name)


def jaspar_core(release: str = "JASPAR2024", tax_group: str = "vertebrates") -> list[Motif]:
    """Every CORE matrix of `tax_group` (vertebrates, plants, insects, fungi, nematodes,
    urochordates, ...) in `release`, latest version of each, from pyjaspar's bundled offline
    database; named by the factor (e.g. "TBP"), probabilities as in `jaspar_motif`, `family`
    from JASPAR's tf_family. Loaded once per process (about a second); a new list each call."""
    return list(_jaspar_core(release, tax_group))


@functools.lru_cache(maxsize=4)
def _jaspar_core(release: str, tax_group: str) -> tuple[Motif, ...]:
    database = _jaspar_database(release, f"tax group {tax_group!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjaspar warns, then returns [], for unknown groups
        records = database.fetch_motifs(collection="CORE", tax_group=[tax_group])
    if not records:
        groups = {r.tax_group for r in database.fetch_motifs(collection="CORE")}
        raise InputError(
            f"{release} CORE has no matrix of tax group {tax_group!r}; "
            f"use one of {', '.join(sorted(str(g) for g in groups))}"
        )
    return tuple(_jaspar_record(record, str(record.name)) for record in records)


def _jaspar_database(release: str, wanted: str) -> Any:
    """pyjaspar's handle on `release`, an InputError naming `wanted` if there is none."""
    from pyjaspar import jaspardb  # slow import: only when a matrix is actually needed

    available = jaspardb().get_releases()
    if release not in available:
        raise InputError(
            f"unknown JASPAR release {release!r} ({wanted}); use one of {', '.join(available)}"
        )
    return jaspardb(release=release)


def _jaspar_record(record: Any, name: str) -> Motif:
    counts = np.array([record.counts[base] for base in DNA], dtype=np.float64).T
    counts += JASPAR_PSEUDOCOUNT
    family = "; ".join(str(f) for f in (getattr(record, "tf_family", None) or []))
    probabilities = counts / counts.sum(axis=1, keepdims=True)
    return Motif(name, str(record.matrix_id), probabilities, family)


def consensus_motif(name: str, consensus: str) -> Motif:
    """A one-hot motif spelling `consensus` (letters A, C, G, T; case-insensitive)."""
    letters = consensus.upper()
    bad = sorted(set(letters) - set(DNA))
    if not letters or bad:
        raise InputError(
            f"motif {name!r}: consensus {consensus!r} must be a non-empty string of A, C, G, T "
            f"(found {bad})"
        )
    matrix = np.zeros((len(letters), 4))
    matrix[np.arange(len(letters)), [DNA.index(base) for base in letters]] = 1.0
    return Motif(name, "", matrix)


def reverse_complement_pwm(pwm: np.ndarray) -> np.ndarray:
    """The matrix of the other strand: rows reversed, A<->T and C<->G."""
    matrix = np.asarray(pwm)
    check_pwm(matrix, "pwm")
    # Columns A C G T reversed are T G C A: exactly the complement of each column.
    return matrix[::-1, ::-1].copy()


def sample_indices(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One base index per row of `probabilities`, drawn from that row."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities)) * cumulative[:, -1]
    return np.minimum((draws[:, None] >= cumulative).sum(axis=1), 3)


def sample_instance(motif: Motif, rng: np.random.Generator) -> str:
    """One site of `motif`: a base per position drawn from that position's probabilities."""
    return decode_bases(sample_indices(motif.probabilities, rng))


def dinucleotide_shuffle(sequence: str, rng: np.random.Generator) -> str:
    """Altschul–Erickson shuffle: same dinucleotide counts, first and last letter as `sequence`.

    A random Eulerian walk over the graph whose edges are the sequence's dinucleotides: choose,
    for every letter but the last, which edge leaves it last, such that these edges form a tree
    towards the last letter (else the walk could get stuck); shuffle the other edges and walk.
    """
    if len(sequence) < 3:
        return sequence
    last_letter = sequence[-1]
    edges: dict[str, list[str]] = {}
    for left, right in pairwise(sequence):
        edges.setdefault(left, []).append(right)
    vertices = sorted(edges)  # sorted: the draws must not depend on dict order
    while True:
        last_edge = {
            vertex: int(rng.integers(len(edges[vertex])))
            for vertex in vertices
            if vertex != last_letter
        }
        if _reaches(last_letter, {v: edges[v][i] for v, i in last_edge.items()}):
            break
    order: dict[str, list[str]] = {}
    for vertex in vertices:
        successors = list(edges[vertex])
        final = successors.pop(last_edge[vertex]) if vertex in last_edge else None
        successors = [successors[i] for i in rng.permutation(len(successors))]
        if final is not None:
            successors.append(final)
        order[vertex] = successors[::-1]  # reversed so the walk can pop() from the end
    walk = [sequence[0]]
    for _ in range(len(sequence) - 1):
        walk.append(order[walk[-1]].pop())
    return "".join(walk)


def _reaches(root: str, parent: dict[str, str]) -> bool:
    """Whether following `parent` from every vertex ends at `root` (no cycles)."""
    for start in parent:
        seen = set()
        vertex = start
        while vertex != root:
            if vertex in seen:
                return False
            seen.add(vertex)
            vertex = parent[vertex]
    return True


def write_motifs(motifs: Sequence[Motif], path: Path, release: str) -> None:
    entries = {
        m.name: {
            "matrix_id": m.matrix_id,
            "release": release,
            "probabilities": m.probabilities.tolist(),
        }
        for m in motifs
    }
    write_json(path, entries)


def read_motifs(path: Path) -> dict[str, Motif]:
    """name -> Motif, as `write_motifs` wrote them."""
    entries = json.loads(Path(path).read_text())
    return {
        name: Motif(name, entry["matrix_id"], np.array(entry["probabilities"]))
        for name, entry in entries.items()
    }


def consensus(pwm: np.ndarray) -> str:
    """The most probable base at each position (ties: first in A C G T)."""
    matrix = np.asarray(pwm)
    check_pwm(matrix, "pwm")
    return decode_bases(matrix.argmax(axis=1))


def information_content(pwm: np.ndarray) -> np.ndarray:
    """(width,) bits per position: 2 minus the entropy of the (normalised) row."""
    matrix = np.asarray(pwm, dtype=np.float64)
    check_pwm(matrix, "pwm")
    if (matrix < 0).any() or (matrix.sum(axis=1) <= 0).any():
        raise InputError("pwm rows must be non-negative with a positive sum")
    p = matrix / matrix.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p), 0.0)  # 0 log 0 = 0
    return 2.0 + terms.sum(axis=1)


def check_pwm(matrix: np.ndarray, what: str) -> None:
    if matrix.ndim != 2 or matrix.shape[1] != 4 or matrix.shape[0] < 1:
        raise InputError(f"{what}: expected a (length, 4) matrix (A C G T), got {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise InputError(f"{what}: matrix contains NaN or infinite values")
