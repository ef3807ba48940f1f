"""What a trained network learned: attributions per sequence, and motifs recovered from them.

Two attributions of one model output (a head: the regression value, the logit of a binary
label, or one label's logit of a multi-label task), each averaged over the fold models on
held-out test rows; a task without test rows (pure cross-validation) is explained on
out-of-fold rows instead, each by the one fold model that never trained on it:

- saliency, gradient × input: the output's gradient with respect to each position's one-hot
  token, at the token present. Any architecture works: models embed tokens through
  `models.common.embed_tokens`, whose recorded vectors are differentiated here.
- in-silico mutagenesis (ISM): the change in the output when one base is substituted, for every
  position and base — slower (3 L forward passes a sequence), so run on fewer rows.

Motifs: in each chosen row, the window with the highest summed attribution; the windows stacked
into a position weight matrix (dlgenomics.interpretation.motifs), compared with a known
motif where one is given, and, for every head, de novo, with the JASPAR CORE database (its
best matches).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlgenomics import InputError
from dlgenomics.data.motifs import (
    Motif,
    consensus,
    consensus_motif,
    jaspar_core,
    read_motifs,
    reverse_complement_pwm,
)
from dlgenomics.data.nucleotides import one_hot_ids
from dlgenomics.data.schema import FOLD, KMER, ROW_ID, SEQ, TARGET, read_tensors
from dlgenomics.data.tokens import BASE_IDS, UNK, decode_nucleotides, nucleotide_vocab
from dlgenomics.files import atomic_path, write_json
from dlgenomics.interpretation.motifs import best_matches, motif_similarity, recover_motif
from dlgenomics.metrics import SIRNA_FAMILIES
from dlgenomics.models.checkpoint import load_model, to_tensors
from dlgenomics.models.common import GenomicsModel, recording_token_vectors
from dlgenomics.report import plots
from dlgenomics.tasks.objectives import SINGLE_HEAD, Scoring


def _positives_seen(labels: np.ndarray, logit: np.ndarray) -> np.ndarray:
    """True positives (labelled so, and the models' mean logit agrees) or, failing that, every
    labelled positive: motifs are read where the models see a site."""
    positives = np.flatnonzero(labels == 1)
    true_positives = positives[logit[positives] > 0]
    return true_positives if len(true_positives) else positives


def _every_row(target: np.ndarray, head: int, logit: np.ndarray) -> np.ndarray:
    return np.arange(len(target))


# Objective name -> (targets, output, the models' mean logit of it) -> the rows whose motifs
# interpretation seeks for that output: its positives, or every row of a regression.
SOUGHT_ROWS: dict[str, Callable[[np.ndarray, int, np.ndarray], np.ndarray]] = {
    "regression": _every_row,
    "binary": lambda target, head, logit: _positives_seen(np.asarray(target), logit),
    "multiclass": lambda target, head, logit: _positives_seen(
        (np.asarray(target, dtype=np.float64) == head).astype(int), logit
    ),
    "multilabel": lambda target, head, logit: _positives_seen(np.asarray(target)[:, head], logit),
    "multiregression": _every_row,
}

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
    jaspar_tax_group: str = "vertebrates"  # JASPAR CORE matrices each recovered motif meets
    jaspar_top: int = 5  # best JASPAR matches reported per head
    # Outputs explained, by name (None: every one). Each head costs `ism_rows` × 3 × length
    # forward passes per fold model: a task with dozens of tracks names the few worth a motif.
    heads: tuple[str, ...] | None = None
    # Explain each head's output less the mean of all heads' (multi-label tasks): what sets
    # one factor apart, not what every head shares (open, AT-rich promoter DNA in yeast).
    contrast: bool = False

    @classmethod
    def from_config(cls, settings: dict[str, Any] | None) -> InterpretationSettings:
        settings = dict(settings or {})
        if settings.get("heads") is not None:
            settings["heads"] = tuple(settings["heads"])
        return cls(**settings)

    def explained(self, heads: Sequence[str]) -> list[tuple[int, str]]:
        """(index, name) of the outputs to explain, in the network's order; a name the task
        has no output for stops the run."""
        if self.heads is None:
            return list(enumerate(heads))
        unknown = sorted(set(self.heads) - set(heads))
        if unknown:
            raise InputError(
                f"interpretation.heads: {', '.join(unknown)} is not an output of this task "
                f"(its outputs: {', '.join(heads)})"
            )
        return [(k, name) for k, name in enumerate(heads) if name in self.heads]


Model = tuple[GenomicsModel, dict[str, Any]]  # (network, checkpoint) from checkpoint.load_model


def _batches(n_rows: int, size: int) -> Sequence[slice]:
    return [slice(start, start + size) for start in range(0, n_rows, size)]


def explained_output(raw: torch.Tensor, head: int, contrast: bool = False) -> torch.Tensor:
    """The output explained per row: raw output `head`, less the mean over heads with
    `contrast`."""
    return raw[:, head] - raw.mean(dim=1) if contrast else raw[:, head]


def token_gradients(
    models: Sequence[Model],
    columns: dict[str, torch.Tensor],
    head: int,
    batch_size: int = 256,
    contrast: bool = False,
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
                output = explained_output(network(batch).float(), head, contrast)
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
    models: Sequence[Model],
    columns: dict[str, torch.Tensor],
    head: int,
    batch_size: int = 1024,
    contrast: bool = False,
) -> np.ndarray:
    """The models' mean raw output[head] (a logit, for classes) per row (`explained_output`)."""
    n_rows = len(next(iter(columns.values())))
    total = np.zeros(n_rows)
    for network, _ in models:
        network.eval()
        for rows in _batches(n_rows, batch_size):
            batch = {k: v[rows] for k, v in columns.items()}
            total[rows] += explained_output(network(batch).float(), head, contrast).cpu().numpy()
    return total / len(models)


def in_silico_mutagenesis(
    models: Sequence[Model],
    columns: dict[str, torch.Tensor],
    column: str,
    head: int,
    batch_size: int = 1024,
    contrast: bool = False,
) -> np.ndarray:
    """Change of output[head] (`explained_output`) when each position of `column` is
    substituted by each base, averaged over the models: (n, L, 4) in base order A C G U(T), 0
    at the base present (and at padding or N, which are left alone)."""
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
        outputs = head_outputs(models, {column: variants, **context}, head, batch_size, contrast)
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


def _dna(ids: np.ndarray) -> list[str]:
    """DNA letters of encoded rows, padding shown as N so every row keeps the column's length
    (figures line sequences up with their (L, 4) maps)."""
    padded = np.where(ids == 0, nucleotide_vocab().index(UNK), ids)
    return [s.replace("U", "T") for s in decode_nucleotides(padded)]


def _oriented(found: np.ndarray, similarity: dict[str, Any] | None) -> np.ndarray:
    """The recovered matrix on the strand a match (`motif_similarity` or a `best_matches`
    entry) read it on, for logos drawn one above the other."""
    if similarity is not None and similarity["strand"] == "-":
        return reverse_complement_pwm(found)
    return found


def _placed(motif: Motif, similarity: dict[str, Any], length: int) -> np.ndarray:
    """The known matrix shifted right to where it sits in a recovered matrix of `length` (when
    that is the longer), so the logos line up (columns before it draw as nothing)."""
    offset = similarity["offset"] if length >= motif.length else 0
    return np.vstack([np.full((offset, 4), 0.25), motif.probabilities])


def _in_frame(
    motif: Motif, match: dict[str, Any], length: int, flipped: bool
) -> tuple[np.ndarray, int]:
    """(matrix, start): a `best_matches` entry's database motif as it lies along a recovered
    matrix of `length` drawn reverse-complemented when `flipped`; start < 0 when it begins
    before the recovered matrix's first column."""
    if (match["strand"] == "-") == flipped:
        return motif.probabilities, match["offset"]
    return reverse_complement_pwm(motif.probabilities), length - match["offset"] - motif.length


def _padded(matrix: np.ndarray, lead: int) -> np.ndarray:
    """`matrix` after `lead` uniform columns, which logos draw as nothing."""
    return np.vstack([np.full((lead, 4), 0.25), matrix])


@dataclass
class _Run:
    """What interpret_task shares between heads: the network, the explained rows, the motif
    column and database; and what the heads add to the figures and attributions.npz."""

    models: list[Model]
    columns: dict[str, np.ndarray]
    rows_from: str  # "held-out" (test rows, every fold model) or "out-of-fold"
    source: str  # the nucleotide column motifs are read from
    sign: float  # -1: attributions toward lower outputs (siRNA knockdown)
    database: list[Motif]  # JASPAR CORE, for de novo matches
    tensors: dict[str, torch.Tensor] = field(init=False)
    logos: list[tuple[str, np.ndarray]] = field(default_factory=list)
    examples: dict[str, list] = field(
        default_factory=lambda: {"sequences": [], "saliency": [], "ism": [], "titles": []}
    )
    heatmaps: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tensors = to_tensors(self.columns, "cpu")
        self.arrays["row_id"] = self.columns[ROW_ID].astype(str)


@dataclass(frozen=True)
class _Attributions:
    """One head's attributions on the held-out rows."""

    gradients: list[str]  # the columns the network embeds
    saliency: dict[str, np.ndarray]  # column -> (n, L, V) gradient × input, signed
    rows: np.ndarray  # the rows motifs are sought in (positives; every row for regression)
    ism_rows: np.ndarray  # the first of them, also mutated in silico
    ism: np.ndarray  # (len(ism_rows), L, 4): output change per substitution, signed


def _first_rows(tensors: Path, features: Path | None, rows: int) -> dict[str, np.ndarray]:
    """The first `rows` rows of an encoded file: its columns, plus the hand-made features if
    any."""
    columns = read_tensors(tensors)
    if features is not None:
        extra = read_tensors(features, required=(ROW_ID,))
        columns.update({k: v for k, v in extra.items() if k != ROW_ID})
    chosen = np.arange(min(rows, len(columns[ROW_ID])))
    return {k: v[chosen] for k, v in columns.items()}


def explained_rows(
    test: tuple[Path, Path | None], train: tuple[Path, Path | None], rows: int
) -> tuple[dict[str, np.ndarray], str]:
    """(columns, where they come from): the first `rows` held-out test rows; with none (pure
    cross-validation), the first `rows` training rows, explained out of fold. Each side is
    (encoded file, its features file or None)."""
    columns = _first_rows(*test, rows)
    if len(columns[ROW_ID]):
        return columns, "held-out"
    return _first_rows(*train, rows), "out-of-fold"


def _each_model(run: _Run, rows: np.ndarray, compute: Callable[..., Any]) -> Any:
    """compute(models, tensors of `rows`) -> per-row arrays (or a dict of them): every fold
    model's mean on held-out rows; on out-of-fold rows, each row by the fold model that
    validated it (the models' checkpoints name their fold), stitched back in row order."""
    tensors = {k: v[rows] for k, v in run.tensors.items()}
    if run.rows_from == "held-out":
        return compute(run.models, tensors)
    parts = []
    for model in run.models:
        mine = np.flatnonzero(run.columns[FOLD][rows] == model[1]["fold"])
        if len(mine):
            parts.append((mine, compute([model], {k: v[mine] for k, v in tensors.items()})))
    return _stitched(parts, len(rows))


def _stitched(parts: list[tuple[np.ndarray, Any]], n_rows: int) -> Any:
    """Per-row results of row subsets -> one result over all `n_rows` rows."""
    first = parts[0][1]
    if isinstance(first, dict):
        return {key: _stitched([(p, r[key]) for p, r in parts], n_rows) for key in first}
    out = np.empty((n_rows, *first.shape[1:]), dtype=first.dtype)
    for picked, result in parts:
        out[picked] = result
    return out


def _attribute(
    run: _Run, scoring: Scoring, settings: InterpretationSettings, head: int
) -> _Attributions | None:
    """Gradient × input on every row and ISM on the first rows sought; None when no row is."""
    every = np.arange(len(run.columns[ROW_ID]))
    contrast = settings.contrast
    gradients = _each_model(run, every, lambda m, t: token_gradients(m, t, head, contrast=contrast))
    saliency = {c: run.sign * gradient_times_input(g, run.columns[c]) for c, g in gradients.items()}
    logit = _each_model(run, every, lambda m, t: head_outputs(m, t, head))
    rows = SOUGHT_ROWS[scoring.objective_name](run.columns[TARGET], head, logit)
    if len(rows) == 0:  # a class the held-out rows lack (an independent test set's gap)
        return None
    ism_rows = rows[: settings.ism_rows]
    ism = run.sign * _each_model(
        run, ism_rows, lambda m, t: in_silico_mutagenesis(m, t, run.source, head, contrast=contrast)
    )
    return _Attributions(list(gradients), saliency, rows, ism_rows, ism)


def _head_motifs(
    run: _Run, settings: InterpretationSettings, name: str, motif: Motif | None, a: _Attributions
) -> dict[str, Any]:
    """One head's motifs, from saliency and from ISM: compared with the known `motif` if any,
    the saliency one with the JASPAR database; their logos added to the run's. The summary."""
    width = settings.width or (motif.length + 2 * WINDOW_MARGIN if motif else DEFAULT_WIDTH)
    bases = one_hot_ids(run.columns[run.source])
    by_saliency = recover_motif(bases, a.saliency[run.source].sum(axis=2), width, a.rows)
    # A base matters when substituting it lowers the output: mean change over the others.
    importance = -a.ism.sum(axis=2) / (len(BASE_IDS) - 1)
    by_ism = recover_motif(bases[a.ism_rows], importance, width)
    matches = best_matches(by_saliency, run.database, top=settings.jaspar_top)
    result: dict[str, Any] = {
        "rows": {"saliency": len(a.rows), "ism": len(a.ism_rows)},
        "column": run.source,
        "width": width,
        "saliency_consensus": consensus(by_saliency),
        "ism_consensus": consensus(by_ism),
        "jaspar_matches": matches,
    }
    similarity = ism_similarity = None
    if motif is not None:
        similarity = motif_similarity(by_saliency, motif)
        ism_similarity = motif_similarity(by_ism, motif)
        result.update(saliency_match=similarity, ism_match=ism_similarity)
    jaspar = next(m for m in run.database if m.matrix_id == matches[0]["matrix_id"])
    run.logos.extend(
        _head_logos(
            name, by_saliency, by_ism, (motif, similarity, ism_similarity), (jaspar, matches[0])
        )
    )
    return result


def _head_logos(
    name: str,
    by_saliency: np.ndarray,
    by_ism: np.ndarray,
    known: tuple[Motif | None, dict[str, Any] | None, dict[str, Any] | None],
    best: tuple[Motif, dict[str, Any]],
) -> list[tuple[str, np.ndarray]]:
    """A head's logo panels, lined up: the motifs from saliency and from ISM (each on the
    known motif's strand, by its `motif_similarity` in `known`; with none known, the saliency
    one on its best JASPAR match's), the known motif, and the best JASPAR match."""
    motif, similarity, ism_similarity = known
    jaspar, match = best
    orientation = similarity or match
    matrix, start = _in_frame(jaspar, match, len(by_saliency), orientation["strand"] == "-")
    lead = max(0, -start)  # a match overhanging the recovered motif's start: shift the rest
    panels = []
    for method, found, how, scored in (
        ("saliency", by_saliency, orientation, similarity),
        ("ISM", by_ism, ism_similarity, ism_similarity),
    ):
        score = "" if scored is None else f": {scored['matches']}/{scored['length']} match"
        panels.append((f"{name}, from {method}{score}", _padded(_oriented(found, how), lead)))
    if motif is not None:
        title = f"{name}, known: {motif.matrix_id or motif.consensus}"
        panels.append((title, _padded(_placed(motif, similarity, len(by_saliency)), lead)))
    title = f"{name}, best JASPAR match: {jaspar.matrix_id} {jaspar.name} "
    panels.append((title + f"({match['similarity']:.2f})", _padded(matrix, start + lead)))
    return panels


def interpret_task(
    *,
    scoring: Scoring,
    candidates: Sequence[tuple[str, Sequence[Path]]],
    test: tuple[Path, Path | None],
    train: tuple[Path, Path | None],
    vocab: dict[str, Any],
    settings: InterpretationSettings,
    known: dict[str, Motif],
    out: dict[str, Path],
) -> dict[str, Any]:
    """Attributions of the best network's fold models (`choose_network` of `candidates`) on
    `explained_rows` of `test` and `train` (each: encoded file, features file or None), motifs
    per head compared with `known` (head name -> motif) and with JASPAR CORE
    (`settings.jaspar_tax_group`), figures and a summary. `out` holds the paths summary,
    attributions, logos, maps and heatmap. Returns the summary."""
    arch, models, source, skipped = choose_network(candidates, settings)
    columns, rows_from = explained_rows(test, train, settings.rows)
    run = _Run(
        models=models,
        columns=columns,
        rows_from=rows_from,
        source=source,
        # siRNA targets are % mRNA remaining: attributions are taken toward knockdown (lower).
        sign=-1.0 if scoring.family in SIRNA_FAMILIES else 1.0,
        database=jaspar_core(tax_group=settings.jaspar_tax_group),
    )
    heads = scoring.objective.head_names(scoring.labels)
    summary: dict[str, Any] = {
        "architecture": arch,
        "fold_models": len(models),
        "rows_from": rows_from,
        "passed_over": skipped,
        "heads": {},
        "skipped": [],
    }
    for head, name in settings.explained(heads):
        attributions = _attribute(run, scoring, settings, head)
        if attributions is None:
            summary["skipped"].append(f"{name}: no {rows_from} row is positive")
            continue
        summary["heads"][name] = _head_motifs(run, settings, name, known.get(name), attributions)
        _add_examples(run, settings, name, attributions)
        _add_heatmaps(run, vocab, f"{name}: " if len(heads) > 1 else "", attributions)
        run.arrays[f"saliency_{name}"] = base_saliency(attributions.saliency[source])
        run.arrays[f"ism_{name}"] = attributions.ism
        run.arrays[f"ism_rows_{name}"] = attributions.ism_rows
    if not summary["heads"]:
        raise InputError(f"interpretation: no {rows_from} row is positive for any output")
    _write_outputs(run, arch, summary, out)
    return summary


def _add_examples(run: _Run, settings: InterpretationSettings, name: str, a: _Attributions) -> None:
    """A head's first mutated rows, for the attribution maps."""
    ids = run.columns[run.source]
    for i, row in enumerate(a.ism_rows[: settings.examples]):
        run.examples["sequences"].append(_dna(ids[row : row + 1])[0])
        run.examples["saliency"].append(base_saliency(a.saliency[run.source][row : row + 1])[0])
        run.examples["ism"].append(a.ism[i])
        run.examples["titles"].append(f"{name}: {run.rows_from} row {run.columns[ROW_ID][row]}")


def _add_heatmaps(run: _Run, vocab: dict[str, Any], prefix: str, a: _Attributions) -> None:
    """A head's mean attribution per token and position, for each column worth a heatmap."""
    for column in attributed_columns(a.gradients):
        vocabulary = vocab["tokens"][vocab["columns"][column]["vocab"]]
        attribution = token_attribution_map(a.saliency[column][a.rows], run.columns[column][a.rows])
        seen = ~np.isnan(attribution).all(axis=1)  # tokens absent everywhere: no row
        run.heatmaps[prefix + column] = (
            attribution[seen],
            [token for token, kept in zip(vocabulary, seen, strict=True) if kept],
        )


def _write_outputs(run: _Run, arch: str, summary: dict[str, Any], out: dict[str, Path]) -> None:
    with atomic_path(out["attributions"]) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **run.arrays)
    plots.sequence_logos(run.logos, out["logos"])
    plots.attribution_maps(
        run.examples["sequences"],
        np.stack(run.examples["saliency"]),
        np.stack(run.examples["ism"]),
        run.examples["titles"],
        out["maps"],
    )
    direction = "toward knockdown" if run.sign < 0 else "toward the positive class or higher output"
    plots.token_attribution_heatmaps(
        run.heatmaps, f"{arch}: mean gradient × input per position ({direction})", out["heatmap"]
    )
    write_json(out["summary"], summary)
