"""Architecture pieces on hand-made inputs: graphs, pooling, positions, shapes and gradients."""

import numpy as np
import pytest
import torch

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.schema import InputLayout
from dlgenomics.models.architectures import build_model, networks
from dlgenomics.models.common import masked_mean_max, pooled_patches
from dlgenomics.models.gcn import backbone_adjacency, pairing_adjacency
from dlgenomics.models.transformer import sinusoidal_positions
from dlgenomics.training.pretraining import corrupt

IDS = {b: i for i, b in enumerate(tokens.nucleotide_vocab())}


def nucleotides(sequence: str, length: int) -> torch.Tensor:
    return torch.tensor([[IDS[b] for b in sequence] + [0] * (length - len(sequence))])


def reverse_complement(rna: str) -> str:
    return rna[::-1].translate(str.maketrans("ACGU", "UGCA"))


def strand_pairs(adjacency: torch.Tensor, first_length: int) -> set[tuple[int, int]]:
    """(position on strand 1, position on strand 2) of every pair edge."""
    block = adjacency[:first_length, first_length:]
    return {(int(i), int(j)) for i, j in torch.nonzero(block).tolist()}


def test_duplex_pair_edges_follow_watson_crick_pairing_with_an_overhang():
    sense = "GGUUCCAAGUCCAAUAUGGCA"  # 21 nt
    antisense = reverse_complement(sense) + "AA"  # 23 nt: 2-nt 3' overhang, as in the data
    pairs = pairing_adjacency(nucleotides(sense, 21), nucleotides(antisense, 23))[0]
    assert pairs.shape == (44, 44) and torch.equal(pairs, pairs.T)
    edges = strand_pairs(pairs, 21)
    # Sense position i faces antisense position 20 - i; the overhang pairs with nothing.
    assert edges == {(i, 20 - i) for i in range(21)}


def test_mismatches_get_no_pair_edge_and_the_register_may_shift():
    sense = "GGUUCCAAGUCCAAUAUGGCA"
    antisense = list("A" + reverse_complement(sense))  # extra 5' nucleotide: register shifts
    antisense[5] = "G" if antisense[5] != "G" else "A"  # one mismatch
    pairs = pairing_adjacency(nucleotides(sense, 21), nucleotides("".join(antisense), 23))[0]
    edges = strand_pairs(pairs, 21)
    assert edges == {(i, 21 - i) for i in range(21)} - {(16, 5)}


def test_backbone_joins_neighbours_within_each_strand_only():
    masks = [torch.tensor([[True, True, True, False]]), torch.tensor([[True, True]])]
    adjacency = backbone_adjacency(masks)[0]
    edges = {(int(i), int(j)) for i, j in torch.nonzero(torch.triu(adjacency), as_tuple=False)}
    assert edges == {(0, 1), (1, 2), (4, 5)}  # no edge into padding or across strands


def test_masked_pooling_ignores_padding():
    states = torch.tensor([[[1.0], [3.0], [100.0]]])
    pooled = masked_mean_max(states, torch.tensor([[True, True, False]]))
    assert pooled.tolist() == [[2.0, 3.0]]


def test_sinusoidal_positions():
    table = sinusoidal_positions(10, 8)
    assert table.shape == (10, 8)
    assert torch.allclose(table[0, 0::2], torch.zeros(4)) and torch.allclose(
        table[0, 1::2], torch.ones(4)
    )
    assert table[3, 0] == pytest.approx(np.sin(3.0))


def test_corruption_hides_the_same_positions_in_aligned_columns():
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(2, 6, (64, 20))
    ids[:, 15:] = 0
    noisy = corrupt({"seq": ids, "nmod": torch.where(ids == 0, 0, ids + 10)}, 0.3, generator)
    hidden = noisy["seq"] == tokens.UNK_ID
    assert torch.equal(hidden, noisy["nmod"] == tokens.UNK_ID)
    assert not hidden[:, 15:].any()  # padding is never corrupted
    assert 0.2 < hidden[:, :15].float().mean() < 0.4


LAYOUT = InputLayout(
    token_vocab_sizes={"seq_sense": 6, "seq_antisense": 6, "mod_sense": 9, "mod_antisense": 9,
                       "nmod_sense": 9, "nmod_antisense": 9},
    token_vocab_names={"seq_sense": "nucleotide", "seq_antisense": "nucleotide",
                       "mod_sense": "modification", "mod_antisense": "modification",
                       "nmod_sense": "modification", "nmod_antisense": "modification"},
    token_lengths={"seq_sense": 21, "seq_antisense": 23, "mod_sense": 22, "mod_antisense": 24,
                   "nmod_sense": 21, "nmod_antisense": 23},
    numeric=("num_log10_concentration_nm",),
    categorical={"cat_cell_line": 4},
)  # fmt: skip


def batch(n: int = 5) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    out = {
        c: torch.randint(2, LAYOUT.token_vocab_sizes[c], (n, length), generator=generator)
        for c, length in LAYOUT.token_lengths.items()
    }
    out["seq_sense"][:, 19:] = 0  # a shorter sense strand
    out["num_log10_concentration_nm"] = torch.randn(n)
    out["cat_cell_line"] = torch.randint(0, 4, (n,))
    return out


@pytest.mark.parametrize("name", sorted(networks()))
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_every_architecture_maps_a_batch_to_outputs_and_gradients(name, n_outputs):
    torch.manual_seed(0)
    model = build_model(name, {}, LAYOUT, {"num_log10_concentration_nm": (0.0, 1.0)}, n_outputs)
    output = model(batch())
    assert output.shape == (5, n_outputs) and torch.isfinite(output).all()
    output.sum().backward()
    no_gradient = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    unused = [n for n in no_gradient if not n.startswith("decoders.")]  # autoencoder pretraining
    assert not unused


@pytest.mark.parametrize("name", ["transformer", "gcn", "autoencoder"])
def test_padded_positions_are_never_read(name):
    """Whatever sits in a padded position (here: modification ids past the end of a shorter
    sense strand) cannot change the output: attention, graph and convolutions mask it."""
    torch.manual_seed(0)
    model = build_model(name, {"inputs": ["seq_sense"], "dropout": 0.0}, LAYOUT).eval()
    clean = batch(3)
    clean["nmod_sense"] = torch.where(clean["seq_sense"] == 0, 0, clean["nmod_sense"])
    garbage = {**clean, "nmod_sense": clean["nmod_sense"].clone()}
    garbage["nmod_sense"][:, 19:] = 7
    with torch.no_grad():
        assert torch.allclose(model(clean), model(garbage), atol=1e-5)
        # ...while the same change at a real position does change it.
        garbage["nmod_sense"][:, 3] = 8 - clean["nmod_sense"][:, 3] % 3
        assert not torch.allclose(model(clean), model(garbage), atol=1e-5)


def test_sequence_architectures_refuse_a_task_without_sequences():
    numbers_only = InputLayout({}, {}, {}, ("num_x1",), {})
    with pytest.raises(InputError, match="task has none"):
        build_model("transformer", {}, numbers_only)
    assert build_model("mlp", {}, numbers_only)({"num_x1": torch.zeros(3)}).shape == (
        3,
        1,
    )  # the tutorial MLP on numbers


def test_transformer_rejects_bad_settings():
    with pytest.raises(InputError, match="positions"):
        build_model("transformer", {"positions": "rotary"}, LAYOUT)
    with pytest.raises(InputError, match="divisible"):
        build_model("transformer", {"dim": 30, "heads": 4}, LAYOUT)


def test_patches_pool_runs_of_positions_and_keep_padding_out():
    states = torch.arange(1.0, 11.0).reshape(1, 5, 2)  # 5 positions of 2 features
    mask = torch.tensor([[True, True, True, False, False]])  # the last two are padding
    pooled, pooled_mask = pooled_patches(states, mask, 2, torch.nn.Identity())
    # Runs (1, 2), (3, 4), (5, pad): the padding's values never reach a patch.
    assert pooled.tolist() == [[[1, 2, 3, 4], [5, 6, 0, 0], [0, 0, 0, 0]]]
    assert pooled_mask.tolist() == [[True, True, False]]


@pytest.mark.parametrize("arch", ["transformer", "lstm"])
def test_patched_sequence_models_still_read_the_last_position(arch):
    torch.manual_seed(0)
    model = build_model(arch, {"patch": 4}, LAYOUT).eval()
    inputs = batch()
    changed = {**inputs, "seq_antisense": inputs["seq_antisense"].clone()}
    # Position 22 of 23 sits alone with padding in the sixth patch of 4.
    changed["seq_antisense"][0, 22] = 2 if int(inputs["seq_antisense"][0, 22]) != 2 else 3
    with torch.no_grad():
        before, after = model(inputs), model(changed)
    assert before.shape == (5, 1)
    assert not torch.allclose(before[0], after[0]) and torch.allclose(before[1:], after[1:])
    with pytest.raises(InputError, match="patch"):
        build_model(arch, {"patch": 0}, LAYOUT)


def test_tutorial_cnn_has_the_tutorial_keras_layers():
    # The primer tutorial on 50-bp one-hot DNA: Conv1D(32, 12) -> 39 positions, MaxPooling1D(4)
    # -> 9, Flatten -> 288, Dense(16), Dense(2, softmax) (here one logit: 17 weights, not 34).
    dna = InputLayout({"seq_dna": 6}, {"seq_dna": "nucleotide"}, {"seq_dna": 50}, (), {})
    model = build_model("tutorial_cnn", {}, dna)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "convs.seq_dna.weight": (32, 4, 12), "convs.seq_dna.bias": (32,),
        "dense.weight": (16, 288), "dense.bias": (16,),
        "out.weight": (1, 16), "out.bias": (1,),
    }  # fmt: skip
    assert sum(p.numel() for p in model.parameters()) == 1568 + 4624 + 17
    # Unknown bases and padding are all-zero one-hot rows: swapping one for the other changes
    # nothing, while a real base does.
    ids = torch.full((1, 50), IDS["A"])
    with torch.no_grad():
        padded, unknown = ids.clone(), ids.clone()
        padded[0, 40:] = IDS["<pad>"]
        unknown[0, 40:] = IDS["<unk>"]
        assert torch.equal(model({"seq_dna": padded}), model({"seq_dna": unknown}))
        assert not torch.equal(model({"seq_dna": padded}), model({"seq_dna": ids}))


def test_a_deeper_cnn_pools_between_layers_and_every_weight_learns():
    """`extra_layers`: kernel widths of both parities stack, each block pools `pool` wide (a
    21-nt strand pooled twice by 4 leaves 2 positions), and gradients reach every layer."""
    torch.manual_seed(0)
    params = {"kernel_sizes": [4, 7], "channels": 6, "extra_layers": 2, "pool": 4}
    model = build_model("cnn", params, LAYOUT, {"num_log10_concentration_nm": (0.0, 1.0)}, 3)
    tower = model.towers["seq_sense"]
    assert len(tower.deeper) == 6 and tower.out_dim == 12
    stacked = torch.randn(5, 12, 21)  # two widths × 6 channels over the sense strand
    assert tower.deeper(stacked).shape == (5, 6, 2)
    output = model(batch())
    assert output.shape == (5, 3) and torch.isfinite(output).all()
    output.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_batch_norm_follows_every_convolution_and_leaves_other_checkpoints_alone():
    """`batch_norm`: one BatchNorm1d per convolution (both widths and both deeper blocks),
    outputs normalised over the batch in training; off, the weights are the same as a network
    built without the setting, so earlier checkpoints load."""
    torch.manual_seed(0)
    params = {"kernel_sizes": [4, 7], "channels": 6, "extra_layers": 2, "pool": 4}
    plain = build_model("cnn", params, LAYOUT, {"num_log10_concentration_nm": (0.0, 1.0)}, 3)
    normed = build_model(
        "cnn", {**params, "batch_norm": True}, LAYOUT, {"num_log10_concentration_nm": (0.0, 1.0)}, 3
    )
    norms = [m for m in normed.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert len(norms) == len(normed.towers) * (2 + 2)  # per tower: two widths, two blocks
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in plain.modules())
    assert all("norms" not in key for key in plain.state_dict())
    tower = normed.towers["seq_sense"]
    first = tower.norms[0](tower.convs[0](torch.randn(8, tower.convs[0].in_channels, 21)))
    assert torch.allclose(first.mean(dim=(0, 2)), torch.zeros(6), atol=1e-5)
    output = normed(batch())
    output.sum().backward()
    assert output.shape == (5, 3) and all(n.weight.grad is not None for n in norms)
