"""Small self-contained HTML pages for the Snakemake report (it shows HTML, not Markdown)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from dlgenomics.files import atomic_path

# Inline, so the page reads the same inside the report's frame and opened on its own.
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
table.ranked tbody tr:first-child { font-weight: 600; }
table.key th { vertical-align: bottom; } table.key td { white-space: nowrap; }
div.wide { overflow-x: auto; }
pre { background: #f6f6f6; padding: 0.8em; font-size: 0.85em; overflow-x: auto; }
p.note { color: #555; max-width: 60em; }
"""


UNDEFINED = "n/a"  # a metric with no value on these rows (AUROC of one class, ...)


def table(frame: pd.DataFrame, digits: int = 4, ranked: bool = False) -> str:
    """`ranked`: the first row is the best and shown in bold."""
    body = frame.to_html(
        index=False,
        border=0,
        float_format=lambda v: f"{v:.{digits}f}",
        na_rep=UNDEFINED,
        classes="ranked" if ranked else None,
    )
    return f'<div class="wide">{body}</div>'


def number(value: float, digits: int = 4) -> str:
    """A table cell's number, `UNDEFINED` where there is none."""
    return UNDEFINED if value is None or np.isnan(value) else f"{value:.{digits}f}"


def interval(value: float, low: float, high: float, digits: int = 4) -> str:
    """A value with its interval: '0.8560 [0.8349, 0.8670]'."""
    if any(v is None or np.isnan(v) for v in (low, high)):
        return number(value, digits)
    return f"{number(value, digits)} [{low:.{digits}f}, {high:.{digits}f}]"


def key_table(frame: pd.DataFrame, ranked: bool = False) -> str:
    """A narrow table of text cells (class `key`): headers wrap at spaces, and long words
    after `_` too, so that file names do not widen it; `ranked`: the first row bold."""

    def breakable(text: str) -> str:
        words = html.escape(text).split(" ")
        return " ".join(w.replace("_", "_<wbr>") if len(w) > 12 else w for w in words)

    head = "".join(f"<th>{breakable(str(column))}</th>" for column in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    classes = "key ranked" if ranked else "key"
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def preformatted(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def write_page(path: Path, title: str, sections: list[tuple[str, str]]) -> None:
    """A page of (heading, HTML body) sections; an empty heading adds the body alone."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, body in sections:
        if heading:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(body)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        "<body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)
