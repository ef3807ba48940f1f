"""Motif matrices, simulation and motif recovery from attributions (dlgenomics.data.motifs,
dlgenomics.data.simulate, dlgenomics.interpretation.motifs)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from dlgenomics import InputError
from dlgenomics.data.motifs import (
    Motif,
    consensus,
    consensus_motif,
    dinucleotide_shuffle,
    information_content,
    jaspar_core,
    jaspar_motif,
    reverse_complement_pwm,
    sample_instance,
)
from dlgenomics.data.nucleotides import DNA, one_hot
from dlgenomics.data.nucleotides import reverse_complement_dna as reverse_complement
from dlgenomics.data.simulate import SimulationSettings, simulate_binding
from dlgenomics.interpretation.motifs import (
    ALIGN_SHIFT,
    align,
    best_matches,
    consensus_matches,
    motif_similarity,
    pwm_from_windows,
    recover_motif,
    refine_windows,
    top_windows,
)

PRIMER_MOTIF = "CGACCGAACTCC"
SMALL = SimulationSettings(rows=600, length=100, seed=7, background="random")


@pytest.fixture(scope="module")
def gata1() -> Motif:
    return jaspar_motif("gata1", "MA0035.4")


@pytest.fixture(scope="module")
def tal1() -> Motif:
    return jaspar_motif("tal1", "MA0091.1")


@pytest.fixture(scope="module")
def simulated(gata1: Motif, tal1: Motif) -> pd.DataFrame:
    return simulate_binding(gata1, tal1, SMALL)


def random_dna(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(DNA), length))


def parse_sites(sites: str) -> list[tuple[str, str, int]]:
    if not sites:
        return []
    return [(n, s, int(p)) for n, s, p in (site.split(":") for site in sites.split(";"))]


def log_likelihood_ratio(site: str, motif: Motif) -> float:
    """log P(site | motif) - log P(site | uniform background)."""
    rows = motif.probabilities[np.arange(len(site)), [DNA.index(b) for b in site]]
    return float(np.log(rows).sum() - len(site) * np.log(0.25))


# --- motifs -------------------------------------------------------------------------------------


def test_jaspar_matrices_match_the_database(gata1: Motif, tal1: Motif):
    assert gata1.length == 11 and gata1.consensus == "TTCTAATCTAT"
    assert gata1.matrix_id == "MA0035.4"
    assert tal1.consensus == "CGACCATCTGTT"
    for motif in (gata1, tal1):
        assert motif.probabilities.dtype == np.float64
        np.testing.assert_allclose(motif.probabilities.sum(axis=1), 1.0)
        assert (motif.probabilities > 0).all()  # the pseudocount removes zero counts


def test_unknown_jaspar_id_or_release_is_an_input_error():
    with pytest.raises(InputError, match=r"JASPAR2024.*MA9999\.1"):
        jaspar_motif("x", "MA9999.1")
    with pytest.raises(InputError, match="JASPAR1999"):
        jaspar_motif("x", "MA0035.4", release="JASPAR1999")


def test_consensus_motif_and_reverse_complements():
    motif = consensus_motif("primer", PRIMER_MOTIF)
    assert motif.consensus == PRIMER_MOTIF and motif.matrix_id == "" and motif.length == 12
    np.testing.assert_allclose(information_content(motif.probabilities), 2.0)
    assert reverse_complement("AACGTN") == "NACGTT"
    rc = reverse_complement_pwm(motif.probabilities)
    assert consensus(rc) == reverse_complement(PRIMER_MOTIF)
    np.testing.assert_array_equal(reverse_complement_pwm(rc), motif.probabilities)
    np.testing.assert_allclose(information_content(np.full((3, 4), 0.25)), 0.0)
    with pytest.raises(InputError, match="consensus"):
        consensus_motif("bad", "ACGU")


def test_sample_instance_follows_the_probabilities(gata1: Motif):
    rng = np.random.default_rng(1)
    instances = [sample_instance(gata1, rng) for _ in range(2000)]
    frequencies = one_hot(instances).mean(axis=0)
    np.testing.assert_allclose(frequencies, gata1.probabilities, atol=0.04)
    assert sample_instance(consensus_motif("p", PRIMER_MOTIF), rng) == PRIMER_MOTIF


def test_dinucleotide_shuffle_keeps_dinucleotides_and_ends():
    rng = np.random.default_rng(3)
    for length in (5, 37, 200):
        for _ in range(5):
            sequence = random_dna(rng, length)
            shuffled = dinucleotide_shuffle(sequence, rng)

            def pairs(s: str) -> Counter:
                return Counter(s[i : i + 2] for i in range(len(s) - 1))

            assert pairs(shuffled) == pairs(sequence)
            assert shuffled[0] == sequence[0] and shuffled[-1] == sequence[-1]
    long_sequence = random_dna(rng, 200)
    first = dinucleotide_shuffle(long_sequence, np.random.default_rng(11))
    assert first != long_sequence
    assert first == dinucleotide_shuffle(long_sequence, np.random.default_rng(11))
    assert first != dinucleotide_shuffle(long_sequence, np.random.default_rng(12))
    assert dinucleotide_shuffle("AC", rng) == "AC"


# --- simulation ---------------------------------------------------------------------------------


def test_simulation_is_deterministic_with_the_promised_shape(gata1, tal1, simulated):
    again = simulate_binding(gata1, tal1, SMALL)
    pd.testing.assert_frame_equal(simulated, again)
    other = simulate_binding(gata1, tal1, replace(SMALL, seed=8))
    assert not simulated["sequence"].equals(other["sequence"])
    assert list(simulated.columns) == [
        "row_id",
        "sequence",
        "label_gata1",
        "label_tal1",
        "label_composite",
        "sites",
    ]
    assert simulated["row_id"].tolist() == [str(i) for i in range(1, 601)]
    assert (simulated["sequence"].str.len() == 100).all()
    assert simulated["sequence"].str.fullmatch("[ACGT]+").all()


def classify(sites: str, spacing: int, first_length: int) -> str:
    named = {name: (strand, start) for name, strand, start in parse_sites(sites)}
    if not named:
        return "none"
    if len(named) == 1:
        return "first" if "gata1" in named else "second"
    gap = named["tal1"][1] - (named["gata1"][1] + first_length)
    return "composite" if gap == spacing else "both"


def test_class_fractions_sites_and_labels_agree(gata1, tal1, simulated):
    kinds = simulated["sites"].map(lambda s: classify(s, SMALL.spacing, gata1.length))
    shares = kinds.value_counts(normalize=True)
    for kind, share in SMALL.fractions.items():
        assert shares[kind] == pytest.approx(share, abs=0.01)
    assert shares["none"] == pytest.approx(0.3, abs=0.01)
    has = {
        name: simulated["sites"].map(lambda s, n=name: any(x[0] == n for x in parse_sites(s)))
        for name in ("gata1", "tal1")
    }
    # noise = 0: labels are exactly the truth in `sites`.
    assert (simulated["label_gata1"] == has["gata1"].astype(int)).all()
    assert (simulated["label_tal1"] == has["tal1"].astype(int)).all()
    assert (simulated["label_composite"] == (kinds == "composite").astype(int)).all()


def test_planted_sites_are_really_there(gata1, tal1, simulated):
    motifs = {"gata1": gata1, "tal1": tal1}
    ratios, strands = [], Counter()
    for sequence, sites in zip(simulated["sequence"], simulated["sites"], strict=True):
        spans = []
        for name, strand, start in parse_sites(sites):
            motif = motifs[name]
            site = sequence[start : start + motif.length]
            assert len(site) == motif.length
            if strand == "-":
                site = reverse_complement(site)
            ratios.append(log_likelihood_ratio(site, motif))
            strands[strand] += 1
            spans.append((start, start + motif.length))
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans))  # no overlaps
    ratios = np.array(ratios)
    # A sampled site is far likelier under its motif than under background; a random 11-mer
    # scores about -10 nats on average.
    assert (ratios > 0).mean() > 0.98 and np.median(ratios) > 5
    assert strands["+"] > 0.4 * len(ratios) and strands["-"] > 0.4 * len(ratios)


def test_composite_rows_have_the_exact_spacing(gata1, tal1):
    settings = replace(SMALL, rows=300, spacing=5, both_strands=False)
    table = simulate_binding(gata1, tal1, settings)
    composite = table[table["label_composite"] == 1]
    assert len(composite) == 45
    for sites in composite["sites"]:
        (n1, s1, p1), (n2, s2, p2) = parse_sites(sites)
        assert (n1, n2) == ("gata1", "tal1") and s1 == s2 == "+"
        assert p2 == p1 + gata1.length + 5
    both = table[(table["label_gata1"] == 1) & (table["label_tal1"] == 1)]
    both = both[both["label_composite"] == 0]
    assert len(both) == 45
    gaps = [
        dict((n, p) for n, _, p in parse_sites(s))["tal1"]
        - dict((n, p) for n, _, p in parse_sites(s))["gata1"]
        - gata1.length
        for s in both["sites"]
    ]
    assert 5 not in gaps and len(set(gaps)) > 10  # independent positions, never the composite


def test_label_noise_flips_about_that_share_and_nothing_else(gata1, tal1, simulated):
    noisy = simulate_binding(gata1, tal1, replace(SMALL, noise=0.2))
    assert noisy["sequence"].equals(simulated["sequence"])
    assert noisy["sites"].equals(simulated["sites"])
    columns = ["label_gata1", "label_tal1", "label_composite"]
    flipped = (noisy[columns].to_numpy() != simulated[columns].to_numpy()).mean()
    assert flipped == pytest.approx(0.2, abs=0.03)


def test_shuffled_background_hides_the_motifs_composition(gata1, tal1):
    # GC far from the motifs' so site composition would show if backgrounds did not carry it.
    def gc_gap(background: str) -> float:
        settings = replace(SMALL, rows=800, gc_content=0.7, background=background)
        table = simulate_binding(gata1, tal1, settings)
        gc = table["sequence"].map(lambda s: (s.count("G") + s.count("C")) / len(s))
        by_class = gc.groupby(table["label_gata1"] * 2 + table["label_tal1"]).mean()
        return float(by_class.max() - by_class.min())

    assert gc_gap("dinucleotide_shuffle") < 0.02
    assert gc_gap("random") > 0.04  # the check above can fail


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"fractions": {"first": 0.6, "second": 0.5}}, "fractions"),
        ({"fractions": {"third": 0.1}}, "third"),
        ({"length": 25}, "length"),
        ({"background": "genome"}, "background"),
        ({"noise": 0.6}, "noise"),
        ({"gc_content": 1.5}, "gc_content"),
        ({"rows": 0}, "rows"),
    ],
)
def test_bad_settings_name_the_setting(gata1, tal1, change, named):
    with pytest.raises(InputError, match=named):
        simulate_binding(gata1, tal1, replace(SMALL, **change))


# --- recovery -----------------------------------------------------------------------------------


def test_one_hot_and_windows():
    x = one_hot(["ACGTN", "acgtA"])
    assert x.shape == (2, 5, 4) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :4], np.eye(4))
    assert x[0, 4].sum() == 0
    np.testing.assert_array_equal(x[1], one_hot(["ACGTA"])[0])  # soft-masked is sequence
    with pytest.raises(InputError, match="length"):
        one_hot(["ACG", "ACGT"])
    attribution = np.array([[0, 1, 1, 0, 1, 1.0], [0, 0, 0, 0, 0, 0.0], [0, 0, 0, 0, 2, 3.0]])
    np.testing.assert_array_equal(top_windows(attribution, 2), [1, 0, 4])  # ties: leftmost
    with pytest.raises(InputError, match="width"):
        top_windows(attribution, 7)
    windows = one_hot(["ACA", "CAA"])  # windows "AC" and "AA"
    pwm = pwm_from_windows(windows, np.array([0, 1]), 2, pseudocount=0)
    np.testing.assert_allclose(pwm, [[1, 0, 0, 0], [0.5, 0.5, 0, 0]])
    weighted = pwm_from_windows(windows, np.array([0, 1]), 2, weights=np.array([3.0, 1.0]))
    np.testing.assert_allclose(weighted[1], np.array([1.5, 3.5, 0.5, 0.5]) / 6)
    with pytest.raises(InputError, match="inside"):
        pwm_from_windows(windows, np.array([0, 2]), 2)


def planted(seed: int, strand: str, width: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """300 random 60-mers, the primer motif planted in half; attribution 1 on the site, noise
    (sd 0.3) elsewhere. Returns one-hot, attribution and the positive mask."""
    rng = np.random.default_rng(seed)
    site = PRIMER_MOTIF if strand == "+" else reverse_complement(PRIMER_MOTIF)
    sequences, attribution = [], rng.normal(0.0, 0.3, size=(300, 60))
    positive = np.arange(300) < 150
    for row in range(300):
        sequence = random_dna(rng, 60)
        if positive[row]:
            start = int(rng.integers(60 - len(site) + 1))
            sequence = sequence[:start] + site + sequence[start + len(site) :]
            attribution[row, start : start + len(site)] = 1.0
        sequences.append(sequence)
    return one_hot(sequences), attribution, positive


def test_recovers_a_planted_motif_from_attributions():
    known = consensus_motif("primer", PRIMER_MOTIF)
    x, attribution, positive = planted(seed=5, strand="+")
    for rows, width in ((positive, 12), (None, 12), (positive, 16)):
        pwm = recover_motif(x, attribution, width, rows=rows)
        assert pwm.shape == (width + 2 * ALIGN_SHIFT, 4)
        match = consensus_matches(pwm, known.probabilities)
        assert match["matches"] >= 11 and match["strand"] == "+"
        assert align(pwm, known.probabilities)["correlation"] > 0.8
    report = motif_similarity(recover_motif(x, attribution, 16, rows=positive), known)
    assert report["known_consensus"] == PRIMER_MOTIF and report["found_consensus"] == PRIMER_MOTIF
    assert set(report) == {
        "known",
        "matrix_id",
        "known_consensus",
        "found_consensus",
        "matches",
        "length",
        "correlation",
        "offset",
        "strand",
    }
    # The 12-letter site lies somewhere inside the 16-wide window.
    assert report["length"] == 12 and 0 <= report["offset"] <= 4
    assert all(isinstance(v, str | int | float) for v in report.values())


def test_recovers_the_strand_and_fails_on_random_attribution():
    known = consensus_motif("primer", PRIMER_MOTIF).probabilities
    x, attribution, positive = planted(seed=6, strand="-")
    pwm = recover_motif(x, attribution, 12, rows=positive)
    match = consensus_matches(pwm, known)
    assert match["matches"] >= 11 and match["strand"] == "-"
    assert align(pwm, known)["strand"] == "-"
    random_attribution = np.random.default_rng(9).normal(size=attribution.shape)
    noise_pwm = recover_motif(x, random_attribution, 12, rows=positive)
    assert consensus_matches(noise_pwm, known)["matches"] <= 7
    assert align(noise_pwm, known)["correlation"] < 0.6


def test_align_a_matrix_with_itself_and_its_reverse_complement(gata1, tal1):
    for motif in (gata1, tal1):
        pwm = motif.probabilities
        same = align(pwm, pwm)
        assert (same["offset"], same["strand"], same["overlap"]) == (0, "+", motif.length)
        assert same["correlation"] == pytest.approx(1.0)
        matches = consensus_matches(pwm, pwm)
        assert matches["matches"] == matches["length"] == motif.length
        assert matches["found_consensus"] == motif.consensus
        flipped = reverse_complement_pwm(pwm)
        assert align(flipped, pwm)["strand"] == "-"
        assert align(flipped, pwm)["correlation"] == pytest.approx(1.0)
        assert consensus_matches(flipped, pwm)["strand"] == "-"
    # A shorter matrix lies fully inside the longer one at its true offset.
    inner = tal1.probabilities[3:9]
    assert align(inner, tal1.probabilities)["offset"] == 3
    short = consensus_matches(inner, tal1.probabilities)
    assert short["found_consensus"] == "---" + tal1.consensus[3:9] + "---"
    assert short["matches"] == 6


def test_windows_are_aligned_on_their_attributions():
    """Sites on random strands, the top-attribution windows up to 3 bases off: averaged as they
    are, the windows blur the motif with its reverse complement and shifted copies; aligned on
    their attributions, it comes back whole. Aligned on noise, it does not."""
    rng = np.random.default_rng(11)
    known = consensus_motif("primer", PRIMER_MOTIF).probabilities
    sequences, starts, contribution = [], [], np.zeros((200, 60))
    for row in range(200):
        sequence = random_dna(rng, 60)
        start = int(rng.integers(5, 60 - 17))
        site = PRIMER_MOTIF if rng.random() < 0.5 else reverse_complement(PRIMER_MOTIF)
        sequences.append(sequence[:start] + site + sequence[start + 12 :])
        contribution[row, start : start + 12] = 1.0 + np.arange(12) / 12  # a shape to align
        starts.append(start - 2 + int(rng.integers(-3, 4)))
    x, starts = one_hot(sequences), np.array(starts)
    weights = np.ones(len(starts))
    raw = pwm_from_windows(x, starts, 16, weights=weights)
    aligned = refine_windows(x, x * contribution[:, :, None], starts, 16, weights)
    assert align(raw, known)["correlation"] < 0.6
    assert consensus_matches(aligned, known)["matches"] == 12
    assert align(aligned, known)["correlation"] > 0.9
    noise = rng.normal(size=contribution.shape)
    unaligned = refine_windows(x, x * noise[:, :, None], starts, 16, weights)
    assert align(unaligned, known)["correlation"] < 0.6


# --- De novo motifs against JASPAR CORE ------------------------------------------------------

# The ChIP-seq factors of config/examples/chipseq.yaml, by their JASPAR 2024 CORE matrices.
CHIPSEQ_FACTORS = {"TBP": "MA0108.3", "SRF": "MA0083.3", "USF1": "MA0093.4", "TCF12": "MA1648.2"}


@pytest.fixture(scope="module")
def core() -> list[Motif]:
    return jaspar_core()


def test_jaspar_core_holds_every_vertebrate_matrix_once(core):
    ids = [motif.matrix_id for motif in core]
    assert len(core) > 500 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"MA\d{4}\.\d+", matrix_id) for matrix_id in ids)
    tbp = [motif for motif in core if motif.matrix_id.startswith("MA0108.")]
    assert [motif.name for motif in tbp] == ["TBP"] and tbp[0].family
    assert tbp[0] == jaspar_motif("TBP", tbp[0].matrix_id)  # same probabilities as one by one
    again = jaspar_core()
    assert again == core and again is not core  # cached, yet the caller's own list
    plants = jaspar_core(tax_group="plants")
    assert plants and not {m.matrix_id for m in plants} & set(ids)
    with pytest.raises(InputError, match="vertebrates"):
        jaspar_core(tax_group="vertebrate")
    with pytest.raises(InputError, match="unknown JASPAR release"):
        jaspar_core(release="JASPAR1999")


@pytest.mark.parametrize("factor", sorted(CHIPSEQ_FACTORS))
def test_a_jaspar_matrix_matches_itself_first_on_either_strand(core, factor):
    matrix_id = CHIPSEQ_FACTORS[factor]
    pwm = next(m for m in core if m.matrix_id == matrix_id).probabilities
    flank = np.full((3, 4), 0.25)
    for found, strand in (
        (pwm, "+"),
        (reverse_complement_pwm(pwm), "-"),
        (np.vstack([flank, pwm, flank[:1]]), "+"),  # uniform flanks are trimmed away
    ):
        matches = best_matches(found, core)
        assert len(matches) == 5
        assert set(matches[0]) == {"matrix_id", "name", "family", "similarity", "strand", "offset"}
        assert (matches[0]["matrix_id"], matches[0]["name"]) == (matrix_id, factor)
        assert matches[0]["similarity"] == pytest.approx(1.0)
        assert matches[0]["strand"] == strand
        assert matches[0]["offset"] == (3 if len(found) > len(pwm) else 0)
        similarities = [match["similarity"] for match in matches]
        assert similarities == sorted(similarities, reverse=True) and similarities[1] < 1.0


def test_best_matches_places_a_partial_match_and_scores_it_lower(core):
    """Half of TBP's matrix, reverse-complemented, after two uniform columns: TBP is found,
    starting where the half began (offset in the reverse complement), at a lower similarity."""
    tbp = next(m for m in core if m.matrix_id == CHIPSEQ_FACTORS["TBP"]).probabilities
    half = tbp[: len(tbp) // 2 + 2]
    found = reverse_complement_pwm(np.vstack([np.full((2, 4), 0.25), half]))
    ranked = best_matches(found, core, top=len(core))
    assert len(ranked) == len(core)
    tbp_match = next(m for m in ranked if m["matrix_id"] == CHIPSEQ_FACTORS["TBP"])
    assert tbp_match["strand"] == "-" and tbp_match["offset"] == 2
    assert 0.3 < tbp_match["similarity"] < 0.95
    assert all(-1.0 <= m["similarity"] <= 1.0 for m in ranked)
    with pytest.raises(InputError, match="top"):
        best_matches(found, core, top=0)
    with pytest.raises(InputError, match="empty"):
        best_matches(found, [])


def planted_matrix(motif: Motif, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As `planted`, sites sampled from `motif` on random strands of 300 random 60-mers."""
    rng = np.random.default_rng(seed)
    sequences, attribution = [], rng.normal(0.0, 0.3, size=(300, 60))
    positive = np.arange(300) < 150
    for row in range(300):
        sequence = random_dna(rng, 60)
        if positive[row]:
            site = sample_instance(motif, rng)
            site = site if rng.random() < 0.5 else reverse_complement(site)
            start = int(rng.integers(60 - len(site) + 1))
            sequence = sequence[:start] + site + sequence[start + len(site) :]
            attribution[row, start : start + len(site)] = 1.0
        sequences.append(sequence)
    return one_hot(sequences), attribution, positive


@pytest.mark.parametrize("factor", sorted(CHIPSEQ_FACTORS))
def test_a_planted_jaspar_motif_is_recovered_de_novo(core, factor):
    """No known motif given: the matrix recovered from the attributions has the planted one
    among its five best JASPAR matches; recovered from noise, it has not."""
    motif = next(m for m in core if m.matrix_id == CHIPSEQ_FACTORS[factor])
    x, attribution, positive = planted_matrix(motif, seed=len(factor))
    width = motif.length + 4
    pwm = recover_motif(x, attribution, width, rows=positive)
    matches = best_matches(pwm, core)
    assert motif.matrix_id in [match["matrix_id"] for match in matches]
    assert matches[0]["similarity"] > 0.8
    noise = np.random.default_rng(1).normal(size=attribution.shape)
    from_noise = best_matches(recover_motif(x, noise, width, rows=positive), core)
    assert motif.matrix_id not in [match["matrix_id"] for match in from_noise]
