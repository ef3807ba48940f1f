"""Hand-made siRNA features beside the encoded tensors: design rules, duplex thermodynamics and
the guide's target site on the mRNA (with its flanks as a sequence).

One features file per role, rows in the encoded file's order (checked by row id), so the
tabular model and networks that ask for the target context read both side by side. The
standard tables come from the same loader and split as `encode`, so nothing is learnt here:
every feature is a function of one row.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.schema import FEATURE, ROW_ID, TARGET_CONTEXT, read_tensors, write_tensors
from dlgenomics.files import write_json
from dlgenomics.sirna.rules import design_feature_table, gc_content
from dlgenomics.sirna.target_site import SITE_LENGTH, flank_sequences, locate_sites

log = logging.getLogger(__name__)
GUIDE, TRANSCRIPT = "seq_antisense", "target_context"  # standard-table columns read here
DEFAULT_FLANK = 20  # nt of mRNA each side of the site (tasks.<t>.features.flank)
DEFAULT_MAX_MISMATCHES = 3  # over guide positions 2-19 (tasks.<t>.features.max_mismatches)


def feature_settings(task: dict[str, Any]) -> dict[str, int]:
    """The task's feature settings with their defaults (no schema defaults: see the schema)."""
    given = task.get("features") or {}
    return {
        "flank": given.get("flank", DEFAULT_FLANK),
        "max_mismatches": given.get("max_mismatches", DEFAULT_MAX_MISMATCHES),
    }


def sirna_features(
    frame: pd.DataFrame, flank: int, max_mismatches: int, where: str
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Feature columns of one standard table, and counts of rows without a usable target."""
    guides = frame[GUIDE].reset_index(drop=True)
    if TRANSCRIPT in frame:
        transcripts = frame[TRANSCRIPT].reset_index(drop=True)
    else:
        transcripts = pd.Series(np.nan, index=guides.index, dtype=object)
    try:
        design = design_feature_table(guides)
        sites = locate_sites(guides, transcripts, max_mismatches=max_mismatches)
    except ValueError as error:
        raise InputError(f"{where}: column {GUIDE}: {error}") from None
    flanks = flank_sequences(transcripts, sites["position"], flank)
    columns: dict[str, np.ndarray] = {ROW_ID: frame[ROW_ID].astype(str).to_numpy()}
    for name in design.columns:
        columns[FEATURE + name] = design[name].to_numpy(dtype=np.float32)
    columns[FEATURE + "site_found"] = sites["found"].to_numpy(dtype=np.float32)
    columns[FEATURE + "site_mismatches"] = sites["mismatches"].to_numpy(dtype=np.float32)
    columns[FEATURE + "site_pos1_paired"] = sites["pos1_paired"].to_numpy(dtype=np.float32)
    columns[FEATURE + "site_relative_position"] = sites["relative_position"].to_numpy(
        dtype=np.float32
    )
    # GC of the mRNA just upstream and downstream of the site: local structure/accessibility.
    for side, part in (("5p", slice(0, flank)), ("3p", slice(flank + SITE_LENGTH, None))):
        gc = flanks.str[part].map(gc_content_or_nan)
        columns[FEATURE + f"flank_gc_{side}"] = gc.to_numpy(dtype=np.float32)
    columns[TARGET_CONTEXT] = tokens.encode_nucleotides(
        flanks, SITE_LENGTH + 2 * flank, f"{where}: target context", allow_n=True
    )
    missing = transcripts.isna() | (transcripts.astype(str).str.len() == 0)
    counts = {
        "target sequence missing": int(missing.sum()),
        f"target site not found (> {max_mismatches} mismatches)": int(
            (~sites["found"] & ~missing).sum()
        ),
    }
    return columns, counts


def with_target_context(
    columns: dict[str, np.ndarray],
    features: dict[str, np.ndarray],
    vocab: dict[str, Any],
    spec: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Encoded columns and vocabulary extended with the features file's target context, for
    networks that read it (`inputs: [..., seq_target]`)."""
    if not np.array_equal(features[ROW_ID].astype(str), columns[ROW_ID].astype(str)):
        raise InputError("the features file's rows differ from the encoded tensors; re-run them")
    merged_vocab = {**vocab, "columns": {**vocab["columns"], **spec["columns"]}}
    return {**columns, TARGET_CONTEXT: features[TARGET_CONTEXT]}, merged_vocab


def gc_content_or_nan(sequence: str) -> float:
    """GC share of the known bases (N left out); NaN when there are none."""
    known = "".join(b for b in sequence if b in "ACGTUacgtu")
    return gc_content(known) if known else float("nan")


def featurize_task(
    frames: dict[str, pd.DataFrame],
    task: dict[str, Any],
    encoded: dict[str, Path],
    out: dict[str, Path],
    out_spec: Path,
) -> dict[str, Any]:
    """Write one features file per role (rows as in `encoded[role]`) and the spec beside them
    (what `seq_target` is, for networks that read it). Returns counts for the log."""
    settings = feature_settings(task)
    summary: dict[str, Any] = {"settings": settings, "flagged": {}}
    for role, frame in frames.items():
        columns, counts = sirna_features(
            frame, settings["flank"], settings["max_mismatches"], f"{role} table"
        )
        encoded_ids = read_tensors(encoded[role], required=(ROW_ID,))[ROW_ID]
        if not np.array_equal(encoded_ids.astype(str), columns[ROW_ID]):
            raise InputError(
                f"{encoded[role]}: rows differ from the {role} table being featurised; "
                "re-run encode"
            )
        write_tensors(columns, out[role])
        summary["flagged"][role] = counts
        for reason, count in counts.items():
            if count:
                log.warning("%s: %d rows flagged: %s", role, count, reason)
    spec = {
        "columns": {
            TARGET_CONTEXT: {"vocab": "nucleotide", "length": SITE_LENGTH + 2 * settings["flank"]}
        },
        **summary,
    }
    write_json(out_spec, spec, sort_keys=True)
    return summary
