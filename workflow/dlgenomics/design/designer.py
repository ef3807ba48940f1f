"""Sequence design on any task of DNA sequences: the data a GAN learns (the objective's choice
of training rows: a binding task's bound ones, a class, the highest targets), the motif it is
judged by when one is known, the best network's mean prediction, and the files the two rules
write.

The GAN itself and the judging figures are in `dlgenomics.design.gan`; this module ties them
to the pipeline's encoded tensors, config and trained models.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from dlgenomics import InputError
from dlgenomics.data.encode import encode_frame
from dlgenomics.data.motifs import Motif, read_motifs
from dlgenomics.data.nucleotides import one_hot
from dlgenomics.data.schema import (
    ROW_ID,
    SEQ,
    TARGET,
    read_tensors,
    read_vocab,
    vocab_metric_options,
)
from dlgenomics.data.tokens import decode_nucleotides
from dlgenomics.design.gan import (
    GanSettings,
    Generator,
    aligned_sites,
    consensus_hits,
    enriched_kmer,
    judge,
    pwm_hits,
    pwm_log_odds,
    random_sequences,
    sample_sequences,
    train_gan,
    write_fasta,
)
from dlgenomics.design.targets import DESIGN_TARGETS
from dlgenomics.files import atomic_path, save_torch
from dlgenomics.models.checkpoint import predict, to_tensors
from dlgenomics.models.common import GenomicsModel
from dlgenomics.report import plots
from dlgenomics.report.html import note, table, write_page
from dlgenomics.report.provenance import write_provenance
from dlgenomics.tasks.objectives import OBJECTIVES, Objective

Model = tuple[GenomicsModel, dict[str, Any]]  # (network, checkpoint) from checkpoint.load_model


@dataclass
class DesignSettings:
    """A task's `design` config: which sequences to learn, how many to draw, how to judge."""

    label: str | None = None  # several classes or labels: the one learnt (default: the first)
    top_fraction: float = 0.2  # regression: learn the rows with the top fraction of targets
    samples: int = 1000
    seed: int = 0
    max_mismatches: int = 2  # consensus motif: mismatches allowed, either strand
    pwm_threshold: float = 0.8  # matrix motif: fraction of the best log-odds score
    gan: dict[str, Any] = field(default_factory=dict)  # GanSettings overrides (epochs, ...)

    @classmethod
    def from_config(cls, settings: dict[str, Any]) -> DesignSettings:
        own = {f.name for f in fields(cls)} - {"gan"}
        return cls(
            **{k: v for k, v in settings.items() if k in own},
            gan={k: v for k, v in settings.items() if k not in own},
        )

    def gan_settings(self) -> GanSettings:
        return GanSettings(**{**self.gan, "samples": self.samples, "seed": self.seed})


def head_of(objective: Objective, vocab: dict[str, Any], label: str | None) -> tuple[int, str]:
    """(output index, its name) of what is learnt: a task's named label or class (default the
    first), else the single output."""
    heads = objective.head_names(vocab_metric_options(vocab).get("labels", []))
    name = label or heads[0]
    if name not in heads:
        raise InputError(f"design.label: {name!r} is not one of the task's outputs {heads}")
    return heads.index(name), name


def sequence_column(vocab: dict[str, Any]) -> str:
    columns = [c for c in vocab["columns"] if c.startswith(SEQ)]
    if not columns:
        raise InputError("generate: the task's tensors hold no nucleotide column")
    return columns[0]


def learnt_sequences(
    train: Path, vocab: dict[str, Any], objective: Objective, head: int, top_fraction: float
) -> tuple[list[str], int]:
    """The training rows the objective has a GAN learn for output `head` (DESIGN_TARGETS), as
    DNA, and how many of them were left out for another length: a GAN writes one length, the
    most common one (ties: the longer). Test rows are left out, as from every model."""
    columns = read_tensors(train)
    rows = DESIGN_TARGETS[objective.name].rows(columns[TARGET], head, top_fraction)
    decoded = decode_nucleotides(columns[sequence_column(vocab)][rows])
    sequences = [sequence.replace("U", "T") for sequence in decoded]
    if not sequences:
        raise InputError(f"{train}: no training row to design from (output {head})")
    lengths = Counter(len(s) for s in sequences)
    length = max(lengths, key=lambda n: (lengths[n], n))
    return [s for s in sequences if len(s) == length], len(sequences) - lengths[length]


class MotifJudge(NamedTuple):
    """How designed sequences are judged against the task's known motif."""

    holds: Callable[[Sequence[str]], np.ndarray]  # (n,) bool: each sequence holds the motif
    criterion: str  # what holding it means, for tables and plots
    site_weights: np.ndarray  # (width, 4): scores windows, to line up each sequence's best site
    reference: tuple[str, np.ndarray]  # (name, (width, 4) probabilities): the known motif

    def rate(self, sequences: Sequence[str]) -> float:
        """Fraction of `sequences` holding the motif; NaN for none."""
        return float(np.mean(self.holds(sequences))) if len(sequences) else math.nan


def motif_judge(
    settings: DesignSettings, consensus: str | None, matrix: Motif | None
) -> MotifJudge | None:
    """The known motif as a judge: a JASPAR matrix (simulated tasks) or a consensus
    (`interpretation.known_motif`); None when neither is known (no motif rate is reported)."""
    if matrix is not None:
        probabilities = np.asarray(matrix.probabilities)
        threshold = settings.pwm_threshold
        return MotifJudge(
            partial(pwm_hits, probabilities=probabilities, threshold=threshold),
            f"{matrix.name} ({matrix.matrix_id}) score ≥ {threshold:.0%} of its best",
            pwm_log_odds(probabilities),
            (f"{matrix.name} ({matrix.matrix_id})", probabilities),
        )
    if not consensus:
        return None
    mismatches = settings.max_mismatches
    letters = one_hot([consensus.upper()])[0].astype(np.float64)
    return MotifJudge(
        partial(consensus_hits, consensus=consensus, max_mismatches=mismatches),
        f"{consensus} with ≤ {mismatches} mismatches, either strand",
        letters,
        (f"known motif {consensus}", letters),
    )


def known_matrix(motifs: Path | None, label: str) -> Motif | None:
    """A simulated task's matrix for `label` (None for the composite, or without matrices)."""
    return read_motifs(motifs).get(label) if motifs is not None else None


@dataclass
class DesignTask:
    """What both design rules start from: the training sequences the GAN learns and the known
    motif its samples are judged by, if any."""

    objective: Objective
    vocab: dict[str, Any]
    settings: DesignSettings
    head: int  # the model output whose sequences are learnt
    name: str  # its name: a class or label, or the single output's
    learnt: str  # what was learnt, in words ("bound training sequences", ...)
    positives: list[str]  # the training sequences learnt
    motif: MotifJudge | None
    other_lengths: int = 0  # rows chosen but left out: not the most common length

    @classmethod
    def load(
        cls,
        train: Path,
        vocab: Path,
        objective: str,
        settings: dict[str, Any],
        consensus: str | None,
        motifs: Path | None,
    ) -> DesignTask:
        """From the rules' inputs: train tensors, vocabulary, the task's objective name, its
        `design` config, its known consensus and a simulated task's matrices."""
        goal, vocabulary = OBJECTIVES[objective], read_vocab(vocab)
        design = DesignSettings.from_config(settings)
        head, name = head_of(goal, vocabulary, design.label)
        positives, other_lengths = learnt_sequences(
            train, vocabulary, goal, head, design.top_fraction
        )
        return cls(
            objective=goal,
            vocab=vocabulary,
            settings=design,
            head=head,
            name=name,
            learnt=DESIGN_TARGETS[goal.name].learnt(name, design.top_fraction),
            positives=positives,
            motif=motif_judge(design, consensus, known_matrix(motifs, name)),
            other_lengths=other_lengths,
        )

    @property
    def score(self) -> str:
        """The best network's prediction each sequence is judged by (a column name)."""
        return DESIGN_TARGETS[self.objective.name].score

    @property
    def criterion(self) -> str:
        return self.motif.criterion if self.motif else "no known motif: not judged"


def mean_predictions(
    sequences: Sequence[str], models: Sequence[Model], vocab: dict[str, Any], head: int
) -> np.ndarray:
    """The models' mean prediction for output `head` of each sequence, as the objective writes
    it (a probability, or the target's own units), both strands where the task reads both."""
    column = sequence_column(vocab)
    frame = pd.DataFrame(
        {
            ROW_ID: [str(i + 1) for i in range(len(sequences))],
            column: list(sequences),
            TARGET: np.zeros(len(sequences), dtype=np.float32),
        }
    )
    # Training sequences may hold N (read as unknown, as when they were trained on).
    columns, _ = encode_frame(frame, vocab, "designed sequences", allow_n=True)
    tensors = to_tensors({k: v for k, v in columns.items() if k != TARGET}, "cpu")
    total = np.zeros(len(sequences))
    for network, checkpoint in models:
        prediction = predict(network, checkpoint, tensors)
        total += prediction[:, head] if prediction.ndim == 2 else prediction
    return total / len(models)


# --- The train_gan rule -----------------------------------------------------------------------


def train_designer(task: DesignTask, device: torch.device, out: dict[str, Path]) -> pd.DataFrame:
    """Train the GAN on the task's learnt training sequences, following the motif rate of a
    fixed batch of its samples per epoch (NaN without a known motif); write the generator, its
    history and their curves, and run.json (settings, seed, time, package versions, device)."""
    gan = task.settings.gan_settings()
    rate = task.motif.rate if task.motif else None
    started = time.perf_counter()
    generator, history = train_gan(
        one_hot(task.positives), gan, device, motif_rate=rate, progress=True
    )
    seconds = time.perf_counter() - started
    save_generator(generator.cpu(), gan, out["generator"])
    write_provenance(
        out["run"],
        label=task.name,
        learnt=task.learnt,
        bound_training_sequences=len(task.positives),  # the sequences learnt, whatever they are
        left_out_other_lengths=task.other_lengths,
        settings=asdict(gan),
        seconds=round(seconds, 1),
        last_epoch=history.iloc[-1].to_dict(),
    )
    with atomic_path(out["history"]) as tmp:
        history.to_csv(tmp, index=False, float_format="%.5f")
    title = f"GAN trained on {len(task.positives)} {task.learnt}"
    plots.gan_curves(history, title, task.criterion, out["curves"])
    return history


def save_generator(generator: Generator, settings: GanSettings, path: Path) -> None:
    checkpoint = {
        "length": generator.length,
        "settings": asdict(settings),
        "state": generator.state_dict(),
    }
    save_torch(checkpoint, path)


def load_generator(path: Path) -> tuple[Generator, GanSettings]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    settings = GanSettings(**checkpoint["settings"])
    generator = Generator(checkpoint["length"], settings)
    generator.load_state_dict(checkpoint["state"])
    return generator.eval(), settings


# --- The generate rule: sample, judge, write --------------------------------------------------

SITE_KMER = 6  # no known motif: sites are lined up on the k-mer most enriched over random...
SITE_FLANK = 3  # ...with this many bases each side


def design_table(
    task: DesignTask, sets: dict[str, list[str]], models: Sequence[Model]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The comparison table (one row per set) and each set's mean predictions: the motif rate
    (when a motif is known), `mean_<score>`, diversity and copies of the sequences learnt."""
    predictions = {
        name: mean_predictions(s, models, task.vocab, task.head) for name, s in sets.items()
    }
    judged = judge(sets, task.positives, task.motif.rate if task.motif else None)
    at = judged.columns.get_loc("sequences") + 1 + int("motif_rate" in judged)
    judged.insert(at, f"mean_{task.score}", [predictions[n].mean() for n in sets])
    return judged, predictions


def logo_panels(
    sets: dict[str, list[str]], motif: MotifJudge | None
) -> list[tuple[str, np.ndarray]]:
    """Logo panels: the known motif, then each set's best site lined up (sites sit anywhere in
    a sequence, so a per-position logo of a whole set is flat; random sequences show what
    chance alone gives). Without a known motif, sites are lined up on the k-mer most enriched
    in the generated set over the random one, with flanks; failing any site (sequences too
    short), each set's base frequencies per position."""
    if motif is not None:
        panels, weights, what = [motif.reference], motif.site_weights, "best site"
    else:
        kmer = enriched_kmer(sets["generated"], sets["random"], SITE_KMER)
        flank = np.zeros((SITE_FLANK, 4))
        weights = np.vstack([flank, one_hot([kmer])[0], flank]) if kmer else np.zeros((0, 4))
        panels, what = [], f"site of {kmer} (most enriched over random, ±{SITE_FLANK} nt)"
    for name, sequences in sets.items():
        sites = aligned_sites(sequences, weights) if len(weights) else np.zeros((0, 0, 4))
        if len(sites):
            panels.append((f"{name}: {what} of each of {len(sites)}", sites.mean(axis=0)))
    if len(panels) <= int(motif is not None):
        panels += [
            (f"{name}: bases per position", one_hot(s).mean(axis=0) + 1e-9)
            for name, s in sets.items()
            if s
        ]
    return panels


def write_design(
    task: DesignTask,
    sets: dict[str, list[str]],
    judged: pd.DataFrame,
    prediction: np.ndarray,
    classifier: str,
    out: dict[str, Path],
) -> None:
    """sequences.fasta / .parquet, judged.csv / .html and logo.png of a designed set; `sets`
    as in `design_table`, "generated" first, `prediction` the generated set's."""
    generated = sets["generated"]
    write_fasta(generated, out["fasta"])
    sequences = pd.DataFrame({"sequence": generated, task.score: prediction})
    if task.motif:
        sequences["holds_motif"] = task.motif.holds(generated)
    with atomic_path(out["parquet"]) as tmp:
        sequences.to_parquet(tmp, index=False)
    with atomic_path(out["csv"]) as tmp:
        judged.to_csv(tmp, index=False, float_format="%.4f")
    motif = (
        f"Motif: {task.motif.criterion}."
        if task.motif
        else "Motif: none known (interpretation.known_motif), so no motif rate."
    )
    write_page(
        out["html"],
        f"Designed sequences, judged: GAN trained on {len(task.positives)} {task.learnt}",
        [
            (
                "",
                note(
                    f"{motif} {task.score.replace('_', ' ').capitalize()} ({task.name}): mean "
                    f"over the fold models of {classifier}, the task's best network. "
                    f"Training positives: the {task.learnt} the GAN learnt. Diversity: mean "
                    "pairwise Hamming distance as a fraction of the length. Copies: generated "
                    "sequences equal to a training positive."
                ),
            ),
            ("", table(judged, digits=3)),
        ],
    )
    plots.sequence_logos(logo_panels(sets, task.motif), out["logo"])


def design_sequences(
    task: DesignTask,
    generator_path: Path,
    classifier: tuple[str, Sequence[Model]],
    out: dict[str, Path],
) -> pd.DataFrame:
    """Sample `settings.samples` sequences from the trained generator and judge them beside
    the training sequences learnt and as many random sequences; write `out`. Returns the
    table."""
    settings = task.settings
    generator, _ = load_generator(generator_path)
    generated = sample_sequences(generator, settings.samples, settings.seed)
    length = len(generated[0])
    sets = {
        "generated": generated,
        "training positives": task.positives,
        "random": random_sequences(settings.samples, length, settings.seed + 1),
    }
    arch, models = classifier
    judged, predictions = design_table(task, sets, models)
    write_design(task, sets, judged, predictions["generated"], arch, out)
    return judged
