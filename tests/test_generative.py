"""The GAN that designs binding sequences, and the functions that judge a set of sequences."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from dlgenomics import InputError
from dlgenomics.data.nucleotides import DNA, one_hot
from dlgenomics.data.nucleotides import reverse_complement_dna as reverse_complement
from dlgenomics.design.gan import (
    GanSettings,
    Generator,
    aligned_sites,
    consensus_hit_rate,
    consensus_hits,
    copy_fraction,
    judge,
    mean_pairwise_hamming,
    pwm_hit_rate,
    pwm_hits,
    pwm_log_odds,
    random_sequences,
    sample_sequences,
    train_gan,
    write_fasta,
)

CONSENSUS = "CGACCGAACTCC"


def _mutate(site: str, positions: list[int]) -> str:
    """`site` with the base at each of `positions` replaced by a different one."""
    letters = list(site)
    for p in positions:
        letters[p] = DNA[(DNA.index(letters[p]) + 1) % 4]
    return "".join(letters)


def _naive_hit(sequence: str, consensus: str, max_mismatches: int) -> bool:
    """Reference: every window, both strands, mismatches counted one letter at a time."""
    w = len(consensus)
    for site in (consensus, reverse_complement(consensus)):
        for start in range(len(sequence) - w + 1):
            window = sequence[start : start + w]
            if sum(a != b for a, b in zip(window, site, strict=True)) <= max_mismatches:
                return True
    return False


def _plant(background: str, site: str, start: int) -> str:
    return background[:start] + site + background[start + len(site) :]


@pytest.fixture(scope="module")
def planted() -> list[str]:
    """Ten sequences of length 40: five exact forward sites, one reverse-complemented site, one
    with 2 mismatches, one with 3 mismatches, two without a site."""
    backgrounds = random_sequences(10, 40, seed=12)
    assert not any(_naive_hit(b, CONSENSUS, 3) for b in backgrounds)  # a clean background
    sites = [CONSENSUS] * 5 + [
        reverse_complement(CONSENSUS),
        _mutate(CONSENSUS, [0, 7]),
        _mutate(CONSENSUS, [1, 5, 10]),
    ]
    starts = [0, 28, 5, 13, 20, 9, 17, 3]
    planted = [_plant(b, s, p) for b, s, p in zip(backgrounds, sites, starts, strict=False)]
    return planted + backgrounds[8:]


# --- Judging ----------------------------------------------------------------------------------


def test_aligned_sites_line_up_planted_sites_on_either_strand(planted):
    letters = one_hot([CONSENSUS])[0]
    sites = aligned_sites(planted, letters)
    assert sites.shape == (10, len(CONSENSUS), 4)
    # Exact sites at five positions and one on the reverse strand all read as the consensus.
    for row in range(6):
        assert (sites[row] == letters).all(), row
    # The 2-mismatch site is found where it was planted, mismatches and all.
    assert "".join(DNA[i] for i in sites[6].argmax(1)) == _mutate(CONSENSUS, [0, 7])
    # A matrix lines up the same sites: log-odds weights pick the same windows.
    matrix = np.full((len(CONSENSUS), 4), 0.1) + 0.6 * letters
    assert (aligned_sites(planted[:6], pwm_log_odds(matrix)) == letters).all()
    assert aligned_sites(["ACGT"], letters).shape == (0, len(CONSENSUS), 4)  # too short


def test_consensus_hit_rate_counts_strands_and_mismatches(planted):
    assert consensus_hit_rate(planted, CONSENSUS, 2) == pytest.approx(0.7)  # 3 mismatches: no
    assert consensus_hit_rate(planted, CONSENSUS, 0) == pytest.approx(0.6)  # reverse strand: yes
    assert consensus_hit_rate(planted, CONSENSUS, 3) == pytest.approx(0.8)
    assert consensus_hit_rate(planted[8:], CONSENSUS, 2) == 0.0
    assert consensus_hit_rate([s.lower() for s in planted], CONSENSUS, 2) == pytest.approx(0.7)


def test_consensus_hit_rate_matches_a_naive_scan():
    # A short consensus in random sequences of mixed lengths (one shorter than the consensus):
    # hits happen by chance, and the vectorised scan must agree with the letter-by-letter one.
    sequences = random_sequences(60, 30, seed=3) + random_sequences(40, 17, seed=4) + ["ACG"]
    for consensus, mismatches in [("GATAA", 0), ("GATAA", 1), ("GATAAG", 1), ("GATAAG", 2)]:
        naive = [_naive_hit(s, consensus, mismatches) for s in sequences]
        assert 0 < np.mean(naive) < 1
        assert consensus_hits(sequences, consensus, mismatches).tolist() == naive
        assert consensus_hit_rate(sequences, consensus, mismatches) == pytest.approx(np.mean(naive))


def test_consensus_hit_rate_rejects_bad_consensus():
    with pytest.raises(InputError):
        consensus_hit_rate(["ACGT"], "ACGN", 0)
    assert math.isnan(consensus_hit_rate([], CONSENSUS, 2))


def test_pwm_hit_rate_finds_planted_sites(planted):
    # 0.7 for the consensus base, 0.1 for the others: one mismatch scores ~0.85 of the best
    # possible score, two ~0.69, three ~0.54, so a 0.6 threshold means "at most 2 mismatches".
    soft = np.full((len(CONSENSUS), 4), 0.1)
    soft[np.arange(len(CONSENSUS)), [DNA.index(b) for b in CONSENSUS]] = 0.7
    assert pwm_hit_rate(planted, soft, 0.6) == pytest.approx(0.7)
    assert pwm_hit_rate(planted[8:], soft, 0.6) == 0.0  # no sites, no hits
    # A perfect site is exactly the best score: threshold 1 keeps only exact sites, both strands.
    assert pwm_hit_rate(planted, soft, 1.0) == pytest.approx(0.6)
    # Sequence by sequence: the five exact, the reverse-strand and the 2-mismatch sites.
    assert pwm_hits(planted, soft, 0.6).tolist() == [True] * 7 + [False] * 3
    with pytest.raises(InputError):
        pwm_hit_rate(planted, np.ones((3, 3)), 0.5)


def test_mean_pairwise_hamming_known_answers():
    # Distances 1, 4 and 3 over length 4: mean 8/3 positions = 2/3 of the length.
    assert mean_pairwise_hamming(["AAAA", "AAAT", "TTTT"]) == pytest.approx(2 / 3)
    assert mean_pairwise_hamming(["ACGT"] * 5) == 0.0
    assert mean_pairwise_hamming(["ACGT", "acgt"]) == 0.0
    assert math.isnan(mean_pairwise_hamming(["ACGT"]))
    with pytest.raises(InputError):
        mean_pairwise_hamming(["ACGT", "ACG"])


def test_mean_pairwise_hamming_samples_pairs_deterministically():
    sequences = random_sequences(100, 40, seed=5)  # 4950 pairs
    exact = mean_pairwise_hamming(sequences)
    sampled = mean_pairwise_hamming(sequences, max_pairs=2000, seed=1)
    assert sampled == mean_pairwise_hamming(sequences, max_pairs=2000, seed=1)
    assert sampled != mean_pairwise_hamming(sequences, max_pairs=2000, seed=2)
    assert sampled == pytest.approx(exact, abs=0.01)
    assert exact == pytest.approx(0.75, abs=0.01)  # unrelated uniform sequences


def test_copy_fraction_is_exact_strings():
    training = ["AAAA", "ACGT", "TTTC"]
    # "GAAA" is the reverse complement of "TTTC": not a copy by definition; case is ignored.
    assert copy_fraction(["AAAA", "GAAA", "acgt", "GGGG"], training) == pytest.approx(0.5)
    assert copy_fraction(["CCCC"], training) == 0.0
    assert copy_fraction(training, training) == 1.0


def test_judge_table(planted):
    background = random_sequences(20, 40, seed=8)
    sets = {"generated": planted, "training positives": planted[:7], "random": background}
    table = judge(sets, planted[:7], lambda s: consensus_hit_rate(s, CONSENSUS, 2))
    assert list(table.columns) == [
        "set",
        "sequences",
        "motif_rate",
        "mean_pairwise_hamming",
        "copies_of_training",
    ]
    assert table["set"].tolist() == list(sets)
    assert table["sequences"].tolist() == [10, 7, 20]
    assert table["motif_rate"].tolist() == pytest.approx([0.7, 1.0, 0.0])
    assert table["copies_of_training"].tolist() == pytest.approx([0.7, 1.0, 0.0])
    assert table.loc[0, "mean_pairwise_hamming"] == pytest.approx(mean_pairwise_hamming(planted))


def test_write_fasta(tmp_path):
    path = tmp_path / "out" / "designed.fa"
    write_fasta(["ACGT", "A" * 130], path)
    lines = path.read_text().splitlines()
    assert lines == [">generated_0001", "ACGT", ">generated_0002", "A" * 60, "A" * 60, "A" * 10]
    write_fasta(["CC"], path, prefix="random")
    assert path.read_text() == ">random_0001\nCC\n"
    assert [p.name for p in path.parent.iterdir()] == ["designed.fa"]  # no temporary left


def test_random_sequences():
    sequences = random_sequences(200, 30, seed=1)
    assert sequences == random_sequences(200, 30, seed=1)
    assert sequences != random_sequences(200, 30, seed=2)
    assert {len(s) for s in sequences} == {30}
    counts = one_hot(sequences).sum(axis=(0, 1)) / (200 * 30)
    assert np.allclose(counts, 0.25, atol=0.03)


# --- Sampling and training --------------------------------------------------------------------


def test_sample_sequences_deterministic_per_seed():
    settings = GanSettings(latent_dim=8, channels=8, blocks=1)
    torch.manual_seed(0)
    generator = Generator(25, settings)
    first = sample_sequences(generator, 50, seed=3)
    assert first == sample_sequences(generator, 50, seed=3)
    assert first != sample_sequences(generator, 50, seed=4)
    assert len(first) == 50
    assert all(len(s) == 25 and set(s) <= set(DNA) for s in first)
    assert sample_sequences(generator, 0, seed=3) == []


def test_train_gan_is_deterministic_and_logs_every_epoch():
    positives = one_hot(random_sequences(40, 12, seed=0))
    settings = GanSettings(
        latent_dim=8, channels=8, blocks=1, epochs=3, batch_size=8, critic_steps=2, seed=5
    )
    _, history = train_gan(positives, settings)
    generator, again = train_gan(positives, settings, motif_rate=lambda s: 0.5)
    losses = ["critic_loss", "generator_loss", "wasserstein", "gradient_penalty"]
    pd.testing.assert_frame_equal(history[losses], again[losses])
    assert history["epoch"].tolist() == [1, 2, 3]
    assert np.isfinite(history[losses].to_numpy()).all()
    assert history["motif_rate"].isna().all() and (again["motif_rate"] == 0.5).all()
    assert not generator.training
    with pytest.raises(InputError):
        train_gan(positives[:, :, :3], settings)


MOTIF = "GATAAG"


def _motif_rate(sequences) -> float:
    return consensus_hit_rate(sequences, MOTIF, 0)


@pytest.fixture(scope="module")
def planted_positives() -> np.ndarray:
    """256 sequences of length 20, each holding GATAAG at a random position in random
    background: what the GAN must learn to write, anywhere in the sequence."""
    rng = np.random.default_rng(0)
    backgrounds = random_sequences(256, 20 - len(MOTIF), seed=99)
    starts = rng.integers(0, 20 - len(MOTIF) + 1, size=len(backgrounds))
    return one_hot([b[:s] + MOTIF + b[s:] for b, s in zip(backgrounds, starts, strict=True)])


# Small and fast (about 10 s of CPU), large learning rate, and a critic step per real batch
# of 32, a generator step every second one: ~240 generator steps.
LEARNING = GanSettings(
    latent_dim=32,
    channels=32,
    blocks=1,
    epochs=60,
    batch_size=32,
    critic_steps=2,
    learning_rate=4e-3,
    monitor_samples=128,
)


def _learned(rate: float, chance: float) -> bool:
    return rate >= 0.5 and rate >= 5 * chance


def test_train_gan_learns_a_planted_motif(planted_positives):
    generator, history = train_gan(planted_positives, LEARNING, motif_rate=_motif_rate)
    generated = sample_sequences(generator, 1000, seed=123)
    chance = _motif_rate(random_sequences(1000, 20, seed=123))  # ~30 windows / 4096
    rate = _motif_rate(generated)
    assert _learned(rate, chance), (rate, chance)
    assert mean_pairwise_hamming(generated) > 0.3  # not a single sequence over and over
    assert history["epoch"].tolist() == list(range(1, LEARNING.epochs + 1))
    losses = ["critic_loss", "generator_loss", "wasserstein", "gradient_penalty"]
    assert np.isfinite(history[losses].to_numpy()).all()
    assert history["motif_rate"].iloc[-5:].mean() > history["motif_rate"].iloc[:5].mean() + 0.3


def test_untrained_generator_fails_the_same_bar(planted_positives):
    # The bar above means something: the same generator before any training does not pass it.
    untrained = replace(LEARNING, epochs=0)
    generator, history = train_gan(planted_positives, untrained, motif_rate=_motif_rate)
    assert len(history) == 0
    rate = _motif_rate(sample_sequences(generator, 1000, seed=123))
    assert not _learned(rate, _motif_rate(random_sequences(1000, 20, seed=123))), rate


# --- Design on any task: the rows learnt, and the judged table (dlgenomics.design.designer) ---


def test_design_rows_are_the_objectives_choice():
    from dlgenomics.design.targets import DESIGN_TARGETS

    binary, multiclass = DESIGN_TARGETS["binary"], DESIGN_TARGETS["multiclass"]
    regression, multilabel = DESIGN_TARGETS["regression"], DESIGN_TARGETS["multilabel"]
    rows = lambda mask: np.flatnonzero(mask).tolist()  # noqa: E731
    assert rows(binary.rows(np.array([0.0, 1, 1, 0, 1]), 0, 0.2)) == [1, 2, 4]
    classes = np.array([0.0, 2, 1, 2, 0, np.nan])
    assert rows(multiclass.rows(classes, 2, 0.2)) == [1, 3]
    assert rows(multiclass.rows(classes, 0, 0.2)) == [0, 4]
    labels = np.array([[1.0, 0], [0, 1], [1, 1]])
    assert rows(multilabel.rows(labels, 1, 0.2)) == [1, 2]
    # Regression: the ceil(fraction × n) highest known targets (0.3 × 10 is 3 rows, not 4).
    values = np.array([5.0, 9, 1, 7, np.nan, 3, 8, 2, 6, 4, 0])
    assert rows(regression.rows(values, 0, 0.3)) == [1, 3, 6]
    assert rows(regression.rows(values, 0, 0.2)) == [1, 6]
    assert rows(regression.rows(values, 0, 0.01)) == [1]  # at least one row
    tied = np.array([1.0, 3, 3, 2])  # the second-highest ties the highest: both are learnt
    assert rows(regression.rows(tied, 0, 0.25)) == [1, 2]


def _write_task(folder, sequences, target, labels=None):
    """train.parquet and vocab.json of a task with one DNA column, as encode writes them."""
    from dlgenomics.data.encode import build_vocab, encode_frame
    from dlgenomics.data.schema import write_tensors, write_vocab

    frame = pd.DataFrame(
        {"row_id": [str(i + 1) for i in range(len(sequences))], "seq_dna": sequences}
    ).assign(target=np.asarray(target, dtype=np.float32))
    vocab = build_vocab({"train": frame}, None, None)
    if labels:
        vocab["metric_options"] = {"labels": labels}
    columns, _ = encode_frame(frame, vocab, "test table", allow_n=True)
    columns["fold"] = np.zeros(len(frame), dtype=np.int8)
    write_tensors(columns, folder / "train.parquet")
    write_vocab(vocab, folder / "vocab.json")
    return folder / "train.parquet", folder / "vocab.json"


@pytest.mark.parametrize(
    ("objective", "target", "labels", "design", "expected", "learnt"),
    [
        ("binary", [0, 1, 1, 0, 1, 0], None, {}, [1, 2, 4], "bound training sequences"),
        ("multiclass", [0, 2, 1, 2, 0, 1], ["a", "b", "c"], {"label": "c"}, [1, 3],
         "training sequences of class c"),
        ("multiclass", [0, 2, 1, 2, 0, 1], ["a", "b", "c"], {}, [0, 4],
         "training sequences of class a"),
        ("regression", [0.5, 3.0, 0.1, 2.0, 1.0, 0.7], None, {"top_fraction": 0.3}, [1, 3],
         "training sequences with the top 30% of target values"),
    ],
)  # fmt: skip
def test_design_task_learns_the_rows_the_objective_chooses(
    tmp_path, objective, target, labels, design, expected, learnt
):
    from dlgenomics.design.designer import DesignTask

    sequences = random_sequences(6, 20, seed=7)
    train, vocab = _write_task(tmp_path, sequences, target, labels)
    task = DesignTask.load(train, vocab, objective, design, consensus=None, motifs=None)
    assert task.positives == [sequences[i] for i in expected]
    assert (task.learnt, task.motif, task.other_lengths) == (learnt, None, 0)
    assert task.name == (design.get("label") or (labels or ["output"])[0])


def test_design_task_learns_one_length_and_knows_a_consensus(tmp_path):
    from dlgenomics.design.designer import DesignTask

    sequences = random_sequences(4, 20, seed=1) + random_sequences(2, 16, seed=2)
    train, vocab = _write_task(tmp_path, sequences, [1, 1, 0, 1, 1, 1])
    task = DesignTask.load(train, vocab, "binary", {}, consensus="GATAAG", motifs=None)
    # Five positives: three of 20 nt (the most common length) are learnt, two of 16 are not.
    assert task.positives == [sequences[i] for i in (0, 1, 3)] and task.other_lengths == 2
    assert task.motif is not None and "GATAAG" in task.criterion
    with pytest.raises(InputError, match="'d' is not one of"):
        DesignTask.load(train, vocab, "binary", {"label": "d"}, consensus=None, motifs=None)


def test_judge_without_a_motif_leaves_the_motif_rate_out(planted):
    table = judge({"generated": planted, "random": planted[8:]}, planted[:7], None)
    assert list(table.columns) == [
        "set", "sequences", "mean_pairwise_hamming", "copies_of_training"
    ]  # fmt: skip


def test_enriched_kmer_finds_a_planted_site_on_either_strand():
    from dlgenomics.design.gan import enriched_kmer

    background = random_sequences(200, 30, seed=3)
    sites = [_plant(b, MOTIF if i % 2 else reverse_complement(MOTIF), i % 20)
             for i, b in enumerate(random_sequences(200, 30, seed=4))]  # fmt: skip
    assert enriched_kmer(sites, background, len(MOTIF)) == min(MOTIF, reverse_complement(MOTIF))
    assert enriched_kmer(["ACG"], background, 6) is None  # shorter than a k-mer


def _gc(sequences: list[str]) -> np.ndarray:
    return np.array([(s.count("G") + s.count("C")) / len(s) for s in sequences])


def _tiny_checkpoint(path, vocab_path, objective_name, sequences, target, labels):
    """A linear network (mlp without hidden layers) fitted for a few hundred steps on
    `sequences` and saved as train writes a fold model; loaded back as generate reads it."""
    from dlgenomics.data.schema import InputLayout, read_vocab
    from dlgenomics.data.tokens import encode_nucleotides
    from dlgenomics.models.architectures import build_model
    from dlgenomics.models.checkpoint import layout_dict, load_model, save_checkpoint
    from dlgenomics.tasks.objectives import OBJECTIVES

    vocab = read_vocab(vocab_path)
    layout, objective = InputLayout.from_vocab(vocab), OBJECTIVES[objective_name]
    params = {"hidden": [], "use_conditions": False}
    n_outputs = objective.n_outputs(labels or [])
    torch.manual_seed(0)
    network = build_model("mlp", params, layout, {}, n_outputs)
    ids = torch.from_numpy(encode_nucleotides(pd.Series(sequences), 20, "test"))
    target = np.asarray(target, dtype=np.float32)
    scale = objective.target_scale(target, np.arange(len(target)))
    y = torch.from_numpy((target - scale[0]) / scale[1])
    optimiser = torch.optim.Adam(network.parameters(), lr=0.02)
    for _ in range(150):
        loss = objective.loss(network({"seq_dna": ids}), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    save_checkpoint(
        path, network, model="mlp", params=params, layout=layout_dict(layout),
        numeric_stats={}, n_outputs=n_outputs, objective=objective_name,
        target_scale=list(scale), vocab=vocab,
    )  # fmt: skip
    return load_model(path)


@pytest.mark.parametrize(
    ("objective", "labels", "design", "score"),
    [
        ("regression", None, {"top_fraction": 0.2}, "predicted_value"),
        ("multiclass", ["low", "high"], {"label": "high"}, "class_probability"),
    ],
)
def test_designs_of_a_task_without_a_motif_are_judged_by_its_network(
    tmp_path, objective, labels, design, score
):
    """Train a tiny GAN (2 epochs) on a task whose target is GC content (regression) or high
    versus low GC (multiclass), judge its samples with a tiny fitted network: the table has
    the network's mean prediction and no motif rate, and the network ranks the GC-rich training
    sequences learnt above random ones."""
    from dlgenomics.design.designer import DesignTask, design_sequences, train_designer

    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), 20, p=[p, 0.5 - p, 0.5 - p, p]))
                 for p in rng.uniform(0.05, 0.45, 300)]  # fmt: skip
    gc = _gc(sequences)
    target = gc if objective == "regression" else (gc > np.median(gc)).astype(float)
    train, vocab = _write_task(tmp_path, sequences, target, labels)
    model = _tiny_checkpoint(tmp_path / "model.pt", vocab, objective, sequences, target, labels)
    gan = {"epochs": 2, "channels": 8, "latent_dim": 8, "blocks": 1, "batch_size": 32}
    task = DesignTask.load(
        train, vocab, objective, {**design, **gan, "samples": 40}, consensus=None, motifs=None
    )
    assert (_gc(task.positives) >= np.quantile(gc, 0.5)).all()
    names = ["generator", "history", "run", "curves", "fasta", "parquet", "csv", "html", "logo"]
    suffixes = [".pt", ".csv", ".json", ".png", ".fasta", ".parquet", ".csv", ".html", ".png"]
    out = {n: tmp_path / "generated" / f"{n}{s}" for n, s in zip(names, suffixes, strict=True)}
    history = train_designer(task, torch.device("cpu"), out)
    assert history["motif_rate"].isna().all() and len(history) == 2
    judged = design_sequences(task, out["generator"], ("mlp", [model]), out).set_index("set")
    assert list(judged.columns) == [
        "sequences", f"mean_{score}", "mean_pairwise_hamming", "copies_of_training"
    ]  # fmt: skip
    assert list(judged.index) == ["generated", "training positives", "random"]
    assert judged.loc["training positives", f"mean_{score}"] > judged.loc["random", f"mean_{score}"]
    sequences_file = pd.read_parquet(out["parquet"])
    assert list(sequences_file.columns) == ["sequence", score] and len(sequences_file) == 40
    assert judged.loc["generated", f"mean_{score}"] == pytest.approx(sequences_file[score].mean())
    assert pd.read_csv(out["csv"]).columns.tolist() == ["set", *judged.columns]
    assert "no motif rate" in out["html"].read_text() and out["logo"].stat().st_size > 0
