"""Transcription-factor motifs: simulate binding data from them, and find them in attributions.

Two jobs. (1) Simulate a multi-task binding dataset (first motif, second motif, and their
composite at a fixed spacing) from real JASPAR matrices, deterministic from one seed, with the
planted sites recorded as ground truth. (2) Turn a trained model's per-position attributions into
a position weight matrix (PWM) and score it against a known motif, by column correlation and by
how many consensus letters it gets right, on both strands; or, with no motif known, find its
closest matrices in the JASPAR CORE database (`best_matches`).

Matrices are (length, 4) float arrays of probabilities, columns in the order A, C, G, T.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.nucleotides import DNA, base_indices, decode_bases
from dlgenomics.files import atomic_path, write_json

# Counts added to every base of a JASPAR matrix before normalising (see `jaspar_motif`).
JASPAR_PSEUDOCOUNT = 0.01
WINDOW_PSEUDOCOUNT = 0.5  # per base, when windows of a sequence set are counted into a PWM
ALIGN_SHIFT = 3  # bases a window of top attribution may move when windows are aligned
# A recovered matrix's flanking columns below this many bits are cut before database matching
# (see `best_matches`): background columns carry ~0.1 bit, a motif's columns ~1-2.
TRIM_BITS = 0.25
BACKGROUNDS = ("random", "dinucleotide_shuffle")
COMPOSITE = "composite"  # the class, and label, of both sites at exactly the set spacing
CLASSES = ("first", "second", "both", COMPOSITE)


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
        _check_pwm(matrix, f"motif {self.name!r}")
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
    _check_pwm(matrix, "pwm")
    # Columns A C G T reversed are T G C A: exactly the complement of each column.
    return matrix[::-1, ::-1].copy()


def _sample_indices(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One base index per row of `probabilities`, drawn from that row."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities)) * cumulative[:, -1]
    return np.minimum((draws[:, None] >= cumulative).sum(axis=1), 3)


def sample_instance(motif: Motif, rng: np.random.Generator) -> str:
    """One site of `motif`: a base per position drawn from that position's probabilities."""
    return decode_bases(_sample_indices(motif.probabilities, rng))


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


@dataclass(frozen=True)
class SimulationSettings:
    """How `simulate_binding` builds its rows (see there)."""

    rows: int = 4000
    length: int = 200
    spacing: int = 8  # the composite: second site starts `spacing` nt after the first ends
    background: str = "dinucleotide_shuffle"  # | "random" (iid, gc_content)
    gc_content: float = 0.41
    noise: float = 0.0  # probability of flipping each label
    both_strands: bool = True  # each site on a random strand
    seed: int = 0
    # Shares of the rows per class; the rest carry no site. "both": both motifs at independent
    # non-overlapping positions (never at the composite spacing); "composite": at exactly it.
    fractions: dict[str, float] = field(
        default_factory=lambda: {"first": 0.2, "second": 0.2, "both": 0.15, "composite": 0.15}
    )


def _validate_settings(first: Motif, second: Motif, settings: SimulationSettings) -> None:
    where = "simulation settings"
    names = {first.name, second.name}
    if len(names) < 2 or COMPOSITE in names or not all(n.isidentifier() for n in names):
        raise InputError(
            f"{where}: motif names {first.name!r}, {second.name!r} must be distinct identifiers "
            "other than 'composite' (they name the label columns)"
        )
    if settings.rows < 1:
        raise InputError(f"{where}: rows must be at least 1, got {settings.rows}")
    if settings.spacing < 0:
        raise InputError(f"{where}: spacing must be >= 0, got {settings.spacing}")
    needed = first.length + settings.spacing + second.length
    if settings.length < needed:
        raise InputError(
            f"{where}: length {settings.length} is too short to hold the composite "
            f"({first.length} + spacing {settings.spacing} + {second.length}); use >= {needed}"
        )
    if settings.background not in BACKGROUNDS:
        raise InputError(
            f"{where}: unknown background {settings.background!r} (use {' or '.join(BACKGROUNDS)})"
        )
    if not 0.0 <= settings.gc_content <= 1.0:
        raise InputError(f"{where}: gc_content must be in [0, 1], got {settings.gc_content}")
    if not 0.0 <= settings.noise <= 0.5:
        raise InputError(f"{where}: noise must be in [0, 0.5], got {settings.noise}")
    unknown = sorted(set(settings.fractions) - set(CLASSES))
    if unknown:
        raise InputError(f"{where}: unknown fractions {unknown} (known: {', '.join(CLASSES)})")
    if any(not 0.0 <= share <= 1.0 for share in settings.fractions.values()):
        raise InputError(f"{where}: fractions must each be in [0, 1], got {settings.fractions}")
    total = sum(settings.fractions.values())
    if total > 1.0 + 1e-9:
        raise InputError(f"{where}: fractions sum to {total:g}, over 1; lower them")


def _pairs(width_a: int, width_b: int, length: int, forbidden_gap: int | None) -> np.ndarray:
    """All (start_a, start_b) of two non-overlapping sites in `length`, optionally excluding
    site b starting exactly `forbidden_gap` nt after site a ends."""
    a, b = np.meshgrid(np.arange(length - width_a + 1), np.arange(length - width_b + 1))
    a, b = a.ravel(), b.ravel()
    keep = (b >= a + width_a) | (a >= b + width_b)
    if forbidden_gap is not None:
        keep &= b != a + width_a + forbidden_gap
    return np.stack([a[keep], b[keep]], axis=1)


def simulate_binding(first: Motif, second: Motif, settings: SimulationSettings) -> pd.DataFrame:
    """A multi-task binding table: columns row_id, sequence, label_<first.name>,
    label_<second.name>, label_composite (0/1 after label noise) and sites.

    `sites` is the truth for interpretation tests: "name:strand:start" (0-based start on the
    given sequence; a "-" site reads as the motif after reverse-complementing) joined by ";", ""
    for rows without sites. Labels say whether the row has a first-motif site, a second-motif
    site, and whether it is of the composite class; label noise flips each label independently
    with probability `noise` and is drawn last, so sequences do not depend on it.

    Background "dinucleotide_shuffle": every row's non-site bases are a dinucleotide shuffle of
    a random sequence into which sampled instances of the motifs the row does *not* carry were
    written. Every row therefore holds, in expectation, the same base and dinucleotide
    composition (background plus one instance of each motif), while only the planted sites are
    intact motifs, so classes cannot be told apart by composition alone. Sites are inserted
    among the background bases (they never overlap each other).

    Deterministic: one np.random.default_rng(settings.seed) drives everything in a fixed order
    (class order, then row by row: strands, positions, sites, background; then label noise).
    """
    _validate_settings(first, second, settings)
    rng = np.random.default_rng(settings.seed)
    motifs = (first, second)
    gc = settings.gc_content
    base_probabilities = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    classes = _shuffled_classes(settings.rows, settings.fractions, rng)
    # Every placement of the two sites for the "both" class, so each is drawn in one step.
    both_pairs = _pairs(first.length, second.length, settings.length, settings.spacing)
    rows = [
        _simulate_row(kind, motifs, settings, both_pairs, base_probabilities, rng)
        for kind in classes
    ]
    sequences, sites, carried = (list(column) for column in zip(*rows, strict=True))

    has_first = np.array([0 in motifs_carried for motifs_carried in carried], dtype=np.int64)
    has_second = np.array([1 in motifs_carried for motifs_carried in carried], dtype=np.int64)
    labels = np.stack([has_first, has_second, (classes == COMPOSITE).astype(np.int64)], axis=1)
    flips = rng.random(labels.shape) < settings.noise  # drawn even at 0: same stream either way
    labels = np.where(flips, 1 - labels, labels)
    return pd.DataFrame(
        {
            "row_id": [str(i) for i in range(1, settings.rows + 1)],
            "sequence": sequences,
            f"label_{first.name}": labels[:, 0],
            f"label_{second.name}": labels[:, 1],
            f"label_{COMPOSITE}": labels[:, 2],
            "sites": sites,
        }
    )


# The motifs (0: first, 1: second) a row of each class carries.
_CARRIED: dict[str, tuple[int, ...]] = {
    "first": (0,),
    "second": (1,),
    "both": (0, 1),
    "composite": (0, 1),
    "none": (),
}


def _shuffled_classes(
    rows: int, fractions: Mapping[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Each row's class: exact class sizes (floor of share × rows), the rest "none", in a
    random row order (one permutation drawn)."""
    classes = np.full(rows, "none", dtype=object)
    start = 0
    for name in CLASSES:
        size = int(np.floor(fractions.get(name, 0.0) * rows + 1e-9))
        classes[start : start + size] = name
        start += size
    return classes[rng.permutation(rows)]


def _simulate_row(
    kind: str,
    motifs: tuple[Motif, Motif],
    settings: SimulationSettings,
    both_pairs: np.ndarray,
    base_probabilities: np.ndarray,
    rng: np.random.Generator,
) -> tuple[str, str, tuple[int, ...]]:
    """One row of class `kind`: its sequence, its `sites` entry, and the motifs it carries.

    Draws, in this order: strands, site positions, the sites themselves, then the background.
    """
    carried = _CARRIED[kind]
    strands = _strands(len(carried), settings.both_strands, rng)
    starts = _site_starts(kind, motifs, settings, both_pairs, rng)
    planted = [
        _oriented_site(motifs[m], strand, rng) for m, strand in zip(carried, strands, strict=True)
    ]
    site_length = sum(len(site) for site in planted)
    background = rng.choice(4, size=settings.length - site_length, p=base_probabilities)
    if settings.background == "dinucleotide_shuffle":
        missing = [m for m in (0, 1) if m not in carried]
        background = _composition_matched(background, missing, motifs, settings, rng)
    sequence = _insert_sites(background, planted, starts, settings.length)
    sites = ";".join(
        f"{motifs[m].name}:{strand}:{s}"
        for m, strand, s in sorted(
            zip(carried, strands, starts, strict=True), key=lambda site: site[2]
        )
    )
    return sequence, sites, carried


def _site_starts(
    kind: str,
    motifs: tuple[Motif, Motif],
    settings: SimulationSettings,
    both_pairs: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """Where the sites of a row of class `kind` start, in the order its motifs are carried:
    one uniform draw whatever the class (none for "none")."""
    first, second = motifs
    length = settings.length
    if kind == "first":
        return [int(rng.integers(length - first.length + 1))]
    if kind == "second":
        return [int(rng.integers(length - second.length + 1))]
    if kind == "both":
        return [int(s) for s in both_pairs[rng.integers(len(both_pairs))]]
    if kind == "composite":
        composite_span = first.length + settings.spacing + second.length
        begin = int(rng.integers(length - composite_span + 1))
        return [begin, begin + first.length + settings.spacing]
    return []


def _strands(count: int, both_strands: bool, rng: np.random.Generator) -> list[str]:
    if not both_strands:
        return ["+"] * count
    return ["+" if flip else "-" for flip in rng.random(count) < 0.5]


def _oriented_site(motif: Motif, strand: str, rng: np.random.Generator) -> np.ndarray:
    """Base indices of a sampled site as it reads on the forward strand."""
    site = _sample_indices(motif.probabilities, rng)
    return 3 - site[::-1] if strand == "-" else site  # index 3 - i is the complement of i


def _composition_matched(
    background: np.ndarray,
    missing: list[int],
    motifs: tuple[Motif, Motif],
    settings: SimulationSettings,
    rng: np.random.Generator,
) -> np.ndarray:
    """`background` with instances of the `missing` motifs written in, dinucleotide-shuffled."""
    bases = background.copy()
    widths = [motifs[m].length for m in missing]
    if len(missing) == 2:
        pairs = _pairs(widths[0], widths[1], len(bases), None)
        starts = [int(s) for s in pairs[rng.integers(len(pairs))]]
    elif len(missing) == 1:
        starts = [int(rng.integers(len(bases) - widths[0] + 1))]
    else:
        starts = []
    strands = _strands(len(missing), settings.both_strands, rng)
    for m, strand, s in zip(missing, strands, starts, strict=True):
        bases[s : s + motifs[m].length] = _oriented_site(motifs[m], strand, rng)
    shuffled = dinucleotide_shuffle(decode_bases(bases), rng)
    return base_indices(shuffled)


def _insert_sites(
    background: np.ndarray, sites: list[np.ndarray], starts: list[int], length: int
) -> str:
    """The background bases in order, with each site occupying [start, start + len)."""
    sequence = np.full(length, -1, dtype=np.int64)
    for site, s in zip(sites, starts, strict=True):
        sequence[s : s + len(site)] = site
    free = sequence < 0
    sequence[free] = background
    return decode_bases(sequence)


def top_windows(attribution: np.ndarray, width: int) -> np.ndarray:
    """(n,) start of the `width`-wide window with the largest summed attribution in each row
    of `attribution` (n, L); ties go to the leftmost window."""
    scores = np.asarray(attribution, dtype=np.float64)
    if scores.ndim != 2:
        raise InputError(f"attribution must be (rows, positions), got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise InputError("attribution contains NaN or infinite values; fix the attribution run")
    if not 1 <= width <= scores.shape[1]:
        raise InputError(f"window width {width} must be between 1 and the length {scores.shape[1]}")
    # Each window summed on its own (not cumulative differences) so equal windows tie exactly.
    sums = np.lib.stride_tricks.sliding_window_view(scores, width, axis=1).sum(axis=2)
    return sums.argmax(axis=1)  # argmax returns the first maximum: the leftmost


def pwm_from_windows(
    one_hot_sequences: np.ndarray,
    starts: np.ndarray,
    width: int,
    weights: np.ndarray | None = None,
    pseudocount: float = WINDOW_PSEUDOCOUNT,
) -> np.ndarray:
    """(width, 4) probabilities: (weighted) base counts over the windows [start, start + width)
    of each one-hot sequence, plus `pseudocount` per base, each row normalised."""
    x = np.asarray(one_hot_sequences, dtype=np.float64)
    starts = np.asarray(starts)
    if x.ndim != 3 or x.shape[2] != 4:
        raise InputError(f"one-hot sequences must be (rows, length, 4), got shape {x.shape}")
    if starts.shape != (x.shape[0],) or (starts.size and starts.dtype.kind not in "iu"):
        raise InputError(f"starts must be {x.shape[0]} integers (one per row), got {starts.shape}")
    if width < 1:
        raise InputError(f"window width must be at least 1, got {width}")
    if starts.size and (starts.min() < 0 or starts.max() + width > x.shape[1]):
        raise InputError(
            f"windows of width {width} must lie inside the sequences (length {x.shape[1]}); "
            f"starts range {starts.min()}..{starts.max()}"
        )
    if weights is None:
        weights = np.ones(x.shape[0])
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (x.shape[0],) or (weights < 0).any() or not np.isfinite(weights).all():
        raise InputError(f"weights must be {x.shape[0]} finite non-negative numbers")
    if pseudocount < 0:
        raise InputError(f"pseudocount must be >= 0, got {pseudocount}")
    positions = starts[:, None] + np.arange(width)
    windows = x[np.arange(x.shape[0])[:, None], positions]  # (n, width, 4)
    counts = np.einsum("n,nwk->wk", weights, windows) + pseudocount
    totals = counts.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise InputError(
            "no bases to count (all weights zero and pseudocount 0); add a pseudocount"
        )
    return counts / totals


def consensus(pwm: np.ndarray) -> str:
    """The most probable base at each position (ties: first in A C G T)."""
    matrix = np.asarray(pwm)
    _check_pwm(matrix, "pwm")
    return decode_bases(matrix.argmax(axis=1))


def information_content(pwm: np.ndarray) -> np.ndarray:
    """(width,) bits per position: 2 minus the entropy of the (normalised) row."""
    matrix = np.asarray(pwm, dtype=np.float64)
    _check_pwm(matrix, "pwm")
    if (matrix < 0).any() or (matrix.sum(axis=1) <= 0).any():
        raise InputError("pwm rows must be non-negative with a positive sum")
    p = matrix / matrix.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p), 0.0)  # 0 log 0 = 0
    return 2.0 + terms.sum(axis=1)


def _check_pwm(matrix: np.ndarray, what: str) -> None:
    if matrix.ndim != 2 or matrix.shape[1] != 4 or matrix.shape[0] < 1:
        raise InputError(f"{what}: expected a (length, 4) matrix (A C G T), got {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise InputError(f"{what}: matrix contains NaN or infinite values")


def _row_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of `a` with the same row of `b` (0 if either is flat)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    norms = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norms > 1e-12, (a * b).sum(axis=1) / norms, 0.0)


def _placements(found: np.ndarray, known: np.ndarray) -> list[dict]:
    """Every full-containment placement of the shorter matrix in the longer, `found` on both
    strands, in a fixed order (+ first, offsets ascending) so ties resolve the same way."""
    found = np.asarray(found, dtype=np.float64)
    known = np.asarray(known, dtype=np.float64)
    _check_pwm(found, "found matrix")
    _check_pwm(known, "known matrix")
    known_letters = consensus(known)
    result = []
    for strand, oriented in (("+", found), ("-", reverse_complement_pwm(found))):
        short, long_ = (oriented, known) if len(oriented) <= len(known) else (known, oriented)
        width = len(short)
        for offset in range(len(long_) - width + 1):
            window = long_[offset : offset + width]
            correlation = float(_row_correlations(short, window).mean())
            if len(oriented) <= len(known):  # found inside known: the rest of known is unmatched
                found_letters = "-" * offset + consensus(oriented)
                found_letters += "-" * (len(known) - len(found_letters))
            else:
                found_letters = consensus(window)
            matches = sum(f == k for f, k in zip(found_letters, known_letters, strict=True))
            result.append(
                {
                    "offset": offset,
                    "strand": strand,
                    "correlation": correlation,
                    "overlap": width,
                    "matches": matches,
                    "found_consensus": found_letters,
                    "known_consensus": known_letters,
                }
            )
    return result


def align(found: np.ndarray, known: np.ndarray) -> dict:
    """Best placement of the shorter matrix inside the longer, `found` on both strands, by the
    mean Pearson correlation of aligned positions.

    Returns {"offset": start of the shorter inside the longer (in `found`'s reverse complement
    when strand is "-" and `found` is the longer), "strand": "+" or "-" (whether `found` was
    reverse-complemented), "correlation", "overlap": positions compared}. Full containment only,
    so a short window cannot score well by overlapping two columns. Ties: "+" and leftmost.
    """
    best = max(_placements(found, known), key=lambda p: p["correlation"])  # max keeps the first
    return {key: best[key] for key in ("offset", "strand", "correlation", "overlap")}


def consensus_matches(found: np.ndarray, known: np.ndarray) -> dict:
    """How many letters of the known consensus the found consensus matches at the best placement
    (placements as in `align`; most matches, ties by correlation, then "+" and leftmost).

    Returns {"matches", "length": known length, "offset", "strand", "found_consensus",
    "known_consensus"}. The two consensus strings line up letter by letter: known's is whole,
    found's is the aligned part on the chosen strand, "-" where a shorter found does not reach.
    """
    best = max(_placements(found, known), key=lambda p: (p["matches"], p["correlation"]))
    return {
        "matches": best["matches"],
        "length": len(best["known_consensus"]),
        "offset": best["offset"],
        "strand": best["strand"],
        "found_consensus": best["found_consensus"],
        "known_consensus": best["known_consensus"],
    }


def motif_similarity(found: np.ndarray, known: Motif) -> dict:
    """What the pipeline reports for a recovered matrix against a known motif (JSON-ready):
    correlation from `align`; matches, both consensus strings, offset and strand from
    `consensus_matches` (so the strings shown are the ones counted)."""
    aligned = align(found, known.probabilities)
    matched = consensus_matches(found, known.probabilities)
    return {
        "known": known.name,
        "matrix_id": known.matrix_id,
        "known_consensus": matched["known_consensus"],
        "found_consensus": matched["found_consensus"],
        "matches": int(matched["matches"]),
        "length": int(matched["length"]),
        "correlation": float(aligned["correlation"]),
        "offset": int(matched["offset"]),
        "strand": str(matched["strand"]),
    }


def trimmed(pwm: np.ndarray, bits: float = TRIM_BITS) -> tuple[int, int]:
    """(start, stop) of `pwm` without its flanking columns under `bits` of information; the
    whole matrix when no column reaches it."""
    informative = np.flatnonzero(information_content(pwm) >= bits)
    if informative.size == 0:
        return 0, len(pwm)
    return int(informative[0]), int(informative[-1]) + 1


def best_matches(found: np.ndarray, database: Sequence[Motif], top: int = 5) -> list[dict]:
    """The `top` database motifs most like the recovered matrix `found`, best first (ties: in
    database order), each {"matrix_id", "name", "family", "similarity", "strand", "offset"}.

    Score (Tomtom-like placement, correlation of whole matrices): `found` is first cut to its
    informative core (flanking columns under TRIM_BITS bits, `trimmed`). For each database
    motif, both strands of the core and every offset at which the two overlap by at least one
    column, the similarity is the Pearson correlation of the two matrices' probabilities, each
    padded with uniform columns (0.25) to span the other's overhang: with centred columns
    a = p - 0.25, the sum over aligned columns of a_found · a_db divided by the norms of the
    whole centred matrices. So it lies in [-1, 1]; 1 means the same matrix (up to the found
    core's trimmed flanks); a database motif covering only part of the core, or whose
    informative columns overhang it, loses what it does not match; near-uniform columns on
    either side barely count. (Averaging per-column correlations instead weighs a near-uniform
    column like a sharp one and lets a short motif match a few columns of anything by chance:
    on sampled JASPAR matrices it ranked the source first half as often.)

    "strand": "-" when `found` was reverse-complemented to match; "offset": where the database
    motif starts in `found` (on that strand, untrimmed coordinates), negative when it starts
    before `found`'s first column. Vectorised: ~900 matrices take milliseconds.
    """
    pwm = np.asarray(found, dtype=np.float64)
    _check_pwm(pwm, "found matrix")
    if top < 1:
        raise InputError(f"best_matches: top must be at least 1, got {top}")
    if not database:
        raise InputError("best_matches: the motif database is empty")
    start, stop = trimmed(pwm)
    width = stop - start
    longest = max(motif.length for motif in database)
    # Database matrices centred and zero-padded (= uniform) by width - 1 columns each side, so
    # that every window of `width` is one placement of the core: window w puts the core's first
    # column on database column w - (width - 1).
    stacked = np.zeros((len(database), longest + 2 * (width - 1), 4))
    for i, motif in enumerate(database):
        stacked[i, width - 1 : width - 1 + motif.length] = motif.probabilities - 0.25
    norms = np.sqrt((stacked**2).sum(axis=(1, 2)))
    windows = np.lib.stride_tricks.sliding_window_view(stacked, width, axis=1)  # (n, w, 4, width)
    starts = {"+": start, "-": len(pwm) - stop}  # the core's first column on each strand
    scores = []
    for strand, oriented in (("+", pwm), ("-", reverse_complement_pwm(pwm))):
        core = oriented[starts[strand] : starts[strand] + width] - 0.25
        dots = np.einsum("nwkc,ck->nw", windows, core)
        with np.errstate(divide="ignore", invalid="ignore"):  # a uniform matrix has no norm
            scores.append(dots / (np.sqrt((core**2).sum()) * norms[:, None]))
    scores = np.nan_to_num(np.stack(scores, axis=1))  # (n, strand, window)
    flat = scores.reshape(len(database), -1)
    best = flat.argmax(axis=1)  # the first maximum: "+" strand first
    similarity = flat[np.arange(len(database)), best]
    result = []
    for i in np.argsort(-similarity, kind="stable")[:top]:
        strand, window = divmod(int(best[i]), scores.shape[2])
        name = "+-"[strand]
        motif = database[i]
        result.append(
            {
                "matrix_id": motif.matrix_id,
                "name": motif.name,
                "family": motif.family,
                "similarity": float(similarity[i]),
                "strand": name,
                "offset": starts[name] + width - 1 - window,
            }
        )
    return result


def recover_motif(
    sequences_one_hot: np.ndarray,
    attribution: np.ndarray,
    width: int,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """The motif a model learned, as a (width + 2·ALIGN_SHIFT, 4) PWM.

    In each chosen row (`rows`: indices or a boolean mask; default all), take the `width`-wide
    window with the highest summed attribution (`attribution` (n, L), e.g. gradient × input
    summed over bases), align the windows on their attributions (`refine_windows`) and stack
    them, each weighted by its summed attribution (negative sums weigh 0; if none is positive,
    all weigh the same).
    """
    x = np.asarray(sequences_one_hot)
    scores = np.asarray(attribution, dtype=np.float64)
    if x.ndim != 3 or scores.shape != x.shape[:2]:
        raise InputError(
            f"attribution shape {scores.shape} must be (rows, length) of the one-hot sequences "
            f"{x.shape}"
        )
    if rows is not None:
        chosen = np.asarray(rows)
        if chosen.dtype == bool and chosen.shape != (x.shape[0],):
            raise InputError(
                f"boolean rows mask must have {x.shape[0]} entries, got {chosen.shape}"
            )
        x, scores = x[chosen], scores[chosen]
    if x.shape[0] == 0:
        raise InputError("no rows chosen to recover a motif from; choose at least one row")
    starts = top_windows(scores, width)
    window_sums = scores[np.arange(len(starts))[:, None], starts[:, None] + np.arange(width)]
    weights = np.clip(window_sums.sum(axis=1), 0.0, None)
    if not (weights > 0).any():
        # A model that learned nothing for this output: its top windows, equally weighted, so
        # the similarity reported (near chance) says so instead of the step failing.
        weights = np.ones(len(starts))
    # Attribution units are arbitrary; rescale so a contributing row weighs 1 on average and the
    # pseudocount means the same whatever the scale of the attributions.
    weights *= (weights > 0).sum() / weights.sum()
    return refine_windows(x, x * scores[:, :, None], starts, width, weights)


def refine_windows(
    sequences_one_hot: np.ndarray,
    contributions: np.ndarray,
    starts: np.ndarray,
    width: int,
    weights: np.ndarray,
    shift: int = ALIGN_SHIFT,
    rounds: int = 5,
) -> np.ndarray:
    """The PWM of the windows after aligning them on what the model attributes, `width` +
    2·`shift` wide.

    Sites sit on either strand and the top window of an attribution map may be off by a few
    bases, so averaging the raw windows blurs the motif with its reverse complement and with
    shifted copies. Each window is moved by at most `shift`, onto the strand, where its
    contributions (`contributions` (n, L, 4): attribution at the base present) correlate best
    with their weighted mean, which is then recomputed (a few rounds, as TF-MoDISco aligns
    seqlets). The attributions, not the sequences, decide: an untrained model's windows stay
    noise however often a motif occurs in the rows. The sequences of the aligned windows, counted
    `shift` bases wider each side (past a sequence's end counts as nothing), make the PWM, so a
    motif the alignment moved is still whole in it."""
    x = np.asarray(sequences_one_hot, dtype=np.float64)
    n_rows, length = x.shape[:2]
    offsets = np.arange(-shift, shift + 1)
    candidates = np.clip(starts[:, None] + offsets, 0, length - width)  # (n, 2·shift + 1)
    positions = candidates[:, :, None] + np.arange(width)
    rows = np.arange(n_rows)[:, None, None]
    forward = np.asarray(contributions, dtype=np.float64)[rows, positions]  # (n, c, width, 4)
    both = np.concatenate([forward, forward[:, :, ::-1, ::-1]], axis=1)  # reverse complements
    best = np.full(n_rows, shift)  # where the attribution put each window, forward
    for _ in range(rounds):
        template = np.einsum("n,nwk->wk", weights, both[np.arange(n_rows), best])
        updated = np.einsum("ncwk,wk->nc", both, template).argmax(axis=1)
        if np.array_equal(updated, best):
            break
        best = updated
    is_reverse = best >= len(offsets)
    chosen = candidates[np.arange(n_rows), best % len(offsets)]
    padded = np.pad(x, ((0, 0), (shift, shift), (0, 0)))  # zero rows: no base to count
    wide = padded[np.arange(n_rows)[:, None], chosen[:, None] + np.arange(width + 2 * shift)]
    wide[is_reverse] = wide[is_reverse, ::-1, ::-1]
    counts = np.einsum("n,nwk->wk", weights, wide) + WINDOW_PSEUDOCOUNT
    return counts / counts.sum(axis=1, keepdims=True)


# --- The `simulate` rule: a task's `simulate` settings -> sequences.csv and motifs.json -------


def simulate_task(
    config: Mapping[str, Any], out_sequences: Path, out_motifs: Path
) -> dict[str, Any]:
    """Simulate a `simulated_binding` task from its `simulate` settings (config schema): the
    table (`simulate_binding`) and the two matrices used, the truth interpretation is scored
    against. Returns the rows per label for the log."""
    release = config.get("jaspar_release", "JASPAR2024")
    first, second = (
        jaspar_motif(name, matrix_id, release) for name, matrix_id in config["motifs"].items()
    )
    fields = set(SimulationSettings.__dataclass_fields__)
    settings = SimulationSettings(**{k: v for k, v in config.items() if k in fields})
    table = simulate_binding(first, second, settings)
    with atomic_path(out_sequences) as tmp:
        table.to_csv(tmp, index=False)
    write_motifs([first, second], out_motifs, release)
    return {c: int(table[c].sum()) for c in table.columns if c.startswith("label_")}


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
