"""Hand-made siRNA features beside the encoded tensors: design rules, duplex thermodynamics and
the guide's target site on the mRNA (with its flanks as a sequence).

One features file per role, rows in the encoded file's order (checked by row id), so the
tabular model and networks that ask for the target context read both side by side. The
standard tables come from the same loader and split as `encode`, so nothing is learnt here:
every feature is a function of one row.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.schema import FEATURE, ROW_ID, TARGET_CONTEXT, read_tensors, write_tensors
from dlgenomics.files import write_json
from dlgenomics.sirna.rules import design_feature_table, gc_content
from dlgenomics.sirna.structure import (
    ENERGY_COLUMNS,
    AccessibilitySettings,
    site_accessibility,
    strand_energies,
)
from dlgenomics.sirna.target_site import SITE_LENGTH, flank_sequences, locate_sites

log = logging.getLogger(__name__)
GUIDE, TRANSCRIPT = "seq_antisense", "target_context"  # standard-table columns read here
DEFAULT_FLANK = 20  # nt of mRNA each side of the site (tasks.<t>.features.flank)
DEFAULT_MAX_MISMATCHES = 3  # over guide positions 2-19 (tasks.<t>.features.max_mismatches)
PASSENGER = "seq_sense"
# ViennaRNA's (Turner 2004) values replace the hand-written Xia 1998 ones of rules.py under the
# same names; tests/test_structure.py keeps the two side by side on worked examples.
VIENNA_ENERGIES = {name: name for name in ENERGY_COLUMNS}
# Accessibility columns, named so that the tabular model counts them with the target site.
ACCESSIBILITY_FEATURES = {
    "access_site": "site_access",
    "access_seed": "site_access_seed",
    "access_flank_5p": "flank_access_5p",
    "access_flank_3p": "flank_access_3p",
}


def feature_settings(task: dict[str, Any]) -> dict[str, int]:
    """The task's feature settings with their defaults (no schema defaults: see the schema)."""
    given = task.get("features") or {}
    plfold = AccessibilitySettings()
    return {
        "flank": given.get("flank", DEFAULT_FLANK),
        "max_mismatches": given.get("max_mismatches", DEFAULT_MAX_MISMATCHES),
        "access_window": given.get("access_window", plfold.window),
        "access_span": given.get("access_span", plfold.span),
        "access_flank": given.get("access_flank", plfold.flank),
    }


def sirna_features(
    frame: pd.DataFrame, settings: dict[str, int], where: str
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Feature columns of one standard table, and counts of rows without a usable target."""
    guides = frame[GUIDE].reset_index(drop=True)
    passengers = frame[PASSENGER].reset_index(drop=True) if PASSENGER in frame else None
    if TRANSCRIPT in frame:
        transcripts = frame[TRANSCRIPT].reset_index(drop=True)
    else:
        transcripts = pd.Series(np.nan, index=guides.index, dtype=object)
    try:
        design = design_feature_table(guides)
        sites = locate_sites(guides, transcripts, max_mismatches=settings["max_mismatches"])
        energies = strand_energies(guides, passengers)
    except ValueError as error:
        raise InputError(f"{where}: column {GUIDE}: {error}") from None
    plfold = AccessibilitySettings(
        settings["access_window"], settings["access_span"], settings["access_flank"]
    )
    access = site_accessibility(transcripts, sites["position"].to_numpy(), plfold)
    flank = settings["flank"]
    flanks = flank_sequences(transcripts, sites["position"], flank)
    columns: dict[str, np.ndarray] = {ROW_ID: frame[ROW_ID].astype(str).to_numpy()}
    for name in design.columns:
        columns[FEATURE + name] = design[name].to_numpy(dtype=np.float32)
    for name, feature in VIENNA_ENERGIES.items():
        columns[FEATURE + feature] = energies[name].to_numpy(dtype=np.float32)
    for name, feature in ACCESSIBILITY_FEATURES.items():
        columns[FEATURE + feature] = access[name].to_numpy(dtype=np.float32)
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
        f"target site not found (> {settings['max_mismatches']} mismatches)": int(
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


def read_with_target_context(
    tables: tuple[Path, Path], features: tuple[Path, Path], spec_path: Path, vocab: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    """(training columns, test columns, vocabulary) of a siRNA task (small: held whole), the
    features files' target context joined to the encoded (train, test) tensors."""
    spec = json.loads(spec_path.read_text())
    joined = [
        with_target_context(
            read_tensors(table), read_tensors(extra, required=(ROW_ID,)), vocab, spec
        )
        for table, extra in zip(tables, features, strict=True)
    ]
    return joined[0][0], joined[1][0], joined[0][1]


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
        columns, counts = sirna_features(frame, settings, f"{role} table")
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


# Over this share of guides without a site in their target, the table is read the wrong way.
MAX_SHARE_WITHOUT_SITE = 0.5
_TARGET_LETTERS = re.compile(r"[ACGTUNacgtun]*")


def check_sirna_frame(
    frame: pd.DataFrame, where: str, names: dict[str, str], task: dict[str, Any]
) -> None:
    """What encode checks in an siRNA standard table before anything trains: the target text
    holds only nucleotides (padding already read as N), and most guides pair with their target
    (else the strands are probably swapped). Errors name `where`, the user's column and id."""
    if TRANSCRIPT not in frame:
        return
    target_column = names.get(TRANSCRIPT, TRANSCRIPT)
    text = frame[TRANSCRIPT].astype("string")
    bad = text.notna() & ~text.fillna("").str.fullmatch(_TARGET_LETTERS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = str(text.iloc[row])
        position = next(i for i, c in enumerate(value) if not _TARGET_LETTERS.fullmatch(c))
        raise InputError(
            f"{where}: column {target_column}, id {frame[ROW_ID].iloc[row]}: character "
            f"{value[position]!r} at position {position + 1} is not a nucleotide (A, C, G, T/U, "
            "N; tasks.<t>.table.padding lists letters read as N)"
        )
    has_target = (text.fillna("").str.len() > 0).to_numpy()
    if not has_target.any():
        return
    settings = feature_settings(task)
    guides = frame[GUIDE][has_target].reset_index(drop=True)
    sites = locate_sites(
        guides,
        frame[TRANSCRIPT][has_target].reset_index(drop=True),
        max_mismatches=settings["max_mismatches"],
    )
    missing = int((~sites["found"]).sum())
    if missing > MAX_SHARE_WITHOUT_SITE * len(sites):
        raise InputError(
            f"{where}: {missing} of {len(sites)} guides (column {names.get(GUIDE, GUIDE)}) "
            f"find no site in their target (column {target_column}, at most "
            f"{settings['max_mismatches']} mismatches): are the guide and passenger strands "
            "swapped? The guide (antisense) strand is the reverse complement of its target site."
        )
