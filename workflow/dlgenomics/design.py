"""Sequence design on a binding task: the data a GAN learns (the bound training sequences), the
motif it is judged by, the trained classifier's verdict, and the files the two rules write.

The GAN itself and the judging figures are in `dlgenomics.generative`; this module ties them
to the pipeline's encoded tensors, config and trained models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from dlgenomics import InputError, plots
from dlgenomics.checkpoint import to_tensors
from dlgenomics.encode import encode_frame
from dlgenomics.files import atomic_path
from dlgenomics.generative import (
    GanSettings,
    Generator,
    aligned_sites,
    consensus_hits,
    judge,
    pwm_hits,
    pwm_log_odds,
    random_sequences,
    sample_sequences,
    train_gan,
    write_fasta,
)
from dlgenomics.html import note, table, write_page
from dlgenomics.interpret import Model, head_outputs
from dlgenomics.motifs import Motif, one_hot, read_motifs
from dlgenomics.objectives import OBJECTIVES, SINGLE_HEAD, Objective
from dlgenomics.provenance import write_provenance
from dlgenomics.schema import ROW_ID, SEQ, TARGET, read_tensors, read_vocab, vocab_metric_options
from dlgenomics.tasks import TASK_KINDS
from dlgenomics.tokens import decode_nucleotides


@dataclass
class DesignSettings:
    """A task's `design` config: which sequences to learn, how many to draw, how to judge."""

    label: str | None = None  # simulated tasks: the factor learnt (default: the first)
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
    """(output index, its name) of the learnt class: a task's named label or class (default
    the first), else the single output."""
    heads = objective.head_names(vocab_metric_options(vocab).get("labels", []))
    if heads == [SINGLE_HEAD]:
        return 0, "bound"
    name = label or heads[0]
    return heads.index(name), name


def sequence_column(vocab: dict[str, Any]) -> str:
    columns = [c for c in vocab["columns"] if c.startswith(SEQ)]
    if not columns:
        raise InputError("generate: the task's tensors hold no nucleotide column")
    return columns[0]


def bound_sequences(
    train: Path, vocab: dict[str, Any], objective: Objective, head: int
) -> list[str]:
    """The bound (positive) rows of the training tensors, as DNA: what the GAN learns. Test
    rows are left out, as from every model."""
    columns = read_tensors(train)
    bound = objective.is_positive(columns[TARGET], head)
    decoded = decode_nucleotides(columns[sequence_column(vocab)][bound])
    return [sequence.replace("U", "T") for sequence in decoded]


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
) -> MotifJudge:
    """The known motif as a judge: a JASPAR matrix (simulated tasks) or a consensus (primer)."""
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
        raise InputError("generate: no known motif to judge sequences by")
    mismatches = settings.max_mismatches
    letters = one_hot([consensus.upper()])[0].astype(np.float64)
    return MotifJudge(
        partial(consensus_hits, consensus=consensus, max_mismatches=mismatches),
        f"{consensus} with ≤ {mismatches} mismatches, either strand",
        letters,
        (f"known motif {consensus}", letters),
    )


def known_matrix(motifs: Path | None, label: str) -> Motif | None:
    return read_motifs(motifs)[label] if motifs is not None else None


@dataclass
class DesignTask:
    """What both design rules start from: the task's bound training sequences (what the GAN
    learns) and the known motif (what its samples are judged by)."""

    objective: Objective
    vocab: dict[str, Any]
    settings: DesignSettings
    head: int  # the model output of the learnt class
    name: str  # its name: a simulated factor, or "bound"
    positives: list[str]
    motif: MotifJudge

    @classmethod
    def load(
        cls,
        train: Path,
        vocab: Path,
        kind: str,
        settings: dict[str, Any],
        consensus: str | None,
        motifs: Path | None,
    ) -> DesignTask:
        """From the rules' inputs: train tensors, vocabulary, kind name, `design` config, the
        primer's consensus and a simulated task's matrices."""
        objective, vocabulary = OBJECTIVES[TASK_KINDS[kind].objective], read_vocab(vocab)
        design = DesignSettings.from_config(settings)
        head, name = head_of(objective, vocabulary, design.label)
        return cls(
            objective=objective,
            vocab=vocabulary,
            settings=design,
            head=head,
            name=name,
            positives=bound_sequences(train, vocabulary, objective, head),
            motif=motif_judge(design, consensus, known_matrix(motifs, name)),
        )


def binding_probability(
    sequences: Sequence[str], models: Sequence[Model], vocab: dict[str, Any], head: int
) -> np.ndarray:
    """The models' mean predicted probability that each sequence is bound (output `head`)."""
    column = sequence_column(vocab)
    frame = pd.DataFrame(
        {
            ROW_ID: [str(i + 1) for i in range(len(sequences))],
            column: list(sequences),
            TARGET: np.zeros(len(sequences), dtype=np.float32),
        }
    )
    columns, _ = encode_frame(frame, vocab, "generated sequences", allow_n=False)
    logits = head_outputs(models, to_tensors(columns, "cpu"), head)
    return 1.0 / (1.0 + np.exp(-logits))


# --- The train_gan rule -----------------------------------------------------------------------


def train_designer(task: DesignTask, device: torch.device, out: dict[str, Path]) -> pd.DataFrame:
    """Train the GAN on the task's bound training sequences, following the motif rate of a
    fixed batch of its samples per epoch; write the generator, its history and their curves,
    and run.json (settings, seed, time, package versions, device)."""
    gan = task.settings.gan_settings()
    started = time.perf_counter()
    generator, history = train_gan(
        one_hot(task.positives), gan, device, motif_rate=task.motif.rate, progress=True
    )
    seconds = time.perf_counter() - started
    save_generator(generator.cpu(), gan, out["generator"])
    write_provenance(
        out["run"],
        label=task.name,
        bound_training_sequences=len(task.positives),
        settings=asdict(gan),
        seconds=round(seconds, 1),
        last_epoch=history.iloc[-1].to_dict(),
    )
    with atomic_path(out["history"]) as tmp:
        history.to_csv(tmp, index=False, float_format="%.5f")
    factor = "" if task.name == "bound" else f" of {task.name}"
    learnt = f"{len(task.positives)} bound training sequences{factor}"
    plots.gan_curves(history, f"GAN trained on {learnt}", task.motif.criterion, out["curves"])
    return history


def save_generator(generator: Generator, settings: GanSettings, path: Path) -> None:
    checkpoint = {
        "length": generator.length,
        "settings": asdict(settings),
        "state": generator.state_dict(),
    }
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def load_generator(path: Path) -> tuple[Generator, GanSettings]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    settings = GanSettings(**checkpoint["settings"])
    generator = Generator(checkpoint["length"], settings)
    generator.load_state_dict(checkpoint["state"])
    return generator.eval(), settings


# --- The generate rule: sample, judge, write --------------------------------------------------


def design_table(
    sets: dict[str, list[str]],
    training: list[str],
    motif_rate: Callable[[Sequence[str]], float],
    models: Sequence[Model],
    vocab: dict[str, Any],
    head: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The comparison table (one row per set) and each set's binding probabilities."""
    probabilities = {name: binding_probability(s, models, vocab, head) for name, s in sets.items()}
    judged = judge(sets, training, motif_rate)
    judged.insert(3, "mean_binding_probability", [probabilities[n].mean() for n in sets])
    return judged, probabilities


def write_design(
    sets: dict[str, list[str]],
    probability: np.ndarray,
    motif: MotifJudge,
    judged: pd.DataFrame,
    title: str,
    classifier: str,
    out: dict[str, Path],
) -> None:
    """sequences.fasta / .parquet, judged.csv / .html and logo.png of a designed set; `sets`
    as in `design_table`, "generated" first, `probability` the generated set's."""
    generated = sets["generated"]
    write_fasta(generated, out["fasta"])
    holds = motif.holds(generated)
    sequences = pd.DataFrame(
        {"sequence": generated, "binding_probability": probability, "holds_motif": holds}
    )
    with atomic_path(out["parquet"]) as tmp:
        sequences.to_parquet(tmp, index=False)
    with atomic_path(out["csv"]) as tmp:
        judged.to_csv(tmp, index=False, float_format="%.4f")
    write_page(
        out["html"],
        title,
        [
            (
                "",
                note(
                    f"Motif: {motif.criterion}. Binding probability: mean over the fold models "
                    f"of {classifier}, the task's best network. Diversity: mean pairwise Hamming "
                    "distance as a fraction of the length. Copies: generated sequences equal "
                    "to a training positive."
                ),
            ),
            ("", table(judged, digits=3)),
        ],
    )
    # Sites sit anywhere in a sequence, so a per-position logo of the whole set is flat: each
    # set's best window is lined up instead (random sequences show what chance alone gives).
    plots.sequence_logos(
        [motif.reference]
        + [
            (f"{name}: best site of each of {len(s)}", aligned_sites(s, motif.site_weights).mean(0))
            for name, s in sets.items()
        ],
        out["logo"],
    )


def design_sequences(
    task: DesignTask,
    generator_path: Path,
    classifier: tuple[str, Sequence[Model]],
    out: dict[str, Path],
) -> pd.DataFrame:
    """Sample `settings.samples` sequences from the trained generator and judge them beside
    the training positives and as many random sequences; write `out`. Returns the table."""
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
    judged, probabilities = design_table(
        sets, task.positives, task.motif.rate, models, task.vocab, task.head
    )
    write_design(
        sets,
        probabilities["generated"],
        task.motif,
        judged,
        f"Designed {task.name} sequences, judged",
        arch,
        out,
    )
    return judged
