"""What a trained network learned: attributions per sequence, and motifs recovered from them.

Two attributions of one model output (a head: the regression value, the logit of a binary
label, or one label's logit of a multi-label task), each averaged over the fold models:

- saliency, gradient × input: the output's gradient with respect to each position's one-hot
  token, at the token present. Any architecture works: models embed tokens through
  `models.common.embed_tokens`, whose recorded vectors are differentiated here.
- in-silico mutagenesis (ISM): the change in the output when one base is substituted, for every
  position and base — slower (3 L forward passes a sequence), so run on fewer rows.

Motifs: in each chosen row, the window with the highest summed attribution; the windows stacked
into a position weight matrix (dlgenomics.motifs) and compared with a known motif.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from dlgenomics import InputError, plots
from dlgenomics.checkpoint import load_model, to_tensors
from dlgenomics.files import atomic_path
from dlgenomics.metrics import SIRNA_FAMILIES
from dlgenomics.models.common import GenomicsModel, recording_token_vectors
from dlgenomics.motifs import (
    Motif,
    consensus,
    consensus_motif,
    motif_similarity,
    read_motifs,
    recover_motif,
    reverse_complement_pwm,
)
from dlgenomics.objectives import SINGLE_HEAD, Scoring
from dlgenomics.schema import KMER, ROW_ID, SEQ, TARGET, read_tensors
from dlgenomics.tokens import BASES, UNK, decode_nucleotides, nucleotide_vocab

BASE_IDS = [nucleotide_vocab().index(b) for b in BASES]  # token ids of A, C, G, U(T)
DEFAULT_WIDTH = 12  # motif window when no known motif gives one (the primer motif's length)
# Bases added each side of a known motif's length: a window off by a base or two (or a site on
# the other strand) still holds the whole motif, which is then placed inside it.
WINDOW_MARGIN = 2


@dataclass(frozen=True)
class InterpretationSettings:
    column: str | None = None  # nucleotide column motifs are read from (default: first one)
    known_motif: str | None = None  # consensus to compare with (primer: CGACCGAACTCC)
    width: int | None = None  # motif window (default: the known motif's length + 4, else 12)
    rows: int = 500  # held-out rows attributed by saliency
    ism_rows: int = 50  # of those, rows also mutated in silico
    examples: int = 4  # example sequences drawn in the attribution map

    @classmethod
    def from_config(cls, settings: dict[str, Any] | None) -> InterpretationSettings:
        return cls(**(settings or {}))


Model = tuple[GenomicsModel, dict[str, Any]]  # (network, checkpoint) from checkpoint.load_model


def _batches(n_rows: int, size: int) -> Sequence[slice]:
    return [slice(start, start + size) for start in range(0, n_rows, size)]


def token_gradients(
    models: Sequence[Model],
    columns: dict[str, torch.Tensor],
    head: int,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """d output[head] / d one-hot token, for every token column the models embed, averaged over
    the models: column -> (n, L, V) over the column's vocabulary."""
    n_rows = len(next(iter(columns.values())))
    totals: dict[str, np.ndarray] = {}
    for network, _ in models:
        network.eval()
        for rows in _batches(n_rows, batch_size):
            batch = {k: v[rows] for k, v in columns.items()}
            # cuDNN's RNN backward refuses eval mode; attribution needs no dropout either.
            with torch.backends.cudnn.flags(enabled=False), recording_token_vectors() as recorded:
                output = network(batch).float()[:, head]
                names = list(recorded)
                grads = torch.autograd.grad(output.sum(), [recorded[c][0] for c in names])
            for column, grad in zip(names, grads, strict=True):
                table = recorded[column][1]
                per_token = (grad.float() @ table.detach().float().T).cpu().numpy()
                total = totals.setdefault(column, np.zeros((n_rows, *per_token.shape[1:])))
                total[rows] += per_token
    return {column: total / len(models) for column, total in totals.items()}


def gradient_times_input(gradient: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(n, L, V) gradients and (n, L) token ids -> (n, L, V), zero except at the token present."""
    one_hot = np.eye(gradient.shape[2], dtype=bool)[ids.astype(np.int64)]
    return np.where(one_hot, gradient, 0.0)


@torch.no_grad()
def head_outputs(
    models: Sequence[Model], columns: dict[str, torch.Tensor], head: int, batch_size: int = 1024
) -> np.ndarray:
    """The models' mean raw output[head] (a logit, for classes) per row."""
    n_rows = len(next(iter(columns.values())))
    total = np.zeros(n_rows)
    for network, _ in models:
        network.eval()
        for rows in _batches(n_rows, batch_size):
            batch = {k: v[rows] for k, v in columns.items()}
            total[rows] += network(batch).float()[:, head].cpu().numpy()
    return total / len(models)


def in_silico_mutagenesis(
    models: Sequence[Model],
    columns: dict[str, torch.Tensor],
    column: str,
    head: int,
    batch_size: int = 1024,
) -> np.ndarray:
    """Change of output[head] when each position of `column` is substituted by each base,
    averaged over the models: (n, L, 4) in base order A C G U(T), 0 at the base present (and
    at padding or N, which are left alone)."""
    ids = columns[column]
    n_rows, length = ids.shape
    base_ids = torch.tensor(BASE_IDS, dtype=ids.dtype, device=ids.device)
    effect = np.zeros((n_rows, length, len(BASE_IDS)))
    others = {k: v for k, v in columns.items() if k != column}
    for row in range(n_rows):
        # Every single-base variant of the row, the row itself first.
        variants = ids[row].repeat(1 + length * len(BASE_IDS), 1)
        positions = torch.arange(length, device=ids.device).repeat_interleave(len(BASE_IDS))
        variants[1 + torch.arange(len(positions)), positions] = base_ids.repeat(length)
        context = {
            k: v[row : row + 1].expand(len(variants), *v.shape[1:]) for k, v in others.items()
        }
        outputs = head_outputs(models, {column: variants, **context}, head, batch_size)
        change = (outputs[1:] - outputs[0]).reshape(length, len(BASE_IDS))
        is_base = np.isin(ids[row].cpu().numpy(), BASE_IDS)
        effect[row] = np.where(is_base[:, None], change, 0.0)
    return effect


def base_saliency(saliency: np.ndarray) -> np.ndarray:
    """(n, L, V) over the nucleotide vocabulary -> (n, L, 4) over A C G U(T)."""
    return saliency[:, :, BASE_IDS]


def token_attribution_map(saliency: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Mean gradient × input of each token at each position over the rows where it occurs:
    (n, L, V) -> (V, L), NaN where a token never occurs at a position."""
    one_hot = np.eye(saliency.shape[2], dtype=bool)[ids.astype(np.int64)]
    counts = one_hot.sum(axis=0).T
    sums = saliency.sum(axis=0).T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def motif_column(settings: InterpretationSettings, columns: Sequence[str]) -> str:
    """The nucleotide column motifs are read from, among the token `columns` a model reads:
    the configured one, else the first."""
    nucleotide = [c for c in columns if c.startswith(SEQ)]
    if settings.column is not None:
        if settings.column not in nucleotide:
            raise InputError(
                f"interpretation.column: {settings.column!r} is not a nucleotide column the "
                f"model reads (it reads: {', '.join(nucleotide) or 'none'})"
            )
        return settings.column
    if not nucleotide:
        raise InputError(
            "interpretation: the best network reads no nucleotide column "
            f"(it reads {', '.join(columns)}); motifs need seq_* inputs"
        )
    return nucleotide[0]


def attributed_columns(gradients: dict[str, np.ndarray]) -> list[str]:
    """Columns worth a heatmap: every embedded one but k-mers (thousands of tokens)."""
    return [c for c in gradients if not c.startswith(KMER)]


# --- One task's interpretation: the `interpret` rule -----------------------------------------


def ranked_networks(leaderboard_csv: Path, networks: Sequence[str]) -> list[str]:
    """The task's networks, best first by the leaderboard (gradients need a network)."""
    ranked = pd.read_csv(leaderboard_csv)["architecture"].astype(str).tolist()
    chosen = [name for name in ranked if name in networks]
    if not chosen:
        raise InputError(f"{leaderboard_csv}: no network among {', '.join(ranked)} to interpret")
    return chosen


def ranked_candidates(
    leaderboard_csv: Path, networks: Sequence[str], model_files: Sequence[str | Path]
) -> list[tuple[str, list[Path]]]:
    """(architecture, its fold model files) for each of the task's networks, best first:
    what `choose_network` picks from. Files are .../models/<arch>/fold<k>/model.pt."""
    files = [Path(p) for p in model_files]
    return [
        (arch, [p for p in files if p.parent.parent.name == arch])
        for arch in ranked_networks(leaderboard_csv, networks)
    ]


def choose_network(
    candidates: Sequence[tuple[str, Sequence[Path]]], settings: InterpretationSettings
) -> tuple[str, list[Model], str, list[str]]:
    """The first candidate (architecture, its fold model files), best first, that reads a
    nucleotide column motifs can come from: (name, loaded models, that column, why the ones
    before it were passed over)."""
    skipped = []
    for arch, paths in candidates:
        models = [load_model(path) for path in paths]
        try:
            column = motif_column(settings, models[0][0].inputs)
        except InputError as why:
            skipped.append(f"{arch}: {why}")
            continue
        return arch, models, column, skipped
    raise InputError("interpretation: no network to explain; " + "; ".join(skipped))


def known_motifs(consensus_text: str | None, simulated: Path | None) -> dict[str, Motif]:
    """Head name -> the motif it should have learnt: a simulated task's matrices (by label),
    or the configured consensus for a single-output task."""
    known = read_motifs(simulated) if simulated is not None else {}
    if consensus_text:
        known[SINGLE_HEAD] = consensus_motif("known", consensus_text)
    return known


def _base_one_hot(ids: np.ndarray) -> np.ndarray:
    return (ids[..., None] == np.array(BASE_IDS)).astype(np.float32)


def _dna(ids: np.ndarray) -> list[str]:
    """DNA letters of encoded rows, padding shown as N so every row keeps the column's length
    (figures line sequences up with their (L, 4) maps)."""
    padded = np.where(ids == 0, nucleotide_vocab().index(UNK), ids)
    return [s.replace("U", "T") for s in decode_nucleotides(padded)]


def _oriented(found: np.ndarray, similarity: dict[str, Any] | None) -> np.ndarray:
    """The recovered matrix on the known motif's strand, for logos drawn one above the other."""
    if similarity is not None and similarity["strand"] == "-":
        return reverse_complement_pwm(found)
    return found


def _placed(motif: Motif, similarity: dict[str, Any], width: int) -> np.ndarray:
    """The known matrix shifted right to where it sits in a recovered window of `width` (when
    that is the longer), so the logos line up (columns before it draw as nothing)."""
    offset = similarity["offset"] if width >= motif.length else 0
    return np.vstack([np.full((offset, 4), 0.25), motif.probabilities])


def interpret_task(
    *,
    scoring: Scoring,
    candidates: Sequence[tuple[str, Sequence[Path]]],
    test: Path,
    vocab: dict[str, Any],
    settings: InterpretationSettings,
    known: dict[str, Motif],
    out: dict[str, Path],
    features: Path | None = None,
) -> dict[str, Any]:
    """Attributions of the best network's fold models (`choose_network` of `candidates`) on
    the held-out rows, motifs per head compared with `known` (head name -> motif), figures and a
    summary. `out` holds the paths summary, attributions, logos, maps and heatmap. Returns the
    summary."""
    arch, models, motif_source, skipped = choose_network(candidates, settings)
    columns = read_tensors(test)
    if features is not None:
        extra = read_tensors(features, required=(ROW_ID,))
        columns.update({k: v for k, v in extra.items() if k != ROW_ID})
    chosen = np.arange(min(settings.rows, len(columns[ROW_ID])))
    columns = {k: v[chosen] for k, v in columns.items()}
    tensors = to_tensors(columns, "cpu")
    heads = scoring.objective.head_names(scoring.labels)
    # siRNA targets are % mRNA remaining: attributions are taken toward knockdown (lower).
    sign = -1.0 if scoring.family in SIRNA_FAMILIES else 1.0
    summary: dict[str, Any] = {
        "architecture": arch, "fold_models": len(models), "passed_over": skipped, "heads": {},
        "skipped": [],
    }  # fmt: skip
    logos: list[tuple[str, np.ndarray]] = []
    examples: dict[str, list] = {"sequences": [], "saliency": [], "ism": [], "titles": []}
    heatmaps: dict[str, tuple[np.ndarray, list[str]]] = {}
    arrays: dict[str, np.ndarray] = {"row_id": columns[ROW_ID].astype(str)}
    ids = columns[motif_source]
    bases = _base_one_hot(ids)
    for head, name in enumerate(heads):
        gradients = token_gradients(models, tensors, head)
        saliency = {c: sign * gradient_times_input(g, columns[c]) for c, g in gradients.items()}
        logit = head_outputs(models, tensors, head)
        rows = scoring.objective.positive_rows(columns[TARGET], head, logit)
        if len(rows) == 0:  # a class the held-out rows lack (an independent test set's gap)
            summary["skipped"].append(f"{name}: no held-out row is positive")
            continue
        motif = known.get(name)
        width = settings.width or (motif.length + 2 * WINDOW_MARGIN if motif else DEFAULT_WIDTH)
        by_saliency = recover_motif(bases, saliency[motif_source].sum(axis=2), width, rows)
        ism_rows = rows[: settings.ism_rows]
        ism = sign * in_silico_mutagenesis(
            models, {k: v[ism_rows] for k, v in tensors.items()}, motif_source, head
        )
        # A base matters when substituting it lowers the output: mean change over the others.
        importance = -ism.sum(axis=2) / (len(BASE_IDS) - 1)
        by_ism = recover_motif(bases[ism_rows], importance, width)
        result: dict[str, Any] = {
            "rows": {"saliency": len(rows), "ism": len(ism_rows)},
            "column": motif_source,
            "width": width,
            "saliency_consensus": consensus(by_saliency),
            "ism_consensus": consensus(by_ism),
        }
        similarity = ism_similarity = None
        if motif is not None:
            similarity = motif_similarity(by_saliency, motif)
            ism_similarity = motif_similarity(by_ism, motif)
            result.update(saliency_match=similarity, ism_match=ism_similarity)
        summary["heads"][name] = result
        for method, found, match in (
            ("saliency", by_saliency, similarity),
            ("ISM", by_ism, ism_similarity),
        ):
            score = "" if match is None else f": {match['matches']}/{match['length']} match"
            logos.append((f"{name}, from {method}{score}", _oriented(found, match)))
        if motif is not None:
            title = f"{name}, known: {motif.matrix_id or motif.consensus}"
            logos.append((title, _placed(motif, similarity, width)))
        for i in range(min(settings.examples, len(ism_rows))):
            row = ism_rows[i]
            examples["sequences"].append(_dna(ids[row : row + 1])[0])
            examples["saliency"].append(base_saliency(saliency[motif_source][row : row + 1])[0])
            examples["ism"].append(ism[i])
            examples["titles"].append(f"{name}: held-out row {columns[ROW_ID][row]}")
        prefix = f"{name}: " if len(heads) > 1 else ""
        for column in attributed_columns(gradients):
            vocabulary = vocab["tokens"][vocab["columns"][column]["vocab"]]
            attribution = token_attribution_map(saliency[column][rows], columns[column][rows])
            seen = ~np.isnan(attribution).all(axis=1)  # tokens absent everywhere: no row
            heatmaps[prefix + column] = (
                attribution[seen],
                [token for token, kept in zip(vocabulary, seen, strict=True) if kept],
            )
        arrays[f"saliency_{name}"] = base_saliency(saliency[motif_source])
        arrays[f"ism_{name}"] = ism
        arrays[f"ism_rows_{name}"] = ism_rows
    if not summary["heads"]:
        raise InputError("interpretation: no held-out row is positive for any output")
    with atomic_path(out["attributions"]) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    plots.sequence_logos(logos, out["logos"])
    plots.attribution_maps(
        examples["sequences"],
        np.stack(examples["saliency"]),
        np.stack(examples["ism"]),
        examples["titles"],
        out["maps"],
    )
    direction = "toward knockdown" if sign < 0 else "toward the positive class or higher output"
    plots.token_attribution_heatmaps(
        heatmaps, f"{arch}: mean gradient × input per position ({direction})", out["heatmap"]
    )
    with atomic_path(out["summary"]) as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
    return summary
