from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlgenomics.sirna.target_site import (
    SITE_LENGTH,
    flank_sequences,
    locate_sites,
    reverse_complement,
)

# A 23-nt guide and the mRNA segment it pairs with: site (19 nt) preceded by 4 nt that pair
# with the guide's 3′ tail (positions 20–23).
GUIDE = "UGCCAUAUUGGACUUGGAACCAA"
SEGMENT = "TTGGTTCCAAGTCCAATATGGCA"  # reverse complement of GUIDE
SITE = SEGMENT[-SITE_LENGTH:]
LEFT = "GATTACAGATTACAGATTAC"  # 20 nt, no site-like text
RIGHT = "CCCCCGGGGGCCCCCGGGGG"


def locate(guides: list[str], transcripts: list, **kwargs) -> pd.DataFrame:
    return locate_sites(pd.Series(guides), pd.Series(transcripts, dtype=object), **kwargs)


def mutate(site: str, offsets: list[int]) -> str:
    """The site with the bases at the given 0-based offsets changed (A<->C, G<->T)."""
    swap = {"A": "C", "C": "A", "G": "T", "T": "G"}
    chars = list(site)
    for i in offsets:
        chars[i] = swap[chars[i]]
    return "".join(chars)


def test_planted_exact_site_gives_position_and_flank():
    transcript = LEFT + SEGMENT + RIGHT
    result = locate([GUIDE], [transcript])
    row = result.iloc[0]
    start = len(LEFT) + len(SEGMENT) - SITE_LENGTH
    assert bool(row.found) and row.position == start and row.mismatches == 0
    assert bool(row.pos1_paired)
    assert row.relative_position == pytest.approx(start / len(transcript))
    flanks = flank_sequences(pd.Series([transcript]), result.position, flank=5)
    assert flanks.tolist() == ["CTTGG" + "TTCCAAGTCCAATATGGCA" + "CCCCC"]
    assert len(flanks.iloc[0]) == SITE_LENGTH + 10


def test_two_mismatches_are_found_and_counted():
    # Offsets 0 and 10 of the site pair with guide positions 19 and 9: both in the core.
    transcript = LEFT + mutate(SITE, [0, 10]) + RIGHT
    row = locate([GUIDE], [transcript]).iloc[0]
    assert bool(row.found) and row.position == len(LEFT) and row.mismatches == 2


def test_five_mismatches_are_not_found_at_three():
    transcript = LEFT + mutate(SITE, [0, 3, 6, 9, 12]) + RIGHT
    row = locate([GUIDE], [transcript], max_mismatches=3).iloc[0]
    assert not row.found and row.position == -1
    assert np.isnan(row.mismatches) and np.isnan(row.relative_position)
    assert not row.pos1_paired
    loose = locate([GUIDE], [transcript], max_mismatches=5).iloc[0]
    assert loose.position == len(LEFT) and loose.mismatches == 5


def test_fewest_mismatches_win_over_an_earlier_site():
    transcript = LEFT + mutate(SITE, [2]) + LEFT + SITE + RIGHT
    row = locate([GUIDE], [transcript]).iloc[0]
    assert row.position == 2 * len(LEFT) + SITE_LENGTH and row.mismatches == 0


def test_position_1_mismatch_is_not_counted():
    # The site's 3′-most nucleotide pairs with guide position 1.
    transcript = LEFT + mutate(SITE, [SITE_LENGTH - 1]) + RIGHT
    row = locate([GUIDE], [transcript]).iloc[0]
    assert bool(row.found) and row.mismatches == 0 and not row.pos1_paired


def test_site_at_the_start_is_n_padded_in_the_flank():
    transcript = SITE + RIGHT
    result = locate([GUIDE], [transcript])
    assert result.position.tolist() == [0]
    flanks = flank_sequences(pd.Series([transcript]), result.position, flank=3)
    assert flanks.tolist() == ["NNN" + SITE + "CCC"]
    at_end = flank_sequences(pd.Series([RIGHT + SITE]), pd.Series([len(RIGHT)]), flank=3)
    assert at_end.tolist() == ["GGG" + SITE + "NNN"]


def test_missing_transcripts_are_not_found():
    result = locate([GUIDE, GUIDE, GUIDE], [None, "", LEFT + SEGMENT])
    assert result.found.tolist() == [False, False, True]
    assert result.position.tolist()[:2] == [-1, -1]
    flanks = flank_sequences(pd.Series([None, "", LEFT + SEGMENT]), result.position, flank=2)
    assert flanks.tolist()[:2] == ["N" * 23, "N" * 23]
    all_missing = locate_sites(pd.Series([GUIDE]), pd.Series([np.nan]))
    assert not all_missing.found.iloc[0]


def test_dna_rna_and_lower_case_letters_are_the_same_sequence():
    rna_transcript = (LEFT + SEGMENT + RIGHT).replace("T", "U").lower()
    dna_guide = GUIDE.replace("U", "T").lower()
    result = locate([GUIDE, dna_guide], [rna_transcript, LEFT + SEGMENT + RIGHT])
    assert result.position.tolist() == [len(LEFT) + 4] * 2
    assert result.mismatches.tolist() == [0, 0] and result.pos1_paired.all()
    flanks = flank_sequences(pd.Series([rna_transcript]), result.position.iloc[:1], flank=0)
    assert flanks.tolist() == [SITE]  # DNA, upper case


def test_n_in_the_transcript_never_matches():
    transcript = LEFT + "N" + SITE[1:] + RIGHT
    row = locate([GUIDE], [transcript]).iloc[0]
    assert row.position == len(LEFT) and row.mismatches == 1


def test_bad_guide_letter_names_the_row():
    with pytest.raises(ValueError, match=r"guide row 2: character 'X' at position 4"):
        locate([GUIDE, "UGCXAUAUUGGACUUGGAACCAA"], [SEGMENT, SEGMENT])
    with pytest.raises(ValueError, match=r"guide row 1: 18 nt, shorter than the 19-nt site"):
        locate([GUIDE[:18]], [SEGMENT])
    with pytest.raises(ValueError, match=r"guide row 1: missing sequence"):
        locate([None], [SEGMENT])
    with pytest.raises(ValueError, match=r"transcript row 1: character 'R'"):
        locate([GUIDE], ["ACGR" + SEGMENT])


def test_flank_rejects_a_position_off_the_transcript():
    with pytest.raises(ValueError, match="row 1: position 10 is not the start"):
        flank_sequences(pd.Series([SITE]), pd.Series([10]), flank=2)


def test_reverse_complement_reads_rna_and_dna():
    assert reverse_complement("UGCCn") == reverse_complement("TGCCN") == "NGGCA"


def test_real_example_row_is_an_exact_site(mirror):
    table = pd.read_csv(mirror / "sirna_competition" / "train_data.csv.gz", nrows=1)
    row = table.iloc[0]
    assert row.siRNA_antisense_seq == GUIDE and row.siRNA_sense_seq == "GGUUCCAAGUCCAAUAUGGCA"
    result = locate_sites(table.siRNA_antisense_seq, table.gene_target_seq).iloc[0]
    assert bool(result.found) and result.mismatches == 0 and bool(result.pos1_paired)
    assert row.gene_target_seq.find(SEGMENT) == result.position - 4
    flank = flank_sequences(table.gene_target_seq, pd.Series([result.position]), flank=2)
    assert flank.iloc[0][2:-2] == SITE
