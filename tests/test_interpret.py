"""Attribution (gradient × input, in-silico mutagenesis) and motif recovery from trained models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from test_models import LAYOUT, batch

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.motifs import consensus, consensus_motif, jaspar_core, reverse_complement_pwm
from dlgenomics.data.schema import FOLD, ROW_ID, TARGET, InputLayout, write_tensors
from dlgenomics.evaluation.evaluate import ranked_networks
from dlgenomics.interpretation.attributions import (
    BASE_IDS,
    InterpretationSettings,
    _head_logos,
    choose_network,
    gradient_times_input,
    in_silico_mutagenesis,
    interpret_task,
    token_attribution_map,
    token_gradients,
)
from dlgenomics.interpretation.motifs import (
    best_matches,
    consensus_matches,
    motif_similarity,
    recover_motif,
)
from dlgenomics.models.architectures import build_model, networks
from dlgenomics.models.checkpoint import layout_dict, save_checkpoint
from dlgenomics.tasks.objectives import Scoring

PRIMER_MOTIF = "CGACCGAACTCC"
DNA_LAYOUT = InputLayout(
    token_vocab_sizes={"seq_dna": 6},
    token_vocab_names={"seq_dna": "nucleotide"},
    token_lengths={"seq_dna": 40},
    numeric=(),
    categorical={},
)


def dna_ids(sequences: list[str]) -> torch.Tensor:
    return torch.from_numpy(tokens.encode_nucleotides(pd.Series(sequences), 40, "test", True))


def random_dna(rng: np.random.Generator, n: int, length: int = 40) -> list[str]:
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


def test_saliency_and_mutagenesis_agree_exactly_on_a_linear_model():
    """For f = w·onehot + b the gradient at (position, base) is w itself, and substituting the
    base present by b changes f by w[b] - w[present]: two independent code paths, one answer."""
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [], "use_conditions": False}, DNA_LAYOUT)
    ids = dna_ids(random_dna(np.random.default_rng(0), 6))
    columns = {"seq_dna": ids}
    gradient = token_gradients([(model, {})], columns, head=0)["seq_dna"]
    ism = in_silico_mutagenesis([(model, {})], columns, "seq_dna", head=0)
    present = np.take_along_axis(gradient, ids.numpy()[..., None].astype(np.int64), axis=2)
    assert np.allclose(ism, gradient[:, :, BASE_IDS] - present, atol=1e-5)
    weights = model.net[0].weight.detach().numpy().reshape(40, 6)
    assert np.allclose(gradient, np.broadcast_to(weights, gradient.shape), atol=1e-6)
    saliency = gradient_times_input(gradient, ids.numpy())
    assert np.allclose(saliency.sum(axis=2), present[..., 0])  # only the base present counts
    assert (np.count_nonzero(saliency, axis=2) <= 1).all()


def test_a_contrasted_head_is_explained_less_the_mean_of_all_heads():
    """`contrast`: a head's gradients and mutation effects are its own less the mean over the
    heads (a linear model of three heads: exactly w_head - mean(w)); a pattern every head
    shares gives nothing."""
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [], "use_conditions": False}, DNA_LAYOUT, None, 3)
    ids = dna_ids(random_dna(np.random.default_rng(1), 5))
    columns = {"seq_dna": ids}
    each = [token_gradients([(model, {})], columns, head=h)["seq_dna"] for h in range(3)]
    contrasted = token_gradients([(model, {})], columns, head=1, contrast=True)["seq_dna"]
    assert np.allclose(contrasted, each[1] - np.mean(each, axis=0), atol=1e-6)
    effects = [in_silico_mutagenesis([(model, {})], columns, "seq_dna", head=h) for h in range(3)]
    ism = in_silico_mutagenesis([(model, {})], columns, "seq_dna", head=1, contrast=True)
    assert np.allclose(ism, effects[1] - np.mean(effects, axis=0), atol=1e-5)
    with torch.no_grad():  # every head the same: nothing sets one apart
        model.net[0].weight[:] = model.net[0].weight[:1]
        model.net[0].bias[:] = model.net[0].bias[:1]
    shared = token_gradients([(model, {})], columns, head=2, contrast=True)["seq_dna"]
    assert np.abs(shared).max() < 1e-6 < np.abs(each[2]).max()


@pytest.mark.parametrize("name", sorted(networks()))
def test_every_architecture_exposes_the_gradient_of_each_token_column_it_reads(name):
    torch.manual_seed(0)
    model = build_model(name, {}, LAYOUT, {"num_log10_concentration_nm": (0.0, 1.0)})
    gradients = token_gradients([(model, {})], batch(), head=0)
    assert gradients, f"{name} embeds no token column through embed_tokens"
    for column, gradient in gradients.items():
        length = LAYOUT.token_lengths[column]
        assert gradient.shape == (5, length, LAYOUT.token_vocab_sizes[column])
        assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0
    # Nucleotides are always attributed; multimodal models also attribute the chemistry.
    assert any(c.startswith("seq_") for c in gradients)
    if name != "tutorial_cnn":
        assert any(c.startswith(("mod_", "nmod_")) for c in gradients)


def planted(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """Random DNA; the primer's motif planted at a random place in every other sequence."""
    sequences = random_dna(rng, n)
    labels = np.arange(n) % 2
    for i in np.flatnonzero(labels):
        start = int(rng.integers(0, 40 - len(PRIMER_MOTIF) + 1))
        sequences[i] = sequences[i][:start] + PRIMER_MOTIF + sequences[i][start + 12 :]
    return sequences, labels


def test_the_planted_motif_is_recovered_from_a_trained_network():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    sequences, labels = planted(rng, 800)
    ids, target = dna_ids(sequences), torch.tensor(labels, dtype=torch.float32)
    model = build_model("tutorial_cnn", {}, DNA_LAYOUT)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(15):
        for rows in torch.randperm(len(ids)).split(32):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model({"seq_dna": ids[rows]})[:, 0], target[rows]
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()

    held_out, held_labels = planted(rng, 200)
    columns = {"seq_dna": dna_ids(held_out)}
    positives = np.flatnonzero(held_labels)
    one_hot = (columns["seq_dna"].numpy()[..., None] == np.array(BASE_IDS)).astype(np.float32)
    known = consensus_motif("primer", PRIMER_MOTIF).probabilities

    gradient = token_gradients([(model, {})], columns, head=0)["seq_dna"]
    saliency = gradient_times_input(gradient, columns["seq_dna"].numpy()).sum(axis=2)
    from_saliency = recover_motif(one_hot, saliency, 12, positives)
    assert consensus_matches(from_saliency, known)["matches"] >= 10

    rows = positives[:20]
    ism = in_silico_mutagenesis([(model, {})], {"seq_dna": columns["seq_dna"][rows]}, "seq_dna", 0)
    from_ism = recover_motif(one_hot[rows], -ism.sum(axis=2) / 3, 12)
    assert consensus_matches(from_ism, known)["matches"] >= 10

    # The same recovery from an untrained network finds no such motif: the test can fail.
    untrained = build_model("tutorial_cnn", {}, DNA_LAYOUT)
    noise = token_gradients([(untrained, {})], columns, head=0)["seq_dna"]
    from_noise = recover_motif(
        one_hot, gradient_times_input(noise, columns["seq_dna"].numpy()).sum(axis=2), 12, positives
    )
    assert consensus_matches(from_noise, known)["matches"] <= 8


def test_token_attribution_map_averages_each_token_where_it_occurs():
    ids = np.array([[2, 3], [2, 4]])
    saliency = np.zeros((2, 2, 6))
    saliency[0, 0, 2], saliency[1, 0, 2] = 1.0, 3.0  # A at position 1 in both rows
    saliency[0, 1, 3], saliency[1, 1, 4] = -2.0, 5.0  # C, then G, at position 2
    attribution = token_attribution_map(saliency, ids)
    assert attribution.shape == (6, 2)
    assert attribution[2, 0] == 2.0 and attribution[3, 1] == -2.0 and attribution[4, 1] == 5.0
    assert np.isnan(attribution[3, 0]) and np.isnan(attribution[5, 1])  # never there


def test_networks_are_ranked_without_ensembles_or_gradient_boosting(tmp_path):
    board = tmp_path / "leaderboard.csv"
    pd.DataFrame({"architecture": ["ensemble", "gbm", "cnn", "mlp"]}).to_csv(board, index=False)
    assert ranked_networks(board, ["mlp", "cnn"]) == ["cnn", "mlp"]
    with pytest.raises(InputError, match="no network"):
        ranked_networks(board, ["lstm"])


def test_a_network_reading_no_nucleotides_is_passed_over(tmp_path):
    """A k-mer-only network has no base to attribute: the next best one is explained."""
    layout = InputLayout(
        token_vocab_sizes={"kmer_dna": 66, "seq_dna": 6},
        token_vocab_names={"kmer_dna": "kmer", "seq_dna": "nucleotide"},
        token_lengths={"kmer_dna": 13, "seq_dna": 40},
        numeric=(),
        categorical={},
    )
    paths = {}
    for name, params in (("kmers", {"inputs": ["kmer_dna"]}), ("bases", {"inputs": ["seq_dna"]})):
        model = build_model("cnn", params, layout)
        paths[name] = tmp_path / f"{name}.pt"
        meta = {"model": "cnn", "params": params, "n_outputs": 1, "numeric_stats": {}}
        save_checkpoint(paths[name], model, layout=layout_dict(layout), task_type="binary", **meta)
    candidates = [("kmers", [paths["kmers"]]), ("bases", [paths["bases"]])]
    arch, models, column, skipped = choose_network(candidates, InterpretationSettings())
    assert (arch, column, len(models)) == ("bases", "seq_dna", 1)
    assert len(skipped) == 1 and skipped[0].startswith("kmers: ")
    with pytest.raises(InputError, match="seq_other"):
        choose_network(candidates[1:], InterpretationSettings(column="seq_other"))


def uniform(columns: int) -> np.ndarray:
    return np.full((columns, 4), 0.25)


@pytest.fixture(scope="module")
def tbp():
    return next(motif for motif in jaspar_core() if motif.matrix_id == "MA0108.3")


def drawn(panel: np.ndarray) -> str:
    """A logo panel's consensus, "." where a column is uniform (drawn as nothing)."""
    letters = consensus(panel)
    uniform_rows = np.isclose(panel, 0.25).all(axis=1)
    return "".join(
        "." if flat else letter for letter, flat in zip(letters, uniform_rows, strict=True)
    )


def test_the_best_jaspar_match_is_drawn_in_line_with_the_recovered_motif(tbp):
    core = jaspar_core()
    # Recovered on the other strand, the site 2 columns in: turned to read as TBP does.
    found = reverse_complement_pwm(np.vstack([uniform(2), tbp.probabilities, uniform(4)]))
    match = best_matches(found, core)[0]
    panels = _head_logos("output", found, found, (None, None, None), (tbp, match))
    assert [title for title, _ in panels] == [
        "output, from saliency",
        "output, from ISM",
        "output, best JASPAR match: MA0108.3 TBP (1.00)",
    ]
    assert drawn(panels[0][1]) == ".." + tbp.consensus + "...." == drawn(panels[2][1]) + "...."
    # A match starting before the recovered motif: every panel of the head moves right.
    cut = tbp.probabilities[3:]
    match = next(m for m in best_matches(cut, core, top=len(core)) if m["name"] == "TBP")
    assert (match["strand"], match["offset"]) == ("+", -3)
    panels = _head_logos("output", cut, cut, (None, None, None), (tbp, match))
    assert drawn(panels[0][1]) == "..." + tbp.consensus[3:] and drawn(panels[2][1]) == tbp.consensus
    # With a known motif, its strand orients the panels and the JASPAR match follows it.
    flipped = reverse_complement_pwm(tbp.probabilities)
    match = best_matches(np.vstack([uniform(1), flipped]), core)[0]
    known = motif_similarity(np.vstack([uniform(1), flipped]), tbp)
    panels = _head_logos(
        "x", np.vstack([uniform(1), flipped]), flipped, (tbp, known, None), (tbp, match)
    )
    assert [title.split(",")[1] for title, _ in panels] == [
        f" from saliency: {tbp.length}/{tbp.length} match",
        " from ISM",
        " known: MA0108.3",
        " best JASPAR match: MA0108.3 TBP (1.00)",
    ]
    assert drawn(panels[0][1]) == tbp.consensus + "." == drawn(panels[2][1]) + "."
    assert drawn(panels[3][1]) == tbp.consensus


def test_interpretation_reports_the_best_jaspar_matches_of_every_head(tmp_path):
    """An untrained network, end to end on a few rows: a summary with JASPAR matches for the
    head, whatever it learned, and every figure."""
    torch.manual_seed(0)
    model = build_model("tutorial_cnn", {}, DNA_LAYOUT)
    params = {"model": "tutorial_cnn", "params": {}, "n_outputs": 1, "numeric_stats": {}}
    save_checkpoint(
        tmp_path / "model.pt", model, layout=layout_dict(DNA_LAYOUT), task_type="binary", **params
    )
    sequences, labels = planted(np.random.default_rng(1), 24)
    columns = {
        ROW_ID: np.array([f"r{i}" for i in range(24)]),
        TARGET: labels.astype(np.float32),
        FOLD: np.zeros(24, dtype=np.int64),
        "seq_dna": dna_ids(sequences).numpy(),
    }
    write_tensors(columns, tmp_path / "test.parquet")
    vocab = {"tokens": {"nucleotide": tokens.nucleotide_vocab()}}
    vocab["columns"] = {"seq_dna": {"vocab": "nucleotide"}}
    out = {k: tmp_path / f"{k}.{e}" for k, e in (("summary", "json"), ("attributions", "npz"))}
    out.update({k: tmp_path / f"{k}.png" for k in ("logos", "maps", "heatmap")})
    summary = interpret_task(
        scoring=Scoring("binary", "binary", "auroc"),
        candidates=[("tutorial_cnn", [tmp_path / "model.pt"])],
        test=(tmp_path / "test.parquet", None),
        train=(tmp_path / "test.parquet", None),
        vocab=vocab,
        settings=InterpretationSettings(ism_rows=2, examples=1, jaspar_top=3),
        known={},
        out=out,
    )
    head = summary["heads"]["output"]
    assert len(head["jaspar_matches"]) == 3 and "saliency_match" not in head
    assert {"matrix_id", "similarity", "strand", "offset"} <= set(head["jaspar_matches"][0])
    assert json.loads(out["summary"].read_text()) == summary
    assert all(path.stat().st_size > 0 for path in out.values())


def test_only_the_named_heads_are_explained_and_an_unknown_name_is_refused():
    """`interpretation.heads`: the outputs named, in the network's order; a name the task has
    no output for is one line naming the outputs there are."""
    settings = InterpretationSettings.from_config({"heads": ["Reb1", "Abf1"]})
    assert settings.explained(["Abf1", "Sua7", "Reb1"]) == [(0, "Abf1"), (2, "Reb1")]
    assert InterpretationSettings().explained(["a", "b"]) == [(0, "a"), (1, "b")]
    refused = InterpretationSettings.from_config({"heads": ["Rap1"]})
    with pytest.raises(InputError, match=r"Rap1 is not an output.*Abf1, Sua7"):
        refused.explained(["Abf1", "Sua7"])
