"""Classic siRNA design rules and RNA nearest-neighbour thermodynamics, as numeric features.

Conventions. Every function takes the guide (antisense) strand 5'→3' as a string, RNA or DNA
letters in any case (T is read as U). Rules look only at the 19-nt duplex core, guide positions
1–19; a longer guide (21 paired nt + overhang, as in the competition) is cut to it. The passenger
(sense) core is `reverse_complement(guide[:19])`, so sense position i pairs with guide position
20 − i. Positions below are 1-based, as in the papers, and say which strand they are on: the papers
state most rules on the sense strand.

Sources (the facts; the code is ours):
- Reynolds et al. 2004, Nat Biotechnol 22:326, eight criteria on the sense 19-mer: G/C 30–52 %;
  one point per A/U at 15–19; no internal repeats (hairpin Tm < 20 °C); A at 19; A at 3; U at 10;
  −1 for G/C at 19; −1 for G at 13. The score is their sum (≥ 6 is the usual cut-off).
- Ui-Tei et al. 2004, NAR 32:936, class I siRNAs meet all four: A/U at the guide 5' end; G/C at
  the sense 5' end; at least five A/U in the 5'-terminal third of the guide (positions 1–7); no
  G/C stretch longer than 9 nt.
- Amarzguioui & Prydz 2004, BBRC 316:1050: A/U differential of the three terminal base pairs
  (sense 17–19 minus sense 1–3, counted as its value, −3…+3); +1 each for S1 (G/C at sense 1),
  A6, W19 (A/U at sense 19); −1 each for U1 and G19. The score is the sum.
- Xia et al. 1998, Biochemistry 37:14719: RNA Watson–Crick stacks, initiation 4.09 and terminal
  A·U penalty 0.45 kcal/mol (ΔG°37), with the matching ΔH°/ΔS° for the hairpin estimate. A 19-bp
  duplex of two different strands is never self-complementary (odd length), so the symmetry term
  never applies; a perfect Watson–Crick core has no G·U end to penalise.
- Khvorova et al. 2003 and Schwarz et al. 2003 (Cell 115): the strand whose 5' end is less stably
  paired enters RISC. We compare the ΔG°37 of the `pairs` terminal base pairs at each end.

Approximations:
- Reynolds' "internal repeats" criterion is an estimated hairpin Tm, not a folding program: every
  stem of ≥ 2 consecutive Watson–Crick pairs closing a loop of ≥ 3 nt within the 19-mer, Xia
  stacks + A·U penalty on the outer pair + Turner 2004 hairpin initiation (ΔG°37, ΔH° by loop
  length; no terminal-mismatch, special-loop or G·U terms), Tm = ΔH°/ΔS°, the highest over all
  stems, floored at 0 °C. Watson–Crick-only stems are the same on both strands, so the strand does
  not matter. No 2-bp stem reaches 20 °C (≤ 6 °C); a 4-bp stem can with a single G·C pair.
- Ui-Tei's "one-third" is read as guide positions 1–7 and the G/C stretch is sought in the core.
- Reynolds' A/U criterion ("at least 3 A/U at 15–19, one point each") scores the count 0–5.
- End stability = Xia stacks inside the terminal `pairs` pairs + the A·U penalty if the end pair
  is A·U, without dangling-end (overhang) terms; the two ends plus the middle stacks plus
  initiation add up to `duplex_dg`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dlgenomics.data.nucleotides import reverse_complement_rna

CORE_LENGTH = 19

_A, _C, _G, _U = 0, 1, 2, 3  # complement of code x is 3 - x; a Watson–Crick pair sums to 3
_CODE = np.full(256, -1, dtype=np.int8)
for _code, _letters in enumerate(("Aa", "Cc", "Gg", "UuTt")):
    for _letter in _letters:
        _CODE[ord(_letter)] = _code
_GUIDE = re.compile(rf"[ACGTUacgtu]{{{CORE_LENGTH},}}")
_LETTERS = re.compile(r"[ACGTUacgtu]*")

# Xia et al. 1998 Watson–Crick stacks keyed by the top strand 5'→3' (the bottom strand is its
# complement): ΔG°37 kcal/mol, ΔH° kcal/mol, ΔS° cal/(mol·K). "AG" is 5'AG/3'UC = 5'CU/3'GA.
_XIA = {
    "AA": (-0.93, -6.82, -19.0),
    "UU": (-0.93, -6.82, -19.0),
    "AU": (-1.10, -9.38, -26.7),
    "UA": (-1.33, -7.69, -20.5),
    "CU": (-2.08, -10.48, -27.1),
    "AG": (-2.08, -10.48, -27.1),
    "CA": (-2.11, -10.44, -26.9),
    "UG": (-2.11, -10.44, -26.9),
    "GU": (-2.24, -11.40, -29.5),
    "AC": (-2.24, -11.40, -29.5),
    "GA": (-2.35, -12.44, -32.5),
    "UC": (-2.35, -12.44, -32.5),
    "CG": (-2.36, -10.64, -26.7),
    "GC": (-3.42, -14.88, -36.9),
    "GG": (-3.26, -13.39, -32.7),
    "CC": (-3.26, -13.39, -32.7),
}
_STACK = np.zeros((3, 16))
for _pair, _values in _XIA.items():
    _STACK[:, 4 * "ACGU".index(_pair[0]) + "ACGU".index(_pair[1])] = _values
_STACK_DG, _STACK_DH, _STACK_DS = _STACK
_INIT_DG = 4.09
_AU_END_DG, _AU_END_DH, _AU_END_DS = 0.45, 3.72, 10.5
# Turner 2004 hairpin initiation by loop length 3..17 (ViennaRNA rna_turner2004.par).
_LOOP_DG = dict(
    zip(
        range(3, 18),
        (5.4, 5.6, 5.7, 5.4, 6.0, 5.5, 6.4, 6.5, 6.6, 6.7, 6.8, 6.9, 6.9, 7.0, 7.1),
        strict=True,
    )
)
_LOOP_DH = dict(zip(range(3, 18), (1.3, 4.8, 3.6, -2.9, 1.3, -2.9) + (5.0,) * 9, strict=True))
_T37 = 310.15
_REYNOLDS_MAX_TM = 20.0  # °C


def reverse_complement(seq: str) -> str:
    """Reverse complement as RNA (U), whatever the input letters or case."""
    return reverse_complement_rna(_normalise(seq))


def gc_content(seq: str) -> float:
    """Fraction of G and C, 0–1."""
    rna = _normalise(seq)
    if not rna:
        raise ValueError("sequence '' is empty: it has no G/C content")
    return (rna.count("G") + rna.count("C")) / len(rna)


def longest_gc_stretch(seq: str) -> int:
    """Length of the longest run of consecutive G/C."""
    runs = re.findall("[GC]+", _normalise(seq))
    return max(map(len, runs), default=0)


def reynolds_criteria(guide: str) -> dict[str, int]:
    """Points of each of Reynolds' eight criteria and `reynolds_score`, their sum (−2…10)."""
    codes = _one(guide)
    return _ints(_reynolds(codes, _hairpin_tm(codes)))


def ui_tei_conditions(guide: str) -> dict[str, int]:
    """Ui-Tei's four conditions (0/1) and `ui_tei_class` (1 = all four hold, class I)."""
    return _ints(_ui_tei(_one(guide)))


def amarzguioui_score(guide: str) -> dict[str, int]:
    """Amarzguioui & Prydz determinants (signed points) and `amarzguioui_score`, their sum."""
    return _ints(_amarzguioui(_one(guide)))


def duplex_dg(guide: str) -> float:
    """ΔG°37 (kcal/mol) of the 19-bp core duplex, Xia 1998: stacks, initiation, A·U ends."""
    return float(_duplex_dg(_one(guide))[0])


def end_stability(guide: str, pairs: int = 4) -> dict[str, float]:
    """ΔG°37 of the `pairs` terminal base pairs at each end of the core, and their difference.

    `dg_guide_5p` covers guide positions 1..pairs, `dg_sense_5p` the other end (sense 1..pairs);
    each is the pairs − 1 stacks inside plus 0.45 if the end pair is A·U. `dg_asymmetry` =
    dg_guide_5p − dg_sense_5p: positive when the guide 5' end is the less stable one, which
    favours the guide for RISC loading.
    """
    return {key: float(value[0]) for key, value in _end_stability(_one(guide), pairs).items()}


def design_features(guide: str) -> dict[str, float]:
    """Every design feature of one guide, as floats, in a fixed key order."""
    return {key: float(value[0]) for key, value in _features(_one(guide)).items()}


def design_feature_table(guides: pd.Series) -> pd.DataFrame:
    """`design_features` of every guide: one row per guide, index preserved.

    Each distinct core is computed once, all of them at a time with numpy: 30,000 distinct
    23-nt guides take about 0.4 s on one busy core.
    """
    cores = []
    for position, (label, guide) in enumerate(guides.items(), start=1):
        if not (isinstance(guide, str) and _GUIDE.fullmatch(guide)):
            raise ValueError(f"row {position} (index {label!r}): guide {guide!r} {_problem(guide)}")
        cores.append(guide[:CORE_LENGTH].upper().replace("T", "U"))
    which, distinct = pd.factorize(pd.Series(cores, dtype=object))
    features = _features(_encode(list(distinct)))
    columns = {key: values[which].astype(np.float64) for key, values in features.items()}
    return pd.DataFrame(columns, index=guides.index)


# --- validation and encoding -----------------------------------------------------------------


def _normalise(seq: str) -> str:
    if not (isinstance(seq, str) and _LETTERS.fullmatch(seq)):
        raise ValueError(f"sequence {seq!r} {_problem(seq)}")
    return seq.upper().replace("T", "U")


def _problem(guide: object) -> str:
    if not isinstance(guide, str):
        return f"is not a string but {type(guide).__name__}"
    bad = sorted(set(guide.upper()) - set("ACGTU"))
    if bad:
        return f"has letters other than A, C, G, U/T: {''.join(bad)!r}"
    return f"is {len(guide)} nt long, shorter than the {CORE_LENGTH}-nt duplex core"


def _one(guide: str) -> np.ndarray:
    if not (isinstance(guide, str) and _GUIDE.fullmatch(guide)):
        raise ValueError(f"guide {guide!r} {_problem(guide)}")
    return _encode([guide[:CORE_LENGTH]])


def _encode(cores: list[str]) -> np.ndarray:
    """(n, 19) int8 codes A=0, C=1, G=2, U=3 of already validated cores."""
    raw = np.frombuffer("".join(cores).encode("ascii"), dtype=np.uint8)
    return _CODE[raw].reshape(len(cores), CORE_LENGTH)


def _ints(features: dict[str, np.ndarray]) -> dict[str, int]:
    return {key: int(value[0]) for key, value in features.items()}


# --- rule families, vectorised over guides (rows of codes) --------------------------------------


def _is_gc(codes: np.ndarray) -> np.ndarray:
    return (codes == _C) | (codes == _G)


def _sense(codes: np.ndarray) -> np.ndarray:
    """Sense core 5'→3': column i − 1 is sense position i, paired with guide 20 − i."""
    return (3 - codes)[:, ::-1]


def _longest_gc_run(codes: np.ndarray) -> np.ndarray:
    run = best = np.zeros(len(codes), dtype=np.int64)
    for column in _is_gc(codes).T:
        run = (run + 1) * column
        best = np.maximum(best, run)
    return best


def _gc(codes: np.ndarray, first: int, last: int) -> np.ndarray:
    """G/C fraction of guide positions first..last (1-based, inclusive)."""
    return _is_gc(codes[:, first - 1 : last]).mean(axis=1)


def _reynolds(codes: np.ndarray, hairpin_tm: np.ndarray) -> dict[str, np.ndarray]:
    sense = _sense(codes)
    n_gc = _is_gc(codes).sum(axis=1)
    points = {
        # 30–52 % of 19 nt in integers (6–9 G/C), so no float edge lands on the wrong side
        "reynolds_gc_30_52": (100 * n_gc >= 30 * CORE_LENGTH) & (100 * n_gc <= 52 * CORE_LENGTH),
        "reynolds_au_15_19": (~_is_gc(sense[:, 14:19])).sum(axis=1),
        "reynolds_no_internal_repeat": hairpin_tm < _REYNOLDS_MAX_TM,
        "reynolds_a19": sense[:, 18] == _A,
        "reynolds_a3": sense[:, 2] == _A,
        "reynolds_u10": sense[:, 9] == _U,
        "reynolds_not_gc19": -_is_gc(sense[:, 18]).astype(np.int64),
        "reynolds_not_g13": -(sense[:, 12] == _G).astype(np.int64),
    }
    points = {key: value.astype(np.int64) for key, value in points.items()}
    points["reynolds_score"] = sum(points.values())
    return points


def _ui_tei(codes: np.ndarray) -> dict[str, np.ndarray]:
    conditions = {
        "ui_tei_au_guide_5p": ~_is_gc(codes[:, 0]),
        # sense position 1 pairs with guide 19, and a pair is G·C or A·U on both strands
        "ui_tei_gc_sense_5p": _is_gc(codes[:, 18]),
        "ui_tei_au_rich_guide_1_7": (~_is_gc(codes[:, :7])).sum(axis=1) >= 5,
        "ui_tei_no_gc_stretch_over_9": _longest_gc_run(codes) <= 9,
    }
    conditions = {key: value.astype(np.int64) for key, value in conditions.items()}
    conditions["ui_tei_class"] = np.logical_and.reduce(list(conditions.values())).astype(np.int64)
    return conditions


def _amarzguioui(codes: np.ndarray) -> dict[str, np.ndarray]:
    sense = _sense(codes)
    au_3p = (~_is_gc(sense[:, 16:19])).sum(axis=1)
    au_5p = (~_is_gc(sense[:, 0:3])).sum(axis=1)
    points = {
        "amarzguioui_asymmetry": au_3p - au_5p,
        "amarzguioui_s1": _is_gc(sense[:, 0]).astype(np.int64),
        "amarzguioui_a6": (sense[:, 5] == _A).astype(np.int64),
        "amarzguioui_w19": (~_is_gc(sense[:, 18])).astype(np.int64),
        "amarzguioui_u1": -(sense[:, 0] == _U).astype(np.int64),
        "amarzguioui_g19": -(sense[:, 18] == _G).astype(np.int64),
    }
    points["amarzguioui_score"] = sum(points.values())
    return points


# --- thermodynamics ------------------------------------------------------------------------------


def _stacks(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(n, 18) stack values; column k is the stack of guide positions k + 1 and k + 2."""
    return table[4 * codes[:, :-1].astype(np.int64) + codes[:, 1:]]


def _duplex_dg(codes: np.ndarray) -> np.ndarray:
    au_ends = (~_is_gc(codes[:, 0])).astype(int) + (~_is_gc(codes[:, -1])).astype(int)
    return _stacks(_STACK_DG, codes).sum(axis=1) + _INIT_DG + _AU_END_DG * au_ends


def _end_stability(codes: np.ndarray, pairs: int) -> dict[str, np.ndarray]:
    # Up to 9 pairs the two ends never share a stack, so ends + middle + initiation = duplex.
    if not (isinstance(pairs, int) and 2 <= pairs <= CORE_LENGTH // 2):
        raise ValueError(f"pairs must be an integer from 2 to {CORE_LENGTH // 2}, got {pairs!r}")
    stacks = _stacks(_STACK_DG, codes)
    guide_5p = stacks[:, : pairs - 1].sum(axis=1) + _AU_END_DG * ~_is_gc(codes[:, 0])
    sense_5p = stacks[:, CORE_LENGTH - pairs :].sum(axis=1) + _AU_END_DG * ~_is_gc(codes[:, -1])
    return {"dg_guide_5p": guide_5p, "dg_sense_5p": sense_5p, "dg_asymmetry": guide_5p - sense_5p}


def _hairpin_tm(codes: np.ndarray) -> np.ndarray:
    """Highest estimated Tm (°C, floored at 0) of any hairpin stem in the core; see the header."""
    n, length = codes.shape
    dh_stack, ds_stack = _stacks(_STACK_DH, codes), _stacks(_STACK_DS, codes)
    au = ~_is_gc(codes)
    best = np.zeros(n)
    for inner_5p in range(length):
        for inner_3p in range(inner_5p + 4, length):  # a hairpin loop has at least 3 nt
            loop = inner_3p - inner_5p - 1
            paired = codes[:, inner_5p] + codes[:, inner_3p] == 3
            dh = np.full(n, _LOOP_DH[loop])
            ds = np.full(n, 1000 * (_LOOP_DH[loop] - _LOOP_DG[loop]) / _T37)  # cal/(mol·K)
            # Grow the stem outward one pair at a time; each new pair adds one stack.
            outer_5p, outer_3p = inner_5p - 1, inner_3p + 1
            while outer_5p >= 0 and outer_3p < length:
                paired &= codes[:, outer_5p] + codes[:, outer_3p] == 3
                if not paired.any():
                    break
                dh = dh + dh_stack[:, outer_5p]
                ds = ds + ds_stack[:, outer_5p]
                end_dh = dh + _AU_END_DH * au[:, outer_5p]
                end_ds = ds + _AU_END_DS * au[:, outer_5p]
                melts = paired & (end_dh < 0) & (end_ds < 0)
                tm = 1000 * end_dh / np.where(melts, end_ds, -1.0) - 273.15
                best = np.maximum(best, np.where(melts, tm, 0.0))
                outer_5p, outer_3p = outer_5p - 1, outer_3p + 1
    return best


def _features(codes: np.ndarray) -> dict[str, np.ndarray]:
    hairpin_tm = _hairpin_tm(codes)
    return {
        "gc_core": _gc(codes, 1, 19),
        "gc_seed_2_8": _gc(codes, 2, 8),
        "gc_guide_1_7": _gc(codes, 1, 7),
        "gc_guide_8_13": _gc(codes, 8, 13),
        "gc_guide_14_19": _gc(codes, 14, 19),
        "longest_gc_stretch": _longest_gc_run(codes),
        "hairpin_tm": hairpin_tm,
        **_reynolds(codes, hairpin_tm),
        **_ui_tei(codes),
        **_amarzguioui(codes),
        "duplex_dg": _duplex_dg(codes),
        **_end_stability(codes, 4),
    }
