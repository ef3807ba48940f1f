"""Motifs in attributions: turn a trained model's per-position attributions into a position
weight matrix (PWM) and score it against a known motif, by column correlation and by how many
consensus letters it gets right, on both strands; or, with no motif known, find its closest
matrices in the JASPAR CORE database (`best_matches`).

Matrices are (length, 4) float arrays of probabilities, columns in the order A, C, G, T.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlgenomics import InputError

# Counts added to every base of a JASPAR matrix before normalising (see `jaspar_motif`).
from dlgenomics.data.motifs import (
    Motif,
    check_pwm,
    consensus,
    information_content,
    reverse_complement_pwm,
)

WINDOW_PSEUDOCOUNT = 0.5  # per base, when windows of a sequence set are counted into a PWM
ALIGN_SHIFT = 3  # bases a window of top attribution may move when windows are aligned
# A recovered matrix's flanking columns below this many bits are cut before database matching
# (see `best_matches`): background columns carry ~0.1 bit, a motif's columns ~1-2.
TRIM_BITS = 0.25


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
    check_pwm(found, "found matrix")
    check_pwm(known, "known matrix")
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
    check_pwm(pwm, "found matrix")
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
