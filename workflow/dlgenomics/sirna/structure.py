"""RNA secondary-structure features of siRNAs and their target sites, computed with ViennaRNA.

Two families, both with ViennaRNA's Turner 2004 nearest-neighbour parameters at 37 °C (its
default set, loaded explicitly on every public call so that a parameter file loaded elsewhere in
the process cannot change the features; model details are set field by field, not inherited):

- Target-site accessibility (`site_accessibility`): how likely the mRNA around the site is
  single-stranded, from a local partition function (RNAplfold: window `-W`, span `-L`, unpaired
  stretches `-u`). A guide can only pair with nucleotides the mRNA does not pair itself, so
  low accessibility is known to lower knock-down (Tafer et al. 2008, Nat Biotechnol 26:578).
- Strand energies (`strand_energies`): each strand's own folding (a structured guide or
  passenger loads poorly), the free energy of the 19-bp core duplex, and the stability of its two
  ends, whose difference decides which strand enters RISC (Khvorova 2003, Schwarz 2003).

Conventions are those of `rules` (read its docstring): guide (antisense) 5'→3', RNA or DNA
letters in any case, T read as U, duplex core = guide positions 1–19. On the mRNA the site is 19
nt from 0-based `position` (`target_site.locate_sites`, -1 = none); guide position k pairs with
site index 19 − k, so the seed (guide 2–8) covers site indices 11..17.

ViennaRNA API choices, checked against exact answers (tests/test_structure.py):
- Unpaired probabilities come from `fold_compound(seq, md, OPTION_WINDOW).probs_window(u,
  PROBS_WINDOW_UP, callback)`. `RNA.pfl_fold_up` returns the same numbers but only with the
  process-wide default model (no `md` argument), reports 0 instead of "undefined" for stretches
  that would start before the sequence, and its docstring says "starting at" where the values are
  for the stretch *ending* at the position (as RNAplfold's _lunp file). With the window covering
  the whole sequence both match P(stretch unpaired) from a global partition function with the
  stretch constrained unpaired, to < 1e-5. Two limits found by testing: asking for stretches
  longer than the sequence turns the full-length one to 0 (so the length asked is clipped to
  the sequence), and a stretch longer than the window comes back as NaN / -0.0 (so
  `max_length` ≤ window is required).
- The duplex is the fixed helix evaluated with `fold_compound("guide&partner").eval_structure`,
  not `RNA.duplexfold`: duplexfold returns the *optimal* hybrid, which may leave the terminal
  A·U pair open (it does for UUAAAAUUGCAGCUCCUUU), so it is not the helix's energy. The
  evaluation includes ViennaRNA's duplex initiation (4.1 kcal/mol) and terminal A·U/G·U
  penalties, so it is comparable with `rules.duplex_dg` (Xia 1998: 4.09 and 0.45).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import RNA

from dlgenomics.sirna.rules import CORE_LENGTH, reverse_complement
from dlgenomics.sirna.target_site import SITE_LENGTH

log = logging.getLogger(__name__)

ACCESSIBILITY_COLUMNS = ("access_site", "access_seed", "access_flank_5p", "access_flank_3p")
ENERGY_COLUMNS = (
    "guide_mfe",
    "passenger_mfe",
    "duplex_dg",
    "dg_guide_5p",
    "dg_sense_5p",
    "dg_asymmetry",
)
TEMPERATURE = 37.0  # °C
END_PAIRS = 4  # terminal base pairs per end, as rules.end_stability's default
SEED_SITE = (11, 18)  # site indices [11, 18) pair with guide positions 2–8 (the seed)

_TRANSCRIPT = re.compile(r"[ACGTUNacgtun]+")
_STRAND = re.compile(r"[ACGTUacgtu]+")
_CANONICAL = {"AU", "UA", "GC", "CG", "GU", "UG"}  # pairs ViennaRNA allows
_STRONG = {"GC", "CG"}  # pairs without a terminal A·U/G·U penalty


@dataclass(frozen=True)
class AccessibilitySettings:
    """RNAplfold settings of the local folding, and the flank averaged each side of the site."""

    window: int = 80  # RNAplfold -W: the folding window (nt)
    span: int = 40  # RNAplfold -L: longest base-pair span (nt)
    flank: int = 10  # nt each side of the site whose mean unpaired probability is reported

    def __post_init__(self) -> None:
        # The site's 19-nt stretch must fit in a window (see the module docstring).
        if self.window < SITE_LENGTH:
            raise ValueError(f"window must be >= {SITE_LENGTH} nt, not {self.window}")
        if not 1 <= self.span <= self.window:
            raise ValueError(f"span must be from 1 to window ({self.window}), not {self.span}")
        if self.flank < 0:
            raise ValueError(f"flank must be >= 0, not {self.flank}")


def model_details(window: int | None = None, span: int | None = None) -> RNA.md:
    """ViennaRNA model details used here: Turner 2004 parameters (loaded now), 37 °C, dangles
    on both sides (-d2), G·U pairs, lonely pairs and special hairpins allowed (ViennaRNA's
    defaults, set explicitly); `window`/`span` for local (RNAplfold) folding."""
    RNA.params_load_RNA_Turner2004()
    md = RNA.md()
    md.temperature = TEMPERATURE
    md.dangles = 2
    md.noGU = 0
    md.noLP = 0
    md.special_hp = 1
    if window is not None:
        md.window_size = window
    if span is not None:
        md.max_bp_span = span
    return md


# --- accessibility -------------------------------------------------------------------------------


def unpaired_probabilities(
    transcript: str,
    settings: AccessibilitySettings,
    max_length: int,
    model: RNA.md | None = None,
) -> np.ndarray:
    """RNAplfold's unpaired probabilities of one sequence, shape (len(transcript), max_length).

    [i, u - 1] is the probability that the u nt ending at 0-based position i are all unpaired,
    averaged over the windows that contain them (as RNAplfold -u); NaN where the stretch would
    start before position 0. Letters are read as RNA (T = U, any case); N never pairs. `model`:
    details from `model_details` to reuse (its window and span are set here).
    """
    if not 1 <= max_length <= settings.window:
        raise ValueError(
            f"max_length must be from 1 to the window ({settings.window}), not {max_length}"
        )
    sequence = transcript.upper().replace("T", "U")
    n = len(sequence)
    out = np.full((n, max_length), np.nan)
    if n == 0:
        return out
    md = model if model is not None else model_details()
    # As RNAplfold: the window shrinks to a shorter sequence, the span to the window.
    md.window_size = min(settings.window, n)
    md.max_bp_span = min(settings.span, md.window_size)
    ulength = min(max_length, n)  # longer: ViennaRNA reads the full-length stretch as 0

    def collect(values, size, i, _maxsize, what, _data) -> None:
        if what & RNA.PROBS_WINDOW_UP:  # values[0] is unused; values[u] is for length u
            out[i - 1, :size] = np.array(values[1 : size + 1], dtype=float)

    fc = RNA.fold_compound(sequence, md, RNA.OPTION_WINDOW)
    if not fc.probs_window(ulength, RNA.PROBS_WINDOW_UP, collect):
        raise RuntimeError(f"ViennaRNA probs_window failed on a {n}-nt sequence")
    return out


def site_accessibility(
    transcripts: pd.Series,
    positions: np.ndarray,
    settings: AccessibilitySettings,
) -> pd.DataFrame:
    """Accessibility of each row's 19-nt target site, columns ACCESSIBILITY_COLUMNS.

    access_site: P(all 19 site nt unpaired); access_seed: P(site indices 11..17, the seed's
    partners, all unpaired); access_flank_5p / _3p: mean single-nt unpaired probability of the
    `settings.flank` nt just upstream / downstream of the site, clipped at the transcript ends
    (NaN if none). NaN rows: no site (position -1 or NaN) or no transcript (NaN or empty).
    Rows pair `transcripts` and `positions` by order; the result has the index of `transcripts`.
    Each distinct transcript (after T→U and upper case) that holds a site is folded once.
    """
    starts = _site_starts(positions, len(transcripts))
    which, sequences = _distinct_transcripts(transcripts)
    out = np.full((len(transcripts), len(ACCESSIBILITY_COLUMNS)), np.nan)
    wanted = np.unique(which[(which >= 0) & (starts >= 0)])
    for t in wanted:
        rows = np.flatnonzero((which == t) & (starts >= 0))
        _check_sites(sequences[t], starts[rows], rows)
        up = _folded(sequences[t], settings)
        out[rows] = _site_columns(up, starts[rows], settings.flank)
    log.info(
        "folded %d distinct transcripts (%d nt) for %d sites on %d rows",
        len(wanted),
        sum(len(sequences[t]) for t in wanted),
        int(((starts >= 0) & (which >= 0)).sum()),
        len(transcripts),
    )
    return pd.DataFrame(out, index=transcripts.index, columns=list(ACCESSIBILITY_COLUMNS))


@functools.lru_cache(maxsize=128)
def _folded(sequence: str, settings: AccessibilitySettings) -> np.ndarray:
    """Unpaired probabilities of a whole transcript, kept for the process: the features rule
    reads training and test rows of the same few transcripts (the competition: 52, ~206 kb,
    ~20 s to fold), and each is folded once. Read-only: callers must not write into it."""
    up = unpaired_probabilities(sequence, settings, SITE_LENGTH, model=model_details())
    up.setflags(write=False)
    return up


def _site_starts(positions: np.ndarray, n_rows: int) -> np.ndarray:
    """Positions as int64, -1 where there is no site (-1 or NaN); other values are errors."""
    values = np.asarray(positions, dtype=float).reshape(-1)
    if len(values) != n_rows:
        raise ValueError(f"{n_rows} transcripts but {len(values)} positions")
    missing = np.isnan(values) | (values == -1)
    bad = ~missing & ((values < 0) | (values != np.round(values)))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {row + 1}: position {values[row]} is neither -1 nor a 0-based start")
    return np.where(missing, -1, values).astype(np.int64)


def _distinct_transcripts(transcripts: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Row -> index into the distinct normalised transcripts (-1 where missing or empty)."""
    raw_which, raw = pd.factorize(transcripts.astype(object), use_na_sentinel=True)
    normalised = []
    for k, text in enumerate(raw):
        if not (isinstance(text, str) and (text == "" or _TRANSCRIPT.fullmatch(text))):
            row = int(np.flatnonzero(raw_which == k)[0])
            raise ValueError(
                f"transcript row {row + 1}: {text!r:.60} is not a nucleotide "
                f"sequence (A, C, G, T/U, N)"
            )
        normalised.append(text.upper().replace("T", "U") if text else None)
    # Case and T/U variants of one transcript are folded once.
    merge, sequences = pd.factorize(pd.Series(normalised, dtype=object), use_na_sentinel=True)
    which = np.append(merge, -1)[raw_which]  # raw -1 (missing) picks the appended -1
    return which.astype(np.int64), list(sequences)


def _check_sites(sequence: str, starts: np.ndarray, rows: np.ndarray) -> None:
    last = len(sequence) - SITE_LENGTH
    beyond = starts > last
    if beyond.any():
        k = int(np.flatnonzero(beyond)[0])
        raise ValueError(
            f"row {rows[k] + 1}: position {starts[k]} is not the start of a "
            f"{SITE_LENGTH}-nt site on a {len(sequence)}-nt transcript"
        )


def _site_columns(up: np.ndarray, starts: np.ndarray, flank: int) -> np.ndarray:
    """The four accessibility columns of sites starting at `starts` on one folded transcript."""
    n = len(up)
    ends = starts + SITE_LENGTH  # exclusive
    site = up[ends - 1, SITE_LENGTH - 1]
    seed = up[starts + SEED_SITE[1] - 1, SEED_SITE[1] - SEED_SITE[0] - 1]
    single = np.concatenate([[0.0], np.cumsum(up[:, 0])])  # prefix sums of P(1 nt unpaired)
    lo, hi = np.maximum(starts - flank, 0), np.minimum(ends + flank, n)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty flank is 0/0 = NaN
        flank_5p = (single[starts] - single[lo]) / (starts - lo)
        flank_3p = (single[hi] - single[ends]) / (hi - ends)
    return np.column_stack([site, seed, flank_5p, flank_3p])


# --- strand energies -----------------------------------------------------------------------------


def strand_energies(guides: pd.Series, passengers: pd.Series | None = None) -> pd.DataFrame:
    """Folding and duplex free energies (kcal/mol, Turner 2004, 37 °C), columns ENERGY_COLUMNS.

    guide_mfe, passenger_mfe: MFE of each whole strand folded alone. duplex_dg: the 19-bp core
    duplex guide[:19] / its partner on the passenger, evaluated as a fixed helix, initiation
    included. dg_guide_5p, dg_sense_5p: the `END_PAIRS` terminal pairs at the guide 5' end
    (guide positions 1–4) and at the other end (sense positions 1–4), each evaluated by
    ViennaRNA as a 4-bp helix, minus the duplex initiation and minus the terminal A·U/G·U
    penalty of the helix's inner pair (not an end in the real duplex): stacks + the outer end's
    penalty, as `rules.end_stability`. dg_asymmetry = dg_guide_5p − dg_sense_5p (positive: the
    guide 5' end is less stable, which favours the guide for RISC loading).

    The partner is the passenger's 19-nt stretch opposite the core: where the passenger holds
    the core's exact reverse complement, that; otherwise the offset with most Watson–Crick
    matches, ties to the design's blunt guide 5' end (passenger 3' end opposite guide 1).
    Mismatched positions (anything but A·U, G·C, G·U) stay unpaired, so a designed mismatch
    weakens its end as ViennaRNA scores it. No passenger (None, or NaN/empty in a row): the
    core's reverse complement. Rows pair by order; the result has the index of `guides`.
    Each distinct (guide, passenger) pair, and each distinct strand's MFE, is computed once.
    """
    guide_text = _strands(guides, "guide", CORE_LENGTH, missing_ok=False)
    if passengers is None:
        passenger_text: list[str | None] = [None] * len(guide_text)
    elif len(passengers) != len(guides):
        raise ValueError(f"{len(guides)} guides but {len(passengers)} passengers")
    else:
        passenger_text = _strands(passengers, "passenger", 1, missing_ok=True)
    model = model_details()
    params = RNA.param(model)
    mfe: dict[str, float] = {}
    pairs: dict[tuple[str, str], tuple[float, ...]] = {}
    out = np.empty((len(guide_text), len(ENERGY_COLUMNS)))
    for row, (guide, given) in enumerate(zip(guide_text, passenger_text, strict=True)):
        passenger = given or reverse_complement(guide[:CORE_LENGTH])
        key = (guide, passenger)
        if key not in pairs:
            for strand in key:
                if strand not in mfe:
                    mfe[strand] = round(RNA.fold_compound(strand, model).mfe()[1], 2)
            duplex = _duplex_energies(guide[:CORE_LENGTH], passenger, model, params)
            pairs[key] = (mfe[guide], mfe[passenger], *duplex)
        out[row] = pairs[key]
    log.info(
        "strand energies of %d distinct guide/passenger pairs (%d rows)",
        len(pairs),
        len(guide_text),
    )
    return pd.DataFrame(out, index=guides.index, columns=list(ENERGY_COLUMNS))


def _strands(values: pd.Series, role: str, min_length: int, missing_ok: bool) -> list:
    """Strands as upper-case RNA; None for missing ones where `missing_ok`, else an error."""
    out = []
    for row, value in enumerate(values.to_numpy(dtype=object), start=1):
        if missing_ok and (value is None or value == "" or pd.isna(value)):
            out.append(None)
        elif isinstance(value, str) and _STRAND.fullmatch(value) and len(value) >= min_length:
            out.append(value.upper().replace("T", "U"))
        else:
            raise ValueError(
                f"{role} row {row}: {value!r} is not an RNA/DNA sequence (A, C, G, T/U) of at "
                f"least {min_length} nt"
            )
    return out


def _duplex_energies(core: str, passenger: str, model: RNA.md, params) -> tuple[float, ...]:
    """(duplex_dg, dg_guide_5p, dg_sense_5p, dg_asymmetry) of one core and its passenger."""
    partners = _partners(core, passenger)
    duplex = _helix(core, partners, model)
    if duplex is None:  # the passenger pairs nowhere on the core
        return (np.nan,) * 4
    init = params.DuplexInit / 100
    au_end = params.TerminalAU / 100

    def end(segment: slice, inner: int) -> float:
        energy = _helix(core[segment], partners[segment], model)
        if energy is None:  # no pair at this end: nothing holds it together
            return 0.0
        inner_pair = core[segment][inner] + (partners[segment][inner] or "")
        penalty = au_end if inner_pair in _CANONICAL - _STRONG else 0.0
        return round(energy - init - penalty, 2)

    guide_5p = end(slice(0, END_PAIRS), END_PAIRS - 1)
    sense_5p = end(slice(CORE_LENGTH - END_PAIRS, CORE_LENGTH), 0)
    return duplex, guide_5p, sense_5p, round(guide_5p - sense_5p, 2)


def _partners(core: str, passenger: str) -> list[str | None]:
    """The passenger nucleotide opposite each core position (None beyond the passenger)."""
    offset = _offset(core, passenger)
    out = []
    for k in range(CORE_LENGTH):
        j = offset + CORE_LENGTH - 1 - k  # guide position k + 1 faces passenger index j
        out.append(passenger[j] if 0 <= j < len(passenger) else None)
    return out


def _offset(core: str, passenger: str) -> int:
    """Start on the passenger of the 19-nt stretch opposite the core (may overhang its ends)."""
    expected = len(passenger) - CORE_LENGTH  # blunt guide 5' end: passenger 3' end faces it
    target = reverse_complement(core)
    exact = [m.start() for m in re.finditer(f"(?={target})", passenger)]
    if exact:
        return min(exact, key=lambda o: abs(o - expected))

    def matches(o: int) -> int:
        return sum(
            passenger[j] == target[j - o]
            for j in range(max(o, 0), min(o + CORE_LENGTH, len(passenger)))
        )

    offsets = range(1 - CORE_LENGTH, len(passenger))
    return max(offsets, key=lambda o: (matches(o), -abs(o - expected)))


def _helix(segment: str, partners: list[str | None], model: RNA.md) -> float | None:
    """ViennaRNA energy of `segment` paired with `partners` where they can pair (None: none)."""
    paired = [q is not None and g + q in _CANONICAL for g, q in zip(segment, partners, strict=True)]
    if not any(paired):
        return None
    # The partner strand 5'→3' runs opposite the segment; positions beyond it are absent.
    facing = [(q, p) for q, p in zip(reversed(partners), reversed(paired), strict=True) if q]
    sequence = segment + "&" + "".join(q for q, _ in facing)
    structure = "".join("(" if p else "." for p in paired) + "".join(
        ")" if p else "." for _, p in facing
    )
    return round(RNA.fold_compound(sequence, model).eval_structure(structure), 2)
