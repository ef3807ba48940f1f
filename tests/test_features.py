"""siRNA features beside the tensors: target site, flanks, flags, and row alignment."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import encode_outputs, encode_settings

from dlgenomics import InputError
from dlgenomics.data.encode import encode_task, standard_tables
from dlgenomics.data.schema import FEATURE, ROW_ID, TARGET_CONTEXT, read_tensors
from dlgenomics.data.tokens import decode_nucleotides
from dlgenomics.sirna.features import feature_settings, featurize_task, sirna_features
from dlgenomics.sirna.rules import reverse_complement

RNG = np.random.default_rng(5)
TRANSCRIPT = "".join(RNG.choice(list("ACGT"), 200))


def _guide_for(start: int) -> str:
    """The 21-nt guide whose positions 1-19 pair with TRANSCRIPT[start:start + 19]."""
    segment = TRANSCRIPT[start - 2 : start + 19]  # the 2-nt 3' tail pairs 5' of the site
    return reverse_complement(segment)


def test_site_flanks_and_flags_per_row():
    frame = pd.DataFrame({
        ROW_ID: ["a", "b", "c", "d"],
        "seq_antisense": [_guide_for(100), _guide_for(5), _guide_for(60), "A" * 21],
        "target_context": [TRANSCRIPT, TRANSCRIPT, np.nan, TRANSCRIPT],
    })  # fmt: skip
    columns, counts = sirna_features(frame, {**feature_settings({}), "flank": 10}, "test table")
    found = columns[FEATURE + "site_found"]
    np.testing.assert_array_equal(found, [1, 1, 0, 0])
    assert columns[FEATURE + "site_relative_position"][0] == pytest.approx(100 / 200)
    # The flank is the site with 10 nt of mRNA each side, 5'->3'; beyond the start: unknown.
    context = decode_nucleotides(columns[TARGET_CONTEXT])
    assert context[0] == TRANSCRIPT[90:129].replace("T", "U")
    assert context[1] == "N" * 5 + TRANSCRIPT[0:34].replace("T", "U")
    assert context[2] == "N" * 39  # no transcript: all unknown
    assert counts == {"target sequence missing": 1, "target site not found (> 3 mismatches)": 1}
    # Flank GC is unknown (NaN) where there is no site; design features exist for every row.
    assert np.isnan(columns[FEATURE + "flank_gc_5p"][2])
    assert np.isfinite(columns[FEATURE + "duplex_dg"]).all()


def test_bad_guide_is_a_one_line_error():
    frame = pd.DataFrame({ROW_ID: ["a"], "seq_antisense": ["ACGXACGUACGUACGUACGUA"]})
    with pytest.raises(InputError, match=r"test table: column seq_antisense: .*X"):
        sirna_features(frame, {**feature_settings({}), "flank": 5}, "test table")


def test_features_follow_the_encoded_rows(sirna_files, tmp_path):
    task = encode_settings("random", 2)
    out = encode_outputs(tmp_path / "encoded")
    encode_task("sirna_competition", sirna_files, task, out)
    _, frames = standard_tables("sirna_competition", sirna_files, task)
    features = {role: tmp_path / f"features/{role}.parquet" for role in frames}
    encoded = {r: out[r] for r in frames}
    summary = featurize_task(
        frames, {**task, "features": {"flank": 7}}, encoded, features, tmp_path / "spec.json"
    )
    spec = json.loads((tmp_path / "spec.json").read_text())
    assert spec["columns"][TARGET_CONTEXT] == {"vocab": "nucleotide", "length": 19 + 2 * 7}
    assert summary["settings"] == {
        "flank": 7,
        "max_mismatches": 3,
        "access_window": 80,
        "access_span": 40,
        "access_flank": 10,
    }
    for role in frames:
        written = read_tensors(features[role], required=(ROW_ID,))
        tensors = read_tensors(out[role])
        np.testing.assert_array_equal(written[ROW_ID], tensors[ROW_ID])
        assert written[TARGET_CONTEXT].shape == (len(tensors[ROW_ID]), 33)
    # Rows out of step with the encoded file: refused, nothing written.
    shuffled = {"train": frames["train"].iloc[::-1], "test": frames["test"]}
    with pytest.raises(InputError, match="rows differ"):
        other = {r: tmp_path / f"other/{r}.parquet" for r in frames}
        featurize_task(shuffled, task, encoded, other, tmp_path / "o.json")
    assert not (tmp_path / "other" / "train.parquet").exists()
