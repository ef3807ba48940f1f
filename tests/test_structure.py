"""ViennaRNA structure features of siRNAs (dlgenomics.sirna.structure): known answers.

Accessibility is checked against exact global partition functions and designed structures;
duplex energies against a hand sum of Turner 2004 stacks and against the Xia 1998 values of
`rules` (both from the same measurements: Turner 2004's Watson–Crick stacks are Xia's, rounded
to 0.1 kcal/mol in ViennaRNA's parameter file).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import RNA

from dlgenomics.sirna import rules, structure
from dlgenomics.sirna.structure import (
    ACCESSIBILITY_COLUMNS,
    ENERGY_COLUMNS,
    AccessibilitySettings,
    site_accessibility,
    strand_energies,
    unpaired_probabilities,
)

KT = (37 + 273.15) * 1.98717 / 1000  # kcal/mol, ViennaRNA's gas constant
# A small structured RNA: two GC hairpins joined by A/U-rich linkers.
STRUCTURED = "GGGAGCAUAUGCGCAAAAGCGCAUAUCCCAAAAGGA"
# A site of G and A only: it can pair neither with itself nor with poly-A.
SITE = "GAGGAAGAGGAGAAGGAGA"
POLY_A = "A" * 40

# Turner 2004 Watson–Crick stacks as in ViennaRNA's rna_turner2004.par (kcal/mol), keyed like
# rules._XIA by the top strand 5'→3'; initiation 4.1 and terminal A·U penalty 0.5.
TURNER_2004 = {
    "AA": -0.9, "UU": -0.9, "AU": -1.1, "UA": -1.3, "CU": -2.1, "AG": -2.1, "CA": -2.1,
    "UG": -2.1, "GU": -2.2, "AC": -2.2, "GA": -2.4, "UC": -2.4, "CG": -2.4, "GC": -3.4,
    "GG": -3.3, "CC": -3.3,
}  # fmt: skip
# Eighteen competition guides (a random sample of train_data.csv) and two designed extremes.
GUIDES = [
    "UUUUUCAUGAUCAGACAAUGCAC", "ACGAGGAACCCUGCGCAGAGCCU", "ACCAAAAGAAGGCUAGGGAGAUG",
    "UGAGAACUCGGGAAUCAGGCGUG", "AUUGACUAGACACUUUUUGGCUC", "UAUUCAUUUCAUUCUUGCAAACC",
    "UCCUCAAACACCUUGAAGGCCUU", "AACUUCUCUUGUGAACUAUCAAG", "AAUAGCCAUUGAUAGUGCUCAUG",
    "AAAAGAAGGCUAGGGAGAUGAUG", "AACAGGUCAGGGAUUAUUGCUAA", "AGUACAUUUGUGGUACAGCUGCC",
    "AGUGCCUUUCACAGGAAUGUUUU", "AGAUGACGGAGGCAUUGAAGGUG", "AUUGCAGUGAGCCAAGAUCGUGC",
    "UAUUAUGAAUUAGUGUUCUACAC", "ACUAGAGGAACAAUAAAAAGAAG", "UUAAAAUUGCAGCUCCUUUUGGA",
    "UAUUAAUAUUAUAAUUAUAUUUU",  # all A/U
    "GCGGCCGCGGGCCGCCGCGCCUU",  # all G/C in the core
]  # fmt: skip


def rna(seq: str) -> str:
    return seq.upper().replace("T", "U")


def exact_unpaired(seq: str, first: int, last: int) -> float:
    """P(0-based first..last all unpaired), global fold: Z(constrained) / Z."""
    md = RNA.md()
    free = RNA.fold_compound(seq, md).pf()[1]
    fc = RNA.fold_compound(seq, md)
    for position in range(first + 1, last + 2):  # hard constraints are 1-based
        fc.hc_add_up(position)
    return float(np.exp(-(fc.pf()[1] - free) / KT))


def turner_helix(core: str) -> tuple[float, float, float]:
    """Hand sum with TURNER_2004: (19-bp duplex, guide 5' end, sense 5' end) of a perfect core."""
    stacks = [TURNER_2004[core[k : k + 2]] for k in range(len(core) - 1)]
    au = [0.5 if base in "AU" else 0.0 for base in (core[0], core[-1])]
    return 4.1 + sum(stacks) + sum(au), sum(stacks[:3]) + au[0], sum(stacks[-3:]) + au[1]


# --- unpaired probabilities ----------------------------------------------------------------------


def test_unpaired_probabilities_match_the_global_partition_function():
    n = len(STRUCTURED)
    up = unpaired_probabilities(STRUCTURED, AccessibilitySettings(window=80, span=40), 19)
    assert up.shape == (n, 19)
    defined = ~np.isnan(up)
    # NaN exactly where the stretch would start before position 0
    assert (defined == (np.arange(n)[:, None] >= np.arange(19)[None, :])).all()
    assert (up[defined] >= -1e-12).all() and (up[defined] <= 1 + 1e-12).all()
    # u = 1: one minus the summed pair probabilities of the global fold (window 80 >= 36 nt)
    fc = RNA.fold_compound(STRUCTURED, RNA.md())
    fc.pf()
    bpp = np.array(fc.bpp())[1:, 1:]
    np.testing.assert_allclose(up[:, 0], 1 - (bpp + bpp.T).sum(axis=0), atol=1e-5)
    # longer stretches, ending (not starting) at i, against constrained partition functions
    for i, u in [(4, 5), (10, 3), (20, 19), (35, 12), (30, 19)]:
        assert up[i, u - 1] == pytest.approx(exact_unpaired(STRUCTURED, i - u + 1, i), abs=1e-5)
    # the structure is real: the hairpin stems are paired, the A linker is not
    assert up[1, 0] < 0.1 and up[15, 0] > 0.9


def test_unpaired_probabilities_equal_rnaplfold_and_are_one_on_poly_a():
    seq = "AUGC" * 5 + STRUCTURED * 3 + "GGCAUU" * 10
    settings = AccessibilitySettings(window=40, span=25)
    up = unpaired_probabilities(seq.lower().replace("u", "t"), settings, 19)  # DNA, lower case
    plfold = np.array(RNA.pfl_fold_up(seq, 19, 40, 25))[1:, 1:].astype(float)
    defined = ~np.isnan(up)
    np.testing.assert_allclose(up[defined], plfold[defined], atol=1e-9)
    poly_a = unpaired_probabilities("A" * 200, AccessibilitySettings(), 19)
    np.testing.assert_allclose(poly_a[18:], 1.0, atol=1e-9)


def test_unpaired_probabilities_short_sequences_and_limits():
    assert unpaired_probabilities("", AccessibilitySettings(), 19).shape == (0, 19)
    short = unpaired_probabilities("GGGAAAUCC", AccessibilitySettings(), 19)
    assert short.shape == (9, 19) and np.isnan(short[:, 9:]).all()
    # the whole 9 nt unpaired: the open chain's share of the ensemble
    assert short[8, 8] == pytest.approx(exact_unpaired("GGGAAAUCC", 0, 8), abs=1e-6)
    with pytest.raises(ValueError, match="max_length"):
        unpaired_probabilities(STRUCTURED, AccessibilitySettings(window=20, span=20), 21)
    with pytest.raises(ValueError, match="span"):
        AccessibilitySettings(window=40, span=50)
    with pytest.raises(ValueError, match="window"):
        AccessibilitySettings(window=10, span=10)


# --- site accessibility --------------------------------------------------------------------------


def test_site_in_a_strong_hairpin_is_much_less_accessible_than_in_poly_a():
    hairpin = POLY_A + SITE + "GAAA" + rules.reverse_complement(SITE) + POLY_A
    open_ = POLY_A + SITE + POLY_A
    settings = AccessibilitySettings(window=100, span=60)  # the 19-bp stem spans 42 nt
    out = site_accessibility(pd.Series([hairpin, open_]), np.array([40, 40]), settings)
    assert out.loc[0, "access_site"] < 1e-3 and out.loc[0, "access_seed"] < 1e-2
    assert out.loc[1, "access_site"] > 0.99 and out.loc[1, "access_seed"] > 0.99
    assert out.loc[1, "access_flank_5p"] > 0.99 and out.loc[1, "access_flank_3p"] > 0.99


def test_seed_is_site_indices_11_to_17():
    guide = "UCUCCUUCUCCUCUUCCUCUU"  # pairs with SITE
    assert rules.reverse_complement(guide[:19]) == SITE
    assert rules.reverse_complement(guide[1:8]) == SITE[11:18]  # guide 2–8 = the seed
    # A stem pairs site indices 0..10 only; the seed's partners stay in poly-A.
    transcript = POLY_A + rules.reverse_complement(SITE[:11]) + "GAAA" + SITE + POLY_A
    start = len(POLY_A) + 15
    out = site_accessibility(pd.Series([transcript]), np.array([start]), AccessibilitySettings())
    assert out.loc[0, "access_site"] < 0.01
    assert out.loc[0, "access_seed"] > 0.9
    assert out.loc[0, "access_flank_3p"] > 0.95  # poly-A
    assert out.loc[0, "access_flank_5p"] < 0.7  # six paired stem nt and the GAAA loop


def test_flanks_are_means_of_single_nt_probabilities_clipped_at_the_ends():
    settings = AccessibilitySettings(window=40, span=30, flank=10)
    seq = STRUCTURED * 2
    up = unpaired_probabilities(seq, settings, 19)
    starts = np.array([0, 4, 20, len(seq) - 19, len(seq) - 25])
    out = site_accessibility(pd.Series([seq] * len(starts)), starts, settings)
    for row, s in enumerate(starts):
        got = out.iloc[row]
        assert got["access_site"] == pytest.approx(up[s + 18, 18])
        assert got["access_seed"] == pytest.approx(up[s + 17, 6])
        before, after = up[max(s - 10, 0) : s, 0], up[s + 19 : s + 29, 0]
        for column, values in [("access_flank_5p", before), ("access_flank_3p", after)]:
            if len(values):
                assert got[column] == pytest.approx(values.mean())
            else:
                assert np.isnan(got[column])
    assert np.isnan(out.iloc[0]["access_flank_5p"]) and np.isnan(out.iloc[3]["access_flank_3p"])


def test_each_distinct_transcript_is_folded_once(monkeypatch):
    calls = []

    def counting(transcript, *args, **kwargs):
        calls.append(transcript)
        return unpaired_probabilities(transcript, *args, **kwargs)

    monkeypatch.setattr(structure, "unpaired_probabilities", counting)
    structure._folded.cache_clear()  # what earlier tests folded would not be folded again
    rng = np.random.default_rng(0)
    transcripts = ["".join(rng.choice(list("ACGU"), 300)) for _ in range(3)]
    # T/U and case variants are one transcript
    variants = [transcripts[0], transcripts[0].lower().replace("u", "t"), *transcripts[1:]]
    which = rng.integers(0, len(variants), 100)
    frame = site_accessibility(
        pd.Series([variants[k] for k in which], index=np.arange(100) * 7),
        rng.integers(0, 300 - 19, 100),
        AccessibilitySettings(),
    )
    assert sorted(calls) == sorted(transcripts)
    # A second table of the same transcripts (the test role after the training one): no fold.
    site_accessibility(pd.Series(transcripts), np.array([0, 5, 9]), AccessibilitySettings())
    assert len(calls) == len(transcripts)
    assert list(frame.columns) == list(ACCESSIBILITY_COLUMNS)
    assert (frame.index == np.arange(100) * 7).all() and frame.notna().all().all()
    # the same site on the two variants reads the same
    same = pd.Series([transcripts[0], variants[1]])
    twice = site_accessibility(same, np.array([50, 50]), AccessibilitySettings())
    assert twice.iloc[0].equals(twice.iloc[1])


def test_missing_site_or_transcript_is_nan_and_n_does_not_crash():
    with_n = POLY_A + "NNNN" + SITE + "NNNN" + POLY_A
    transcripts = pd.Series([with_n, None, with_n, "", with_n, np.nan])
    positions = np.array([44, 10, -1, 5, 0, -1])
    out = site_accessibility(transcripts, positions, AccessibilitySettings())
    assert out.iloc[[1, 2, 3, 5]].isna().all().all()
    assert out.iloc[0].notna().all() and out.iloc[0]["access_site"] > 0.99  # nothing pairs
    assert np.isnan(out.iloc[4]["access_flank_5p"])  # no nt upstream of position 0
    assert out.iloc[4].drop("access_flank_5p").notna().all()
    with pytest.raises(ValueError, match="row 2: position 500"):
        site_accessibility(pd.Series([with_n] * 2), np.array([0, 500]), AccessibilitySettings())
    with pytest.raises(ValueError, match="transcript row 1"):
        site_accessibility(pd.Series(["ACGX" * 10]), np.array([0]), AccessibilitySettings())
    with pytest.raises(ValueError, match="2 transcripts but 1 positions"):
        site_accessibility(pd.Series([with_n] * 2), np.array([0]), AccessibilitySettings())


# --- strand energies -----------------------------------------------------------------------------


def test_duplex_and_ends_are_the_turner_2004_hand_sum():
    out = strand_energies(pd.Series(GUIDES), None)
    assert list(out.columns) == list(ENERGY_COLUMNS)
    for guide, (_, row) in zip(GUIDES, out.iterrows(), strict=True):
        duplex, guide_5p, sense_5p = turner_helix(guide[:19])
        assert row["duplex_dg"] == pytest.approx(duplex, abs=1e-6), guide
        assert row["dg_guide_5p"] == pytest.approx(guide_5p, abs=1e-6), guide
        assert row["dg_sense_5p"] == pytest.approx(sense_5p, abs=1e-6), guide
        assert row["dg_asymmetry"] == pytest.approx(guide_5p - sense_5p, abs=1e-6), guide


def test_vienna_agrees_with_the_hand_written_xia_1998_thermodynamics():
    """Turner 2004 (ViennaRNA) vs Xia 1998 (rules): the same stacks to 0.05 kcal/mol each,
    initiation 4.10 vs 4.09, A·U end 0.50 vs 0.45. So a 19-bp duplex can differ by at most
    18·0.05 + 0.01 + 2·0.05 = 1.01 and one 4-pair end by 3·0.05 + 0.05 = 0.20 (their difference
    by 0.40); measured on all 7,322 competition guides: 0.54, 0.15 and 0.28; here 0.47, 0.14 and
    0.19. The ranking is practically the same."""
    guides = pd.Series(GUIDES)
    vienna, hand = strand_energies(guides, None), rules.design_feature_table(guides)
    difference = vienna[list(ENERGY_COLUMNS[2:])] - hand[list(ENERGY_COLUMNS[2:])]
    assert difference["duplex_dg"].abs().max() <= 0.5
    assert difference[["dg_guide_5p", "dg_sense_5p"]].abs().max().max() <= 0.15
    assert difference["dg_asymmetry"].abs().max() <= 0.2
    for column in ENERGY_COLUMNS[2:]:
        assert vienna[column].rank().corr(hand[column].rank()) >= 0.99, column
    # the asymmetry's sign agrees wherever it exceeds what the parameter sets can move it
    clear = hand["dg_asymmetry"].abs() > 0.4
    assert clear.sum() >= 15
    assert (np.sign(vienna["dg_asymmetry"][clear]) == np.sign(hand["dg_asymmetry"][clear])).all()
    # the exact reason for each difference: per-stack rounding, initiation, A·U ends
    xia = {pair: values[0] for pair, values in rules._XIA.items()}
    for guide, delta in zip(GUIDES, difference["duplex_dg"], strict=True):
        core = guide[:19]
        expected = sum(TURNER_2004[core[k : k + 2]] - xia[core[k : k + 2]] for k in range(18))
        expected += 0.01 + 0.05 * sum(base in "AU" for base in (core[0], core[-1]))
        assert delta == pytest.approx(expected, abs=1e-6), guide


def test_strand_mfe_is_viennas_fold():
    guides = pd.Series(["GGGGAAAACCCCAUAUAUAUU", "UAUUAAUAUUAUAAUUAUAUUUU"])
    out = strand_energies(guides, pd.Series(["acguacguacguacguacg", None]))
    assert out.loc[0, "guide_mfe"] == pytest.approx(RNA.fold("GGGGAAAACCCCAUAUAUAUU")[1], abs=1e-6)
    assert out.loc[0, "guide_mfe"] < -2  # a GGGG/CCCC hairpin
    assert out.loc[0, "passenger_mfe"] == pytest.approx(RNA.fold("ACGUACGUACGUACGUACG")[1])
    assert out.loc[1, "guide_mfe"] == pytest.approx(RNA.fold(GUIDES[-2])[1], abs=1e-6)
    assert out.loc[1, "passenger_mfe"] == pytest.approx(
        RNA.fold(rules.reverse_complement(GUIDES[-2][:19]))[1], abs=1e-6
    )


def test_missing_passenger_is_the_reverse_complement_of_the_core():
    guides = pd.Series(GUIDES[:6] + GUIDES[:2], index=list("abcdefgh"))
    exact = guides.map(lambda g: rules.reverse_complement(g[:19]))
    missing = strand_energies(guides, None)
    assert missing.index.tolist() == list("abcdefgh")
    pd.testing.assert_frame_equal(missing, strand_energies(guides, exact))
    mixed = exact.astype(object).copy()
    mixed.iloc[[1, 4]] = [np.nan, None]
    pd.testing.assert_frame_equal(missing, strand_energies(guides, mixed))
    dna = guides.str.lower().str.replace("u", "t")
    pd.testing.assert_frame_equal(missing, strand_energies(dna, None))
    # the design's 21-nt passenger (2-nt 5' overhang beyond the core): same duplex and ends
    overhang = strand_energies(guides, "UU" + exact)
    pd.testing.assert_frame_equal(missing.iloc[:, 2:], overhang.iloc[:, 2:])


def test_a_designed_terminal_mismatch_is_scored_as_viennarna_scores_it():
    # competition duplex: guide position 1 A faces the passenger's 3' A (an A·A mismatch)
    guide, passenger = "AAGGUGAAAACACUGCUUUAG", "AAAGCAGUGUUUUCACCUA"
    given = strand_energies(pd.Series([guide]), pd.Series([passenger])).iloc[0]
    perfect = strand_energies(pd.Series([guide]), None).iloc[0]
    # the whole duplex: ViennaRNA's own value of the helix with position 1 unpaired
    fc = RNA.fold_compound(guide[:19] + "&" + passenger, RNA.md())
    assert given["duplex_dg"] == pytest.approx(fc.eval_structure("." + "(" * 18 + ")" * 18 + "."))
    # the guide 5' end: A·U terminal pair (+0.5), stacks AG and GG (−2.1, −3.3) and the
    # terminal A·A mismatch on the exterior side (−1.0 in Turner 2004 with -d2); no initiation
    assert given["dg_guide_5p"] == pytest.approx(0.5 - 2.1 - 3.3 - 1.0, abs=1e-6)
    assert perfect["dg_guide_5p"] == pytest.approx(0.5 - 0.9 - 2.1 - 3.3, abs=1e-6)
    assert given["dg_sense_5p"] == perfect["dg_sense_5p"]
    assert given["duplex_dg"] == pytest.approx(perfect["duplex_dg"] + 0.9 - 1.0, abs=1e-6)


def test_strand_energies_reject_bad_strands():
    with pytest.raises(ValueError, match="guide row 2"):
        strand_energies(pd.Series([GUIDES[0], "ACGU"]), None)
    with pytest.raises(ValueError, match="guide row 1"):
        strand_energies(pd.Series([None]), None)
    with pytest.raises(ValueError, match="passenger row 1"):
        strand_energies(pd.Series([GUIDES[0]]), pd.Series(["ACGNACGU"]))
    with pytest.raises(ValueError, match="1 guides but 2 passengers"):
        strand_energies(pd.Series([GUIDES[0]]), pd.Series([None, None]))
