import numpy as np
import pandas as pd
import pytest

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.tokens import (
    PAD_ID,
    UNK_ID,
    decode_nucleotides,
    encode_kmers,
    encode_nucleotides,
    encode_tokens,
    kmer_length,
    kmer_vocab,
    nucleotide_vocab,
)


def test_nucleotides_get_fixed_ids_and_padding():
    ids = encode_nucleotides(pd.Series(["ACGU", "ac", "TN"]), 5, "t")
    assert nucleotide_vocab() == ["<pad>", "<unk>", "A", "C", "G", "U"]
    np.testing.assert_array_equal(
        ids, [[2, 3, 4, 5, 0], [2, 3, 0, 0, 0], [5, UNK_ID, 0, 0, 0]]
    )  # T and U share an id; lower case is sequence; N is unknown
    assert ids.dtype == np.int16
    assert decode_nucleotides(ids) == ["ACGU", "AC", "UN"]


def test_invalid_character_names_row_and_position():
    with pytest.raises(InputError, match=r"file.csv: row 2: character 'X' at position 3"):
        encode_nucleotides(pd.Series(["ACG", "ACXG"]), 4, "file.csv")


def test_too_long_and_missing_sequences_are_errors():
    with pytest.raises(InputError, match="row 1: sequence of 5 nt, longer than 4"):
        encode_nucleotides(pd.Series(["ACGUA"]), 4, "t")
    with pytest.raises(InputError, match="row 2: missing sequence"):
        encode_nucleotides(pd.Series(["ACG", None]), 4, "t")
    with pytest.raises(InputError, match="not a nucleotide"):
        encode_nucleotides(pd.Series(["ACN"]), 4, "t", allow_n=False)


def test_kmers_match_the_baseline_tokeniser():
    # The baseline: [t[i:i+3] for i in range(0, len(t), 3) if len(t[i:i+3]) == 3]
    sequences = ["ACGUACG", "UUUAAAC"]
    nucleotides = encode_nucleotides(pd.Series(sequences), 8, "t")
    ids = encode_kmers(nucleotides, k=3, stride=3)
    vocab = kmer_vocab(3)
    assert ids.shape == (2, kmer_length(8, 3, 3)) == (2, 2)
    for row, sequence in zip(ids, sequences, strict=True):
        expected = [sequence[i : i + 3] for i in range(0, len(sequence), 3)]
        expected = [k for k in expected if len(k) == 3]
        assert [vocab[i] for i in row if i != PAD_ID] == expected
    assert len(vocab) == 2 + 4**3


def test_kmers_with_unknown_base_are_unknown():
    ids = encode_kmers(encode_nucleotides(pd.Series(["ANGACG"]), 6, "t"), k=3, stride=3)
    assert ids.tolist() == [[UNK_ID, kmer_vocab(3).index("ACG")]]


def test_modification_tokens_keep_order_and_count_unknowns():
    vocab = ["<pad>", "<unk>", "u", "Af", "VP", "s"]
    ids, unknown = encode_tokens(pd.Series(["VP u Af", "u s Zz Zz"]), vocab, 5, "t")
    np.testing.assert_array_equal(ids, [[4, 2, 3, 0, 0], [2, 5, 1, 1, 0]])
    assert unknown == {"Zz": 2}
    with pytest.raises(InputError, match="row 2: more than 3 tokens"):
        encode_tokens(pd.Series(["u", "u u u u"]), vocab, 3, "t")


def test_modifications_align_to_their_nucleotides():
    vocab = ["<pad>", "<unk>", "a", "Gf", "s", "VP", "L96", "u"]
    on_nucleotide = tokens.nucleotide_token_mask(vocab, ["s", "VP", "L96"])
    assert list(on_nucleotide) == [False, True, True, True, False, False, False, True]
    # VP a s Gf u L96  -> a, Gf, u on nucleotides 1-3; a list one nucleotide short -> UNK.
    lists = np.array([[5, 2, 4, 3, 7, 6], [2, 3, 0, 0, 0, 0]], dtype=np.int16)
    nucleotides = np.array([[2, 4, 5], [2, 4, 5]], dtype=np.int16)
    aligned, short = tokens.align_to_nucleotides(lists, nucleotides, on_nucleotide)
    assert aligned.tolist() == [[2, 3, 7], [2, 3, 1]]
    assert short == 1


def test_complement_ids_pair_watson_crick():
    ids = {b: i for i, b in enumerate(tokens.nucleotide_vocab())}
    complement = tokens.complement_ids()
    assert complement[ids["A"]] == ids["U"] and complement[ids["G"]] == ids["C"]
    assert complement[ids["C"]] == ids["G"] and complement[ids["U"]] == ids["A"]
    assert complement[tokens.PAD_ID] == complement[tokens.UNK_ID] == -1


def test_reverse_complement_of_ids_keeps_padding_on_the_right():
    import torch

    from dlgenomics.data.nucleotides import reverse_complement_batch, reverse_complement_ids

    frame = pd.Series(["ACGGT", "AAN", "TTGCA"])
    ids = torch.as_tensor(tokens.encode_nucleotides(frame, 6, "test", allow_n=True))
    flipped = tokens.decode_nucleotides(reverse_complement_ids(ids).numpy())
    # U stands for T in the shared vocabulary; N stays unknown; padding stays on the right.
    assert flipped[0].replace("U", "T") == "ACCGT"
    assert reverse_complement_ids(reverse_complement_ids(ids)).equal(ids)
    assert (reverse_complement_ids(ids)[1] == torch.as_tensor([1, 5, 5, 0, 0, 0])).all()
    rows = torch.as_tensor([True, False, True])
    batch = reverse_complement_batch({"seq_dna": ids, "num_x": torch.zeros(3)}, rows)
    assert batch["seq_dna"][1].equal(ids[1]) and batch["num_x"].equal(torch.zeros(3))
