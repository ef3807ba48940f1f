"""What both siRNA kinds read alike: the target (% of the mRNA left) and the scales a user's
labels may be written in, the guide's duplex core, and the text that ties rows together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.sirna.rules import CORE_LENGTH

SIRNA_TARGET = "mRNA_remaining_pct"


SIRNA_TARGET_RANGE = (0.0, 1000.0)  # % of mRNA left; > 100 happens (up-regulation), < 0 cannot

# `table.label.scale` -> the range a label on that scale must lie in.
SIRNA_LABEL_SCALES = {
    "efficacy_fraction": (0.0, 1.0),  # share of the mRNA knocked down, higher is better
    "efficacy_percent": (0.0, 100.0),  # the same in percent
    "remaining_percent": SIRNA_TARGET_RANGE,  # % mRNA left, lower is better (the competition's)
}


def to_remaining_percent(values: np.ndarray | pd.Series | float, scale: str) -> np.ndarray:
    """A label on `scale` -> % mRNA remaining, the `target` of every siRNA kind."""
    values = np.asarray(values, dtype=np.float64)
    if scale == "efficacy_fraction":
        remaining = 100.0 * (1.0 - values)
    elif scale == "efficacy_percent":
        remaining = 100.0 - values
    elif scale == "remaining_percent":
        remaining = values
    else:
        raise InputError(f"unknown label scale {scale!r} (known: {', '.join(SIRNA_LABEL_SCALES)})")
    # 100·(1 − 0.7) is 30.000000000000004: rounding keeps a label equal to the threshold equal
    # to it after conversion, as the user wrote them.
    return np.round(remaining, 6)


def from_remaining_percent(remaining: np.ndarray | pd.Series, scale: str) -> np.ndarray:
    """% mRNA remaining (predictions) -> the table's own label `scale`: to_remaining_percent's
    inverse, for users who read their predictions in their table's units."""
    remaining = np.asarray(remaining, dtype=np.float64)
    converted = {
        "efficacy_fraction": 1.0 - remaining / 100.0,
        "efficacy_percent": 100.0 - remaining,
        "remaining_percent": remaining,
    }
    if scale not in converted:
        raise InputError(f"unknown label scale {scale!r} (known: {', '.join(SIRNA_LABEL_SCALES)})")
    return converted[scale]


# The guide's 19-nt duplex core is what the design rules and the target-site search read.
GUIDE_LENGTH = {"seq_antisense": (CORE_LENGTH, f"the {CORE_LENGTH}-nt duplex core")}


_SITE_OF_GUIDE = str.maketrans("ACGTU", "TGCAA")


def sirna_context_text(frame: pd.DataFrame) -> pd.Series:
    """Each row's target text where it has one, else its guide's site (the reverse complement
    of the duplex core, DNA): rows on overlapping stretches of one mRNA share it."""
    # Letters are checked later, at encode: anything else is left as it is here.
    site = frame["seq_antisense"].astype(str).str[:CORE_LENGTH].str[::-1].str.upper()
    site = site.str.translate(_SITE_OF_GUIDE)
    if "target_context" not in frame:
        return site
    target = frame["target_context"].astype("string")
    return target.where(target.fillna("").str.len() > 0, site).astype(object)
