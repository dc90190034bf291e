"""This tool's own CSV export (the canonical table, as `import --out` and the Data page's download write it)."""

from __future__ import annotations

import pandas as pd

from core.importers.common import Parsed
from core.schema import COLUMNS, SIZING_METRICS, TEXT_COLUMNS

NAME = "this tool's CSV export"
SIGNATURE = "columns model, gpu, tp, precision, isl, osl and concurrency (or request_rate)"
KEYS = ("model", "gpu", "tp", "precision", "isl", "osl")


def looks_like(columns: list[str]) -> bool:
    """Its key columns, with a load; metric columns may be absent (a table of configurations to predict)."""
    return all(c in columns for c in KEYS) and ("concurrency" in columns or "request_rate" in columns)


def read(raw: pd.DataFrame, source: str) -> Parsed:
    """Rows as exported; rows of this tool's own exports may lack statistics (p99-only or non-streaming runs)."""
    kept = [c for c in COLUMNS if c in raw.columns]
    rows = pd.DataFrame({c: _text(raw[c]) if c in TEXT_COLUMNS else _number(raw[c]) for c in kept})
    seen = pd.DataFrame({c: raw[c] for c in kept if c not in TEXT_COLUMNS})
    if "load_mode" not in rows:
        rows["load_mode"] = "concurrency"
    return Parsed("this tool's table", rows, [i + 2 for i in range(len(raw))], {c: c for c in kept}, seen,
                  SIZING_METRICS, labelled=False)


def _number(column: pd.Series) -> pd.Series:
    number = pd.to_numeric(column, errors="coerce")  # plain numbers, the common case, in one pass
    retry = number.isna() & (column.str.strip() != "")
    if retry.any():
        number[retry] = pd.to_numeric(column[retry].str.strip().str.replace(",", "", regex=False), errors="coerce")
    return number


def _text(column: pd.Series) -> pd.Series:
    text = column.str.strip()
    return text.where(text != "", None).astype("object")
