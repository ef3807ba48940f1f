"""Variant-effect scoring: what a trained task's models predict for the reference and the
alternative allele of each single-nucleotide variant, and where around it the prediction is
sensitive (in-silico mutagenesis).

Variants come from a VCF and a genome FASTA (a window of the task's length centred on each
variant, the variant at index length // 2), or from a table of (sequence id + FASTA, or the
sequence itself, position, ref, alt). Which alleles are scored is data/vcf.py's rule: multi-
allelic records are split into one row per ALT; only SNVs are scored, indels, symbolic and
'*' / '.' alleles are skipped and counted. REF must match the genome or sequence: a mismatch
means another genome build or shifted positions, and scoring anyway would report effects of
variants nobody asked about, so it is an InputError naming the file and line.

Reference and alternative windows are scored interleaved (ref, alt, ref, alt, ...) in one call,
so each pair shares a batch, models and numerical path: their difference is the variant's
effect, not batch-to-batch noise. Differences are in the objective's units (probabilities for
classes, which also get log odds ratios).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.encode import encode_frame

# The interval reader's genome helpers: one read per chromosome, numpy gathers, and the
# missing-chromosome error (with its UCSC/Ensembl hint) shared with BED windows.
from dlgenomics.data.intervals import chromosome_sizes, gather_windows, genome_index
from dlgenomics.data.nucleotides import DNA, byte_rows_to_strings
from dlgenomics.data.schema import ROW_ID, SEQ, vocab_metric_options
from dlgenomics.data.tables import column_name, line_of, read_delimited, read_fasta
from dlgenomics.data.vcf import read_vcf, skipped_text, snv_alleles
from dlgenomics.evaluation.inference import complete_columns, predict_member
from dlgenomics.files import atomic_path
from dlgenomics.steps import warn_console
from dlgenomics.tasks.objectives import OBJECTIVES, Objective

log = logging.getLogger(__name__)

# Objectives whose predictions are class probabilities (sigmoid or softmax): they also get a
# log odds ratio, which does not saturate near 0 and 1 as the probability difference does.
PROBABILITY_OBJECTIVES = ("binary", "multiclass", "multilabel")
PROBABILITY_CLIP = 1e-6  # logit(1 - 1e-6) ≈ 13.8: float32 sigmoids reach exactly 0 or 1
CHUNK_VARIANTS = 25_000  # variants encoded and predicted at a time: bounds memory, not speed
SHOWN_IDS = 5  # sequence ids an unknown-id error lists
KEYS = ["variant", "id", "pos", "ref", "alt", "allele", "line"]


@dataclass(frozen=True)
class VariantWindows:
    """SNVs ready to score: one row of `variants` (KEYS, plus chrom or sequence_id) per
    reference window in `sequences` (upper-case text), the variant at index `centre[i]`."""

    variants: pd.DataFrame
    sequences: list[str]
    centre: np.ndarray
    source: Path  # the VCF or table, for messages
    skipped: dict[str, int]  # alleles not scored, by data.vcf.SKIP_REASONS key

    def alternatives(self) -> list[str]:
        """Each window with its variant's ALT base in place of REF."""
        alts = self.variants["alt"].to_numpy(str)
        return [
            s[:c] + a + s[c + 1 :]
            for s, c, a in zip(self.sequences, self.centre, alts, strict=True)
        ]


@dataclass(frozen=True)
class VariantIsm:
    """In-silico mutagenesis around the variants with the largest |effect|: `delta[k, p, b, h]`
    is head h's prediction with base DNA[b] at offset `offsets[p]` from variant k, minus its
    prediction for the reference window (0 at the reference base; NaN outside the window)."""

    variants: list[str]
    offsets: np.ndarray
    reference: np.ndarray  # (k, P) the reference base at each offset ('' outside the window)
    delta: np.ndarray
    heads: list[str]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "variants": np.array(self.variants, dtype=str),
            "offsets": self.offsets,
            "reference": self.reference,
            "delta": self.delta,
            "heads": np.array(self.heads, dtype=str),
            "bases": np.array(list(DNA)),
        }


# --- Variants and their windows ------------------------------------------------------------


def _names(key: pd.Series, frame: pd.DataFrame) -> pd.Series:
    """chr1:1234:A>G — unique per allele even where the VCF's ID is '.' or repeated."""
    pos = frame["pos"].astype(str)
    return key.astype(str) + ":" + pos + ":" + frame["ref"] + ">" + frame["alt"]


def _check_ref(
    variants: pd.DataFrame, found: Sequence[str], path: Path, place: Callable[[int], str]
) -> None:
    """Raise for the first variant whose REF is not the base at its position; `place(row)`
    says where that base was read."""
    found = np.asarray(found, dtype=str)
    bad = found != variants["ref"].to_numpy(str)
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    ref, alt, base = (
        str(v) for v in (variants["ref"].iloc[row], variants["alt"].iloc[row], found[row])
    )
    hint = "; it holds the ALT allele: REF and ALT swapped?" if base == alt else ""
    if bad.sum() > 1:
        hint += f" ({bad.sum()} of {len(bad)} variants mismatch: another genome build?)"
    raise InputError(
        f"{path}: line {variants['line'].iloc[row]}: REF {ref!r} does not match "
        f"{place(row)}, which has {base!r}{hint}"
    )


def _check_fits(
    records: pd.DataFrame,
    starts: np.ndarray,
    sizes: np.ndarray,
    length: int,
    vcf_path: Path,
    genome_path: Path,
) -> None:
    """Raise for the first window that does not fit on its chromosome: padding or shifting it
    would score a sequence the model never sees around a variant."""
    bad = (starts < 0) | (starts + length > sizes)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        chrom, pos, start = records["chrom"].iloc[row], records["pos"].iloc[row], starts[row]
        side = "start" if start < 0 else "end"
        raise InputError(
            f"{vcf_path}: line {records['line'].iloc[row]}: the {length} bp window centred "
            f"on {chrom}:{pos} ({start + 1}-{start + length}) runs past the {side} of {chrom} "
            f"({sizes[row]} bp in {genome_path})"
        )


def variants_from_vcf(vcf_path: Path, genome_path: Path, length: int) -> VariantWindows:
    """The VCF's SNVs (data.vcf rule) with windows of `length` bp of the genome centred on
    each (the variant at index length // 2, as interval windows centre theirs). Errors, each
    one line naming the VCF and line: REF not the genome's base, a chromosome the genome lacks
    (a few of its names listed), a window past a chromosome end. A VCF without SNVs gives no
    windows (`score_variants` then scores zero variants)."""
    vcf_path, genome_path = Path(vcf_path), Path(genome_path)
    if length <= 0:
        raise InputError(f"window length {length} is not a positive number of bases")
    records = read_vcf(vcf_path)
    skipped = dict(records.attrs.get("skipped", {}))
    records = records.assign(variant=_names(records["chrom"], records))
    if records.empty:  # header lines only, or indels only: zero variants, not an error
        return VariantWindows(
            records[["chrom", *KEYS]], [], np.empty(0, np.int64), vcf_path, skipped
        )
    genome = genome_index(genome_path)
    # Named by line (every VCF row has one); `name` is what the shared check expects.
    named = records.assign(name=records["variant"])
    sizes = chromosome_sizes(named, genome, genome_path, vcf_path)
    starts = records["pos"].to_numpy(np.int64) - 1 - length // 2
    _check_fits(records, starts, sizes, length, vcf_path, genome_path)
    windows = gather_windows(genome, records["chrom"].astype(str), starts, length)
    found = windows[:, length // 2].tobytes().decode("latin-1")
    chrom, pos = records["chrom"], records["pos"]
    _check_ref(
        records, list(found), vcf_path, lambda r: f"{genome_path} at {chrom.iloc[r]}:{pos.iloc[r]}"
    )
    centre = np.full(len(records), length // 2, dtype=np.int64)
    return VariantWindows(
        records[["chrom", *KEYS]], byte_rows_to_strings(windows), centre, vcf_path, skipped
    )


@dataclass(frozen=True)
class _TableColumns:
    """The variant table's column names, resolved against its header."""

    position: str
    ref: str
    alt: str
    text: str  # the sequence, or the sequence id looked up in the FASTA
    name: str | None  # the variant's own id, when the table has one


def _table_texts(
    frame: pd.DataFrame, columns: _TableColumns, path: Path, fasta: Path | None
) -> tuple[pd.Series, pd.Series]:
    """(key naming each row's sequence, its text): the FASTA record of the row's id, or the
    row's own sequence (keyed by its line). Missing cells and unknown ids name the line."""
    header = bool(frame.attrs.get("header", True))
    values = frame[columns.text]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(f"{path}: line {line_of(row, header)}: empty {columns.text}")
    if fasta is None:
        keys = pd.Series([f"line{line_of(r, header)}" for r in range(len(frame))])
        return keys, values.astype(str).str.strip().str.upper().reset_index(drop=True)
    records = read_fasta(Path(fasta))
    keys = values.astype(str).str.strip().reset_index(drop=True)
    unknown = ~keys.isin(list(records)).to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        shown = ", ".join(list(records)[:SHOWN_IDS]) + (", ..." if len(records) > SHOWN_IDS else "")
        raise InputError(
            f"{path}: line {line_of(row, header)}: sequence id {keys[row]!r} is not in {fasta} "
            f"({len(records)} records: {shown})"
        )
    return keys, keys.map(lambda key: records[key].upper())


def _table_rows(
    frame: pd.DataFrame, columns: _TableColumns, path: Path, keys: pd.Series
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per SNV allele (the VCF rule: ALT 'A,T' split, non-SNVs skipped and counted);
    positions must be 1-based integers. Returns the rows (with `row`, the table's row index)
    and the skipped counts."""
    header = bool(frame.attrs.get("header", True))
    rows, skipped = [], {}
    for row in range(len(frame)):
        line = line_of(row, header)
        cells = {c: frame[c].iloc[row] for c in (columns.position, columns.ref, columns.alt)}
        if any(pd.isna(value) for value in cells.values()):
            empty = next(c for c, value in cells.items() if pd.isna(value))
            raise InputError(f"{path}: line {line}: empty {empty}")
        position, ref, alts = (str(cells[c]).strip() for c in cells)
        if not position.isdigit() or int(position) < 1:
            raise InputError(f"{path}: line {line}: position {position!r} is not 1-based")
        if not ref.isalpha():
            raise InputError(f"{path}: line {line}: REF {ref!r} is not bases")
        name = "." if columns.name is None else str(frame[columns.name].iloc[row])
        for allele, alt in snv_alleles(ref, alts, f"{path}: line {line}", skipped):
            rows.append((keys[row], name, int(position), ref.upper(), alt, allele, line, row))
    return pd.DataFrame(rows, columns=["sequence_id", *KEYS[1:], "row"]), skipped


def _table_windows(
    rows: pd.DataFrame, texts: pd.Series, length: int, path: Path
) -> tuple[list[str], np.ndarray]:
    """A sequence no longer than `length` is scored whole (the variant where it is, padded
    on the right as in training); a longer one gives the window of `length` centred on the
    variant, which must lie inside it."""
    windows, centre = [], np.empty(len(rows), dtype=np.int64)
    for i, (row, pos, line) in enumerate(rows[["row", "pos", "line"]].itertuples(index=False)):
        text = texts[row]
        if pos > len(text):
            raise InputError(
                f"{path}: line {line}: position {pos} is past the end of its sequence "
                f"({len(text)} nt)"
            )
        start = 0 if len(text) <= length else pos - 1 - length // 2
        if start < 0 or start + min(length, len(text)) > len(text):
            side = "start" if start < 0 else "end"
            raise InputError(
                f"{path}: line {line}: the {length} nt window centred on position {pos} runs "
                f"past the {side} of its sequence ({len(text)} nt)"
            )
        windows.append(text[start : start + length])
        centre[i] = pos - 1 - start
    return windows, centre


def variants_from_table(
    path: Path,
    length: int,
    *,
    position: str | int = "position",
    ref: str | int = "ref",
    alt: str | int = "alt",
    sequence: str | int | None = None,
    sequence_id: str | int | None = None,
    fasta: Path | None = None,
    name: str | int | None = None,
    separator: str | None = None,
) -> VariantWindows:
    """SNVs from a CSV/TSV table (tables.read_delimited: gzip or not, separator sniffed):
    `position` (1-based), `ref`, `alt` and either `sequence` (a column holding the sequence)
    or `sequence_id` (a column of ids) with `fasta` (their sequences); `name` optionally the
    variant's own id. The VCF rule applies (multi-allelic ALTs split, non-SNVs skipped and
    counted); REF must be the sequence's base; windows as `_table_windows` says. Errors name
    the table and line."""
    path = Path(path)
    if (sequence is None) == (sequence_id is None) or (sequence_id is None) != (fasta is None):
        raise InputError(f"{path}: give either a sequence column, or sequence ids and a FASTA")
    if length <= 0:
        raise InputError(f"window length {length} is not a positive number of bases")
    text = sequence if sequence is not None else sequence_id
    wanted = [position, ref, alt, text, *([] if name is None else [name])]
    frame = read_delimited(path, separator=separator, columns=wanted)
    names = [column_name(frame, c) for c in wanted]
    columns = _TableColumns(*names[:4], names[4] if name is not None else None)
    keys, texts = _table_texts(frame, columns, path, fasta)
    rows, skipped = _table_rows(frame, columns, path, keys)
    if skipped:
        log.warning("%s: not scored: %s", path, skipped_text(skipped))
    windows, centre = _table_windows(rows, texts, length, path)
    found = [w[c] for w, c in zip(windows, centre, strict=True)]
    ids, pos = rows["sequence_id"], rows["pos"]
    _check_ref(rows, found, path, lambda r: f"{ids.iloc[r]} at position {pos.iloc[r]}")
    rows = rows.assign(variant=_names(rows["sequence_id"], rows))
    return VariantWindows(rows[["sequence_id", *KEYS]], windows, centre, path, skipped)


# --- Scoring -------------------------------------------------------------------------------


def nucleotide_column(vocab: dict[str, Any]) -> str:
    """The task's one nucleotide input: a variant changes one sequence, and with several
    (siRNA sense and antisense) which one it lies on, and what the other holds, is unknown."""
    columns = [c for c in vocab["columns"] if c.startswith(SEQ)]
    if len(columns) != 1:
        listed = ", ".join(columns) or "none"
        raise InputError(
            f"variant scoring needs a task with one nucleotide input; this one has "
            f"{len(columns)} ({listed})"
        )
    return columns[0]


def model_objective(path: Path) -> Objective:
    """The objective a model file was trained for (a network checkpoint or a tabular model)."""
    if Path(path).suffix == ".joblib":
        import joblib

        saved = joblib.load(path)
        return OBJECTIVES[saved.get("objective") or saved["task_type"]]
    import torch

    from dlgenomics.models.checkpoint import checkpoint_objective

    return OBJECTIVES[checkpoint_objective(torch.load(path, map_location="cpu", weights_only=True))]


def _predict(
    sequences: list[str],
    column: str,
    model_paths: Sequence[Path],
    vocab: dict[str, Any],
    where: str,
) -> np.ndarray:
    """(n, heads) mean prediction of the fold models for these sequences, in their order.
    Encoded as in training, N and IUPAC letters included (the unknown token)."""
    frame, _ = complete_columns(
        pd.DataFrame({ROW_ID: np.arange(len(sequences)).astype(str), column: sequences}), vocab
    )
    columns, _ = encode_frame(frame, vocab, where, allow_n=True)
    prediction = predict_member([Path(p) for p in model_paths], columns, None, vocab)
    return np.asarray(prediction, dtype=np.float64).reshape(len(sequences), -1)


def _check_inputs(windows: VariantWindows, vocab: dict[str, Any], column: str) -> None:
    """Windows must fit the models' fixed length; other inputs are filled as missing."""
    model_length = int(vocab["columns"][column]["length"])
    longest = max(len(s) for s in windows.sequences)
    if longest > model_length:
        raise InputError(
            f"{windows.source}: windows of {longest} nt are longer than the {model_length} nt "
            f"the models read: use a window length of {model_length}"
        )
    if min(len(s) for s in windows.sequences) < model_length:
        log.warning(
            "%s: windows shorter than %d nt are padded on the right, as in training",
            windows.source,
            model_length,
        )
    _, absent = complete_columns(pd.DataFrame({column: []}), vocab)
    if absent:
        log.warning(
            "%s: inputs the variants lack, filled as missing: %s", windows.source, ", ".join(absent)
        )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return np.log(p) - np.log1p(-p)


def effect_table(
    variants: pd.DataFrame,
    ref: np.ndarray,
    alt: np.ndarray,
    objective: Objective,
    heads: list[str],
) -> pd.DataFrame:
    """The variants with, per head (suffix _<head> when there are several): pred_ref,
    pred_alt, diff (alt - ref) and, for class probabilities, log_odds_ratio (logit alt -
    logit ref); `effect` is the diff (of the head where it is largest in size, `effect_head`,
    when there are several) and `rank` orders variants by |effect|, 1 the largest."""
    table = variants.reset_index(drop=True).copy()
    diff = alt - ref
    for h, head in enumerate(heads):
        suffix = f"_{head}" if len(heads) > 1 else ""
        table[f"pred_ref{suffix}"], table[f"pred_alt{suffix}"] = ref[:, h], alt[:, h]
        table[f"diff{suffix}"] = diff[:, h]
        if objective.name in PROBABILITY_OBJECTIVES:
            table[f"log_odds_ratio{suffix}"] = _logit(alt[:, h]) - _logit(ref[:, h])
    largest = np.abs(diff).argmax(axis=1)
    table["effect"] = diff[np.arange(len(diff)), largest]
    if len(heads) > 1:
        table["effect_head"] = np.array(heads)[largest]
    order = np.argsort(-np.abs(table["effect"].to_numpy()), kind="stable")
    table["rank"] = np.empty(len(order), dtype=np.int64)
    table.loc[order, "rank"] = np.arange(1, len(order) + 1)
    return table


def variant_ism(
    windows: VariantWindows,
    top: np.ndarray,
    flank: int,
    model_paths: Sequence[Path],
    vocab: dict[str, Any],
    heads: list[str],
) -> VariantIsm:
    """Every other base (3, or 4 at an N) at each position within `flank` of each variant in
    `top`, scored in one call with the variant's reference window just before its mutants."""
    column = nucleotide_column(vocab)
    offsets = np.arange(-flank, flank + 1)
    delta = np.full((len(top), len(offsets), len(DNA), len(heads)), np.nan)
    reference = np.full((len(top), len(offsets)), "", dtype="<U1")
    texts, cells = [], []  # (variant k, offset p, base b, row of k's reference, row)
    for k, v in enumerate(top):
        sequence, centre = windows.sequences[v], int(windows.centre[v])
        texts.append(sequence)
        base_row = len(texts) - 1
        for p, offset in enumerate(offsets):
            at = centre + offset
            if not 0 <= at < len(sequence):
                continue  # outside the window: NaN, nothing there to mutate
            reference[k, p] = sequence[at]
            delta[k, p] = 0.0  # the reference base itself (and where nothing changes)
            for b, base in enumerate(DNA):
                if base != sequence[at]:
                    texts.append(sequence[:at] + base + sequence[at + 1 :])
                    cells.append((k, p, b, base_row, len(texts) - 1))
    if cells:
        prediction = _predict(texts, column, model_paths, vocab, f"{windows.source}: ISM")
        k, p, b, base_row, row = np.array(cells).T
        delta[k, p, b] = prediction[row] - prediction[base_row]
    names = windows.variants["variant"].to_numpy(str)[top].tolist()
    return VariantIsm(names, offsets, reference, delta, heads)


def score_variants(
    windows: VariantWindows,
    model_paths: Sequence[Path],
    vocab: dict[str, Any],
    ism_flank: int = 10,
    ism_top: int = 20,
) -> tuple[pd.DataFrame, VariantIsm]:
    """Reference and alternative predictions of each variant by the fold models (their
    mean, both strands where the task reads both), the effect table (`effect_table`) and
    in-silico mutagenesis maps around the `ism_top` variants of largest |effect|
    (`variant_ism`, ±`ism_flank` positions). `vocab` is the training task's vocab.json."""
    if ism_flank < 0 or ism_top < 0:
        raise InputError(f"ism_flank ({ism_flank}) and ism_top ({ism_top}) must be ≥ 0")
    column = nucleotide_column(vocab)
    objective = model_objective(model_paths[0])
    labels = vocab_metric_options(vocab).get("labels", [])
    if not windows.sequences:  # no SNV in the file: the outputs hold headers only
        heads = objective.head_names(labels)
        none = np.empty((0, len(heads)))
        table = effect_table(windows.variants, none, none, objective, heads)
        ism = variant_ism(windows, np.empty(0, np.int64), ism_flank, model_paths, vocab, heads)
        return table, ism
    _check_inputs(windows, vocab, column)
    ref_windows, alt_windows = windows.sequences, windows.alternatives()
    parts = []
    for start in range(0, len(ref_windows), CHUNK_VARIANTS):
        chunk = slice(start, start + CHUNK_VARIANTS)
        # Interleaved: predict's batches hold an even number of rows (1024), so a variant's
        # reference and alternative always share one.
        pairs = [
            s for pair in zip(ref_windows[chunk], alt_windows[chunk], strict=True) for s in pair
        ]
        parts.append(_predict(pairs, column, model_paths, vocab, f"{windows.source}: variants"))
    prediction = np.concatenate(parts)
    heads = objective.head_names(labels)
    if len(heads) != prediction.shape[1]:
        heads = [f"output{h + 1}" for h in range(prediction.shape[1])]
    table = effect_table(windows.variants, prediction[0::2], prediction[1::2], objective, heads)
    top = np.argsort(-np.abs(table["effect"].to_numpy()), kind="stable")[:ism_top]
    ism = variant_ism(windows, top, ism_flank, model_paths, vocab, heads)
    log.info(
        "%s: %d variants scored; ISM around the %d largest", windows.source, len(table), len(top)
    )
    return table, ism


# --- Outputs -------------------------------------------------------------------------------


def draw_top_variants(
    table: pd.DataFrame, ism: VariantIsm, path: Path, title: str, bars: int = 20, maps: int = 3
) -> None:
    """The `bars` variants of largest |effect| as horizontal bars (red: the alternative raises
    the prediction, blue: lowers it), then the ISM map of the first head around each of the
    `maps` largest: Δ prediction per base and offset, the reference bases dotted and the
    variant's own substitution boxed (its cell is the variant's effect)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: cluster nodes have no display
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    shown = table.nsmallest(bars, "rank")
    maps = min(maps, len(ism.variants))
    fig, axes = plt.subplots(
        1 + maps,
        1,
        squeeze=False,
        layout="constrained",
        figsize=(7.5, 0.22 * len(shown) + 1.5 + 1.6 * maps),
    )
    ax = axes[0, 0]
    effect = shown["effect"].to_numpy()
    ax.barh(np.arange(len(shown)), effect, color=np.where(effect > 0, "#c0392b", "#2e6da4"))
    ax.set_yticks(np.arange(len(shown)), shown["variant"].tolist(), fontsize="small")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.6)
    ax.set(xlabel="effect (alternative − reference prediction)", title=title)
    if shown.empty:
        ax.text(
            0.5,
            0.5,
            "no SNV to score in this file",
            ha="center",
            va="center",
            transform=ax.transAxes,
            bbox={"fc": "white", "ec": "none"},
        )
    finite = ism.delta[:maps, :, :, 0]
    limit = float(np.nanmax(np.abs(finite))) if np.isfinite(finite).any() else 0.0
    image = None
    for k in range(maps):
        ax = axes[1 + k, 0]
        extent = (ism.offsets[0] - 0.5, ism.offsets[-1] + 0.5, 3.5, -0.5)
        image = ax.imshow(
            finite[k].T,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-(limit or 1.0),
            vmax=limit or 1.0,
            interpolation="nearest",
            extent=extent,
        )
        for p, base in enumerate(ism.reference[k]):
            if base in DNA:
                ax.plot(ism.offsets[p], DNA.index(base), "k.", ms=3)
        row = table.index[table["variant"] == ism.variants[k]][0]
        alt = DNA.index(table.at[row, "alt"])
        ax.add_patch(Rectangle((-0.5, alt - 0.5), 1, 1, fill=False, lw=1.5, ec="black"))
        ax.set_yticks(range(len(DNA)), list(DNA))
        ax.set(ylabel="ISM", title=f"{ism.variants[k]} ({ism.heads[0]})")
    if image is not None:
        axes[-1, 0].set_xlabel("offset from the variant (bases)")
        fig.colorbar(image, ax=axes[1:, 0].tolist(), label="Δ prediction", shrink=0.9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_variant_effects(
    table: pd.DataFrame,
    ism: VariantIsm,
    folder: Path,
    title: str = "variant effects",
    bars: int = 20,
    maps: int = 3,
) -> dict[str, Path]:
    """effects.csv and effects.parquet (the table), ism.npz (VariantIsm.arrays) and
    top_variants.png (`draw_top_variants`) in `folder`, each written atomically."""
    folder = Path(folder)
    paths = {
        "csv": folder / "effects.csv",
        "parquet": folder / "effects.parquet",
        "ism": folder / "ism.npz",
        "figure": folder / "top_variants.png",
    }
    with atomic_path(paths["csv"]) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(paths["parquet"]) as tmp:
        table.to_parquet(tmp, index=False)
    # A file handle, not a name: np.savez would add .npz to the temporary name.
    with atomic_path(paths["ism"]) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **ism.arrays())
    draw_top_variants(table, ism, paths["figure"], title, bars, maps)
    return paths


def variant_job(
    job: dict[str, Any],
    members: dict[str, list[Path]],
    vocab: dict[str, Any],
    leaderboard: Path,
) -> tuple[pd.DataFrame, VariantIsm, str]:
    """One `variants:` job of the config: its windows (VCF + genome, or a table), scored by
    the chosen architecture's fold models -> (effects table, mutagenesis maps, architecture).
    `best` is the leaderboard's first architecture (the ensemble is not a model of its own:
    its members would each need the windows, and its weights were fitted on other rows)."""
    arch = job["model"]
    if arch == "best":
        ranked = pd.read_csv(leaderboard)["architecture"].astype(str)
        arch = next(a for a in ranked if a in members)
    length = int(vocab["columns"][nucleotide_column(vocab)]["length"])
    if job.get("vcf"):
        windows = variants_from_vcf(Path(job["vcf"]), Path(job["genome"]), length)
    else:
        table = job["table"]
        windows = variants_from_table(
            Path(table["file"]),
            length,
            position=table["position"],
            ref=table["ref"],
            alt=table["alt"],
            sequence=table.get("sequence"),
            sequence_id=table.get("sequence_id"),
            fasta=Path(table["fasta"]) if table.get("fasta") else None,
            name=table.get("name"),
            separator=table.get("separator"),
        )
    effects, ism = score_variants(windows, members[arch], vocab, job["ism_flank"], job["top"])
    if effects.empty:
        skipped = skipped_text(windows.skipped) or "header lines only"
        warn_console(
            f"{windows.source}: no SNV to score ({skipped}); the effects table and "
            "its figure are empty"
        )
    return effects, ism, arch
