from __future__ import annotations

import pandas as pd
import pytest

from dlgenomics.sirna.screening import ModificationTemplate, candidate_duplexes
from dlgenomics.sirna.target_site import reverse_complement
from dlgenomics.tasks.kinds.sirna_competition import SIRNA_NON_NUCLEOTIDE_TOKENS

VOCAB = [
    *"ACGUacgut",
    *(f"{b}f" for b in "ACGU"),
    *(f"d{b}" for b in "ACGT"),
    *(f"({b}gn)" for b in "ACGT"),
    *"Ps",
    "VP",
    "L96",
]
# The real example row (train_data.csv.gz, first row).
SENSE = "GGUUCCAAGUCCAAUAUGGCA"
ANTISENSE = "UGCCAUAUUGGACUUGGAACCAA"
SENSE_MODS = "g g u u c c Af a Gf Uf Cf c a a u a u g g c a L96"
ANTISENSE_MODS = "u Gf c c a Uf a Uf Uf g g a c Uf u Gf g a a c c a a"
TRANSCRIPT = "GATTACACCGTAGGCTTAACGGTCCATGACTTGCAGTCAA"  # 40 nt


def template(
    sense: str = SENSE_MODS, antisense: str = ANTISENSE_MODS, vocab: list[str] = VOCAB
) -> ModificationTemplate:
    n_sense = sum(t not in SIRNA_NON_NUCLEOTIDE_TOKENS for t in sense.split())
    n_anti = sum(t not in SIRNA_NON_NUCLEOTIDE_TOKENS for t in antisense.split())
    return ModificationTemplate.from_duplex(
        sense.split(), antisense.split(), n_sense, n_anti, vocab, SIRNA_NON_NUCLEOTIDE_TOKENS
    )


def test_template_abstracts_the_base_and_keeps_non_nucleotides():
    tpl = template("VP u Gf s dA (Cgn) A", "dT (Tgn) t a c")
    assert tpl.sense == ("VP", "{b}", "{B}f", "s", "d{B}", "({B}gn)", "{B}")
    # T is only spelling in dT and (Tgn); t sits beside u, so it is its own chemistry.
    assert tpl.antisense == ("d{B}", "({B}gn)", "t", "{b}", "{b}")
    assert (tpl.sense_length, tpl.antisense_length) == (5, 5)
    assert tpl.apply("AcgUt", "UUUGA") == ("VP a Cf s dG (Tgn) U", "dT (Tgn) t g a")


def test_real_template_gives_back_its_own_tokens():
    tpl = template()
    assert (tpl.sense_length, tpl.antisense_length) == (21, 23)
    assert tpl.apply(SENSE, ANTISENSE) == (SENSE_MODS, ANTISENSE_MODS)


def test_chemistry_without_a_token_for_the_base_raises():
    no_cgn = [t for t in VOCAB if t != "(Cgn)"]
    tpl = template("a (Agn) a", "u u u", vocab=no_cgn)
    assert tpl.apply("AAA", "UUU") == ("a (Agn) a", "u u u")
    with pytest.raises(ValueError, match=r"sense position 2: .*'\(Cgn\)'"):
        tpl.apply("ACA", "UUU")
    with pytest.raises(ValueError, match=r"antisense position 2: chemistry 't' has no token"):
        template("a a", "u t").apply("AA", "UA")


def test_bad_template_input_raises():
    with pytest.raises(ValueError, match=r"sense token 2: 'Xf' is not in the vocabulary"):
        template("a Xf", "u u")
    with pytest.raises(ValueError, match="sense: 2 nucleotide tokens, but the strand has 3"):
        ModificationTemplate.from_duplex(["a", "a"], ["u"], 3, 1, VOCAB, frozenset())
    with pytest.raises(ValueError, match="antisense: 2 nt, but the template has 3"):
        template("a a", "u u u").apply("AA", "UU")
    with pytest.raises(ValueError, match="sense: character 'N' at position 2"):
        template("a a", "u u").apply("AN", "UU")


def test_every_window_of_a_40_nt_transcript_is_a_candidate():
    frame = candidate_duplexes(TRANSCRIPT, template())
    assert list(frame.columns) == [
        "position",
        "target_site",
        "sense",
        "antisense",
        "mod_sense",
        "mod_antisense",
    ]
    assert len(frame) == 22 and frame.position.tolist() == list(range(1, 23))
    for row in frame.itertuples():
        assert row.target_site == TRANSCRIPT[row.position - 1 : row.position + 18]
        assert len(row.sense) == 21 and len(row.antisense) == 23
        assert len(row.mod_sense.split()) == 22 and len(row.mod_antisense.split()) == 23


def test_candidate_geometry_by_hand():
    row = candidate_duplexes(TRANSCRIPT, template()).set_index("position").loc[10]
    # Site = mRNA 10..28 (1-based); the guide also covers the 4 nt 5′ of it (6..9).
    assert row.target_site == "GTAGGCTTAACGGTCCATG"
    assert TRANSCRIPT[5:28] == "CACC" + "GTAGGCTTAACGGTCCATG"
    assert row.antisense == "CAUGGACCGUUAAGCCUACGGUG"  # reverse complement, in RNA
    assert row.sense == "CCGUAGGCUUAACGGUCCAUG"  # the segment's 3′-most 21 nt
    # Guide position 1 pairs with the site's 3′-most nt; positions 1–21 with the sense strand.
    pairs = {("A", "U"), ("U", "A"), ("G", "C"), ("C", "G")}
    assert all((g, s) in pairs for g, s in zip(row.antisense[:21], row.sense[::-1], strict=True))
    assert reverse_complement(row.antisense[:19]) == row.target_site
    assert (row.mod_sense, row.mod_antisense) == template().apply(row.sense, row.antisense)


def test_overhang_runs_off_the_5_prime_end_as_u():
    first = candidate_duplexes(TRANSCRIPT, template()).iloc[0]
    assert first.position == 1 and first.target_site == TRANSCRIPT[:19]
    assert first.antisense == reverse_complement(TRANSCRIPT[:19]).replace("T", "U") + "UUUU"
    assert first.sense == "AA" + TRANSCRIPT[:19].replace("T", "U")  # pairs with the guide's UU


def test_windows_with_n_are_skipped():
    # An N at mRNA position 26 touches every segment (site plus 4 nt 5′ of it) of sites 8..22.
    frame = candidate_duplexes(TRANSCRIPT[:25] + "N" + TRANSCRIPT[26:], template())
    assert frame.position.tolist() == list(range(1, 8))
    assert candidate_duplexes("ACGUN" * 3, template()).empty  # shorter than a site
    assert candidate_duplexes("N" * 30, template()).empty


def test_rna_dna_and_case_give_the_same_candidates():
    dna = candidate_duplexes(TRANSCRIPT, template())
    rna = candidate_duplexes(TRANSCRIPT.replace("T", "U").lower(), template())
    pd.testing.assert_frame_equal(dna, rna)


def test_bad_transcript_letter_raises():
    with pytest.raises(ValueError, match=r"transcript: character 'R' at position 3"):
        candidate_duplexes("ACRGT" * 10, template())


def test_real_row_is_among_its_transcripts_candidates(mirror):
    table = pd.read_csv(mirror / "sirna_competition" / "train_data.csv.gz", nrows=1)
    vocab = pd.read_csv(mirror / "sirna_competition" / "vocab.csv.gz").Abbreviation.tolist()
    row = table.iloc[0]
    assert (row.modified_siRNA_sense_seq_list, row.modified_siRNA_antisense_seq_list) == (
        SENSE_MODS,
        ANTISENSE_MODS,
    )
    tpl = template(vocab=vocab)
    assert tpl.apply(row.siRNA_sense_seq, row.siRNA_antisense_seq) == (SENSE_MODS, ANTISENSE_MODS)
    frame = candidate_duplexes(row.gene_target_seq, tpl)
    assert len(frame) == len(row.gene_target_seq) - 18
    match = frame[frame.antisense == ANTISENSE]
    assert match.position.tolist() == [260]  # site 0-based 259, as locate_sites finds it
    assert match.iloc[0][["sense", "mod_sense", "mod_antisense"]].tolist() == [
        SENSE,
        SENSE_MODS,
        ANTISENSE_MODS,
    ]
