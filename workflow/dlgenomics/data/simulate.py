"""Simulated multi-task binding data: a first motif, a second, and their composite at a fixed
spacing, planted in a shuffled or random background from real JASPAR matrices, deterministic
from one seed, the planted sites recorded as ground truth (the `simulate` rule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError

# Counts added to every base of a JASPAR matrix before normalising (see `jaspar_motif`).
from dlgenomics.data.motifs import (
    Motif,
    dinucleotide_shuffle,
    jaspar_motif,
    sample_indices,
    write_motifs,
)
from dlgenomics.data.nucleotides import base_indices, decode_bases
from dlgenomics.files import atomic_path

BACKGROUNDS = ("random", "dinucleotide_shuffle")
COMPOSITE = "composite"  # the class, and label, of both sites at exactly the set spacing
CLASSES = ("first", "second", "both", COMPOSITE)


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
    site = sample_indices(motif.probabilities, rng)
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
