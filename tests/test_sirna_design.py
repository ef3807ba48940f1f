"""siRNA design rules and thermodynamics against examples worked out by hand from the papers.

Guide = antisense 5'→3'; sense position i pairs with guide position 20 − i.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlgenomics.sirna.rules import (
    CORE_LENGTH,
    amarzguioui_score,
    design_feature_table,
    design_features,
    duplex_dg,
    end_stability,
    gc_content,
    longest_gc_stretch,
    reverse_complement,
    reynolds_criteria,
    ui_tei_conditions,
)

# The GL2 luciferase siRNA core. Positions:
#   guide 1..19: U C G A A G U A U U C C G C G U A C G
#   sense 1..19: C G U A C G C G G A A U A C U U C G A
GL2_GUIDE = "UCGAAGUAUUCCGCGUACG"
GL2_SENSE = "CGUACGCGGAAUACUUCGA"


def test_reverse_complement_gives_the_sense_core_as_rna():
    assert CORE_LENGTH == 19
    assert reverse_complement(GL2_GUIDE) == GL2_SENSE
    assert reverse_complement("acgt") == "ACGU"  # DNA, lower case in; RNA out
    assert reverse_complement(reverse_complement(GL2_GUIDE)) == GL2_GUIDE


def test_gc_content_and_longest_gc_stretch():
    # G/C at guide 2, 3, 6, 11-15, 18, 19 = 10 of 19
    assert gc_content(GL2_GUIDE) == pytest.approx(10 / 19)
    # runs: CG, G, CCGCG (11-15), CG -> 5
    assert longest_gc_stretch(GL2_GUIDE) == 5
    assert longest_gc_stretch("auau") == 0
    assert gc_content("GGcc") == 1.0


def test_reynolds_criteria_on_gl2_counted_by_hand():
    # Sense C G U A C G C G G A A U A C U U C G A, criterion by criterion:
    #   I    G/C 10/19 = 52.6 % > 52 %                                  -> 0
    #   II   sense 15-19 = U U C G A: three A/U                         -> 3
    #   III  strongest stem G3·C11, A4·U10, A5·U9 round loop U6 A7 U8 (guide numbering):
    #        stacks GA (ΔH −12.44, ΔS −32.5) + AA (−6.82, −19.0), loop of 3 (ΔH 1.3, ΔG 5.4,
    #        so ΔS = (1.3 − 5.4)/310.15 = −13.219 eu): Tm = 17.96/0.064719 − 273.15 = 4.4 °C
    #        < 20 °C                                                    -> 1
    #   IV   sense 19 = A                                               -> 1
    #   V    sense 3 = U, not A                                         -> 0
    #   VI   sense 10 = A, not U                                        -> 0
    #   VII  sense 19 = A, not G/C                                      -> 0
    #   VIII sense 13 = A, not G                                        -> 0
    assert reynolds_criteria(GL2_GUIDE) == {
        "reynolds_gc_30_52": 0,
        "reynolds_au_15_19": 3,
        "reynolds_no_internal_repeat": 1,
        "reynolds_a19": 1,
        "reynolds_a3": 0,
        "reynolds_u10": 0,
        "reynolds_not_gc19": 0,
        "reynolds_not_g13": 0,
        "reynolds_score": 5,
    }
    assert design_features(GL2_GUIDE)["hairpin_tm"] == pytest.approx(
        17960 / (51.5 + 1000 * 4.1 / 310.15) - 273.15
    )


def test_reynolds_full_score_and_both_penalties():
    # Sense G G A G G A G G A U G A A G A U A U A (guide = its reverse complement):
    #   G/C 8/19 = 42 % -> 1; 15-19 A U A U A -> 5; A19 -> 1; A3 -> 1; U10 -> 1; 19 is A and
    #   13 is A -> no penalty. No C in the sense and no G in the guide, so stems can only be
    #   A·U pairs, and the only runs are 2 bp long: no 2-bp stem melts above ~6 °C -> 1.
    best = reverse_complement("GGAGGAGGAUGAAGAUAUA")
    assert best == "UAUAUCUUCAUCCUCCUCC"
    points = reynolds_criteria(best)
    assert points["reynolds_score"] == 10
    assert design_features(best)["hairpin_tm"] == 0.0
    # Sense 13 -> G and 19 -> C (and 11 -> A to keep G/C at 9/19 = 47 %): both penalties,
    # and A19 and one A/U at 15-19 are lost.
    worst = reverse_complement("GGAGGAGGAUAAGGAUAUC")
    assert worst == "GAUAUCCUUAUCCUCCUCC"
    points = reynolds_criteria(worst)
    assert (points["reynolds_not_gc19"], points["reynolds_not_g13"]) == (-1, -1)
    assert (points["reynolds_a19"], points["reynolds_au_15_19"]) == (0, 4)
    # The new C makes a hairpin: guide G1·C12, A2·U11, U3·A10, A4·U9 round U5 C6 C7 U8.
    # Stacks GA + AU + UA: ΔH = −12.44 − 9.38 − 7.69 + 4.8 (loop of 4) = −24.71 kcal/mol,
    # ΔS = −32.5 − 26.7 − 20.5 − 2.58 = −82.28 eu: Tm = 300.32 K = 27.2 °C >= 20 °C -> III = 0.
    assert design_features(worst)["hairpin_tm"] == pytest.approx(27.17, abs=0.01)
    assert points["reynolds_no_internal_repeat"] == 0
    # 1 + 4 + 0 + 0 + 1 + 1 − 1 − 1 = 5
    assert points["reynolds_score"] == 5


def test_reynolds_internal_repeat_penalised_for_a_gc_hairpin():
    # Guide G G G C A A A A G C C C A A A A A A A: stem G1·C12, G2·C11, G3·C10, C4·G9 round
    # the tetraloop A5-A8. Stacks GG + GG + GC: ΔH = −13.39·2 − 14.88 = −41.66 kcal/mol,
    # ΔS = −32.7·2 − 36.9 = −102.3 eu; loop of 4: ΔH +4.8, ΔG 5.6 -> ΔS = −800/310.15 =
    # −2.58 eu. Tm = (41.66 − 4.8) kcal / 104.88 eu = 351.45 K = 78.3 °C >= 20 °C -> 0.
    guide = "GGGCAAAAGCCCAAAAAAA"
    assert design_features(guide)["hairpin_tm"] == pytest.approx(
        36860 / (102.3 + 1000 * 0.8 / 310.15) - 273.15
    )
    assert design_features(guide)["hairpin_tm"] == pytest.approx(78.30, abs=0.01)
    assert reynolds_criteria(guide)["reynolds_no_internal_repeat"] == 0


def test_ui_tei_conditions_on_gl2_and_a_class_i_guide():
    # GL2: guide 1 = U (A/U) -> 1; sense 1 = C (G/C) -> 1; guide 1-7 U C G A A G U has four
    # A/U, not five -> 0; longest G/C stretch 5 <= 9 -> 1; so not class I.
    assert ui_tei_conditions(GL2_GUIDE) == {
        "ui_tei_au_guide_5p": 1,
        "ui_tei_gc_sense_5p": 1,
        "ui_tei_au_rich_guide_1_7": 0,
        "ui_tei_no_gc_stretch_over_9": 1,
        "ui_tei_class": 0,
    }
    # U U A A U C A | G C G G C A U C A G C C: guide 1 = U; guide 19 = C so sense 1 = G;
    # guide 1-7 has six A/U; longest G/C stretch GCGGC = 5 -> class I.
    assert ui_tei_conditions("UUAAUCAGCGGCAUCAGCC")["ui_tei_class"] == 1
    # Reversed roles (G/C at the guide 5' end, A/U at the sense 5' end) fail (i) and (ii).
    opposite = ui_tei_conditions("GUAAUCAGCGGCAUCAGCA")
    assert (opposite["ui_tei_au_guide_5p"], opposite["ui_tei_gc_sense_5p"]) == (0, 0)


def test_ui_tei_gc_stretch_limit_is_more_than_nine():
    # guide U A U A U A, then G C G C G C G C G C (positions 7-16, ten G/C), then A U G
    ten = "UAUAUAGCGCGCGCGCAUG"
    assert longest_gc_stretch(ten) == 10
    assert ui_tei_conditions(ten)["ui_tei_no_gc_stretch_over_9"] == 0
    assert ui_tei_conditions(ten)["ui_tei_class"] == 0
    nine = "UAUAUAGCGCGCGCGAAUG"  # positions 7-15: nine G/C
    assert longest_gc_stretch(nine) == 9
    assert ui_tei_conditions(nine)["ui_tei_class"] == 1


def test_amarzguioui_score_by_hand():
    # GL2 sense C G U A C G ... U U C G A: A/U at 17-19 (C G A) = 1 minus at 1-3 (C G U) = 1
    # -> 0; S1 (C) +1; sense 6 = G, no A6; W19 (A) +1; no U1; no G19 -> 2.
    assert amarzguioui_score(GL2_GUIDE) == {
        "amarzguioui_asymmetry": 0,
        "amarzguioui_s1": 1,
        "amarzguioui_a6": 0,
        "amarzguioui_w19": 1,
        "amarzguioui_u1": 0,
        "amarzguioui_g19": 0,
        "amarzguioui_score": 2,
    }
    # Sense G C C U G A C U G A C U G A C G U U A: 17-19 U U A = 3 A/U, 1-3 G C C = 0 -> +3;
    # S1 +1, A6 +1, W19 +1 -> 6.
    good = reverse_complement("GCCUGACUGACUGACGUUA")
    assert good == "UAACGUCAGUCAGUCAGGC"
    assert amarzguioui_score(good)["amarzguioui_asymmetry"] == 3
    assert amarzguioui_score(good)["amarzguioui_score"] == 6
    # Sense U A U C G C G C A G C A G C A G C C G: 0 − 3 = −3; U1 −1; G19 −1 -> −5.
    bad = reverse_complement("UAUCGCGCAGCAGCAGCCG")
    assert bad == "CGGCUGCUGCUGCGCGAUA"
    points = amarzguioui_score(bad)
    assert (points["amarzguioui_u1"], points["amarzguioui_g19"]) == (-1, -1)
    assert points["amarzguioui_score"] == -5


def test_duplex_dg_sums_xia_stacks_by_hand():
    # GL2 guide stacks 5'→3' (Xia 1998 ΔG°37):
    #   UC −2.35, CG −2.36, GA −2.35, AA −0.93, AG −2.08, GU −2.24, UA −1.33, AU −1.10,
    #   UU −0.93, UC −2.35, CC −3.26, CG −2.36, GC −3.42, CG −2.36, GU −2.24, UA −1.33,
    #   AC −2.24, CG −2.36 -> −37.59; + initiation 4.09; + 0.45 for the U·A end at guide 1
    #   (guide 19 is G·C) = −33.05 kcal/mol.
    assert duplex_dg(GL2_GUIDE) == pytest.approx(-33.05)
    # Poly-A: 18 × AA −0.93 + 4.09 + two A·U ends 0.90 = −11.75
    assert duplex_dg("A" * 19) == pytest.approx(-11.75)
    # Poly-G: 18 × GG −3.26 + 4.09 = −54.59
    assert duplex_dg("G" * 19) == pytest.approx(-54.59)


def test_end_stability_by_hand():
    # Guide 5' end, pairs 1-4: UC −2.35 + CG −2.36 + GA −2.35 + A·U end 0.45 = −6.61
    # Sense 5' end = guide 16-19: UA −1.33 + AC −2.24 + CG −2.36 (G·C end) = −5.93
    # Asymmetry −6.61 − (−5.93) = −0.68: the guide 5' end is the more stable one.
    ends = end_stability(GL2_GUIDE)
    assert ends["dg_guide_5p"] == pytest.approx(-6.61)
    assert ends["dg_sense_5p"] == pytest.approx(-5.93)
    assert ends["dg_asymmetry"] == pytest.approx(-0.68)
    # Two pairs: UC −2.35 + 0.45 = −1.90 and CG −2.36
    two = end_stability(GL2_GUIDE, pairs=2)
    assert (two["dg_guide_5p"], two["dg_sense_5p"]) == (pytest.approx(-1.90), -2.36)
    # The middle stacks 4-5 … 15-16 sum to −24.60: ends + middle + initiation = duplex ΔG.
    assert ends["dg_guide_5p"] + ends["dg_sense_5p"] - 24.60 + 4.09 == pytest.approx(-33.05)
    with pytest.raises(ValueError, match="pairs"):
        end_stability(GL2_GUIDE, pairs=10)


def test_dna_letters_lower_case_and_overhang_use_the_same_core():
    expected = design_features(GL2_GUIDE)
    assert design_features(GL2_GUIDE.lower().replace("u", "t")) == expected
    # A 23-nt competition-style guide: 21 paired nt + 2-nt overhang; only 1-19 count.
    assert design_features(GL2_GUIDE + "GAUU") == expected
    assert duplex_dg(GL2_GUIDE + "GAUU") == pytest.approx(-33.05)
    assert list(expected)[:3] == ["gc_core", "gc_seed_2_8", "gc_guide_1_7"]
    assert all(isinstance(value, float) for value in expected.values())
    # Seed 2-8 C G A A G U A: 3 G/C of 7
    assert expected["gc_seed_2_8"] == pytest.approx(3 / 7)


def test_invalid_guides_raise_naming_the_sequence():
    with pytest.raises(ValueError, match=r"UCGAAGUAUUCCGCGUACN.*'N'"):
        design_features("UCGAAGUAUUCCGCGUACN")
    with pytest.raises(ValueError, match=r"'UCGAAG'.*6 nt.*shorter"):
        reynolds_criteria("UCGAAG")
    with pytest.raises(ValueError, match="not a string"):
        duplex_dg(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'X'"):
        gc_content("ACGX")


def test_feature_table_matches_single_guides_and_keeps_the_index():
    guides = pd.Series(
        [GL2_GUIDE + "GA", "UUAAUCAGCGGCAUCAGCC", GL2_GUIDE.lower()], index=["a", "b", "c"]
    )
    table = design_feature_table(guides)
    assert list(table.index) == ["a", "b", "c"]
    assert list(table.columns) == list(design_features(GL2_GUIDE))
    assert (table.dtypes == np.float64).all()
    for label, guide in guides.items():
        assert table.loc[label].to_dict() == pytest.approx(design_features(guide))
    assert design_feature_table(pd.Series([], dtype=object)).shape == (0, table.shape[1])


def test_feature_table_names_the_bad_row():
    guides = pd.Series([GL2_GUIDE, GL2_GUIDE, "ACGUACGU"], index=[10, 11, 12])
    with pytest.raises(ValueError, match=r"row 3 \(index 12\).*'ACGUACGU'.*shorter"):
        design_feature_table(guides)
