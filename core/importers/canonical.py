"""This tool's own CSV export (the canonical table, as `import --out` and the Data page's download write it)."""

from __future__ import annotations

import pandas as pd

from core.importers.common import Parsed, column_numbers, column_shown, column_text
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
    rows = pd.DataFrame({c: column_text(raw[c]) if c in TEXT_COLUMNS else column_numbers(raw[c]) for c in kept})
    # Numeric columns hold their values as written already; only text in a numeric column needs showing.
    seen = pd.DataFrame({c: column_shown(raw[c]) for c in kept if c not in TEXT_COLUMNS
                         and not pd.api.types.is_numeric_dtype(raw[c])}, index=raw.index)
    if "load_mode" not in rows:
        rows["load_mode"] = "concurrency"
    return Parsed("this tool's table", rows, [i + 2 for i in range(len(raw))], {c: c for c in kept}, seen,
                  SIZING_METRICS, labelled=False)

