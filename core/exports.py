"""Exports a spreadsheet opens safely: a text cell that starts with =, +, -, @, tab or carriage return is a formula
to Excel and LibreOffice (quoting does not stop them), so it gets a leading apostrophe, as OWASP advises."""

from __future__ import annotations

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text that would start a formula, prefixed with '; anything else (numbers too) as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(TRIGGERS) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells are neutralised; numeric columns (a -5 ms latency) stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV text, safe to open in a spreadsheet."""
    return safe_frame(frame).to_csv(index=False)


def safe_text(text: str) -> str:
    """Plain text (a quote) a spreadsheet may import line by line and split at tabs: every line and tab-separated
    field that would start a formula is neutralised, except rules made only of = or - (they hold no formula)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join("\t".join(f if set(f) <= {"=", "-"} else str(neutralise(f)) for f in line.split("\t"))
                     for line in lines)
