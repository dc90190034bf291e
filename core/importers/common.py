"""Shared pieces of the importers: units, row checks and the result they return."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from core.errors import BenchmarkFileError
from core.schema import REQUIRED_METRICS, conform

TIME_UNITS_TO_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "sec": 1e3}


@dataclass(frozen=True)
class DroppedRow:
    """A row left out of the table, and why (row is the 1-based line or record number in the file)."""

    source: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}, row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ImportResult:
    """Rows that were read, and the rows that were not."""

    table: pd.DataFrame
    dropped: list[DroppedRow] = field(default_factory=list)


@dataclass(frozen=True)
class RunLabels:
    """What a file may not record itself: the caller supplies it."""

    model: str | None = None
    gpu: str | None = None
    tp: int | None = None
    precision: str | None = None
    engine: str | None = None
    concurrency: float | None = None


def time_factor_to_ms(unit: object, source: str, column: str) -> float:
    """Factor that turns a value in `unit` into milliseconds; an unknown unit is an error."""
    key = str(unit).strip().lower()
    if key not in TIME_UNITS_TO_MS:
        raise BenchmarkFileError(
            source, f"column {column}: unknown time unit {unit!r}; expected one of ns, us, ms, s"
        )
    return TIME_UNITS_TO_MS[key]


def parse_number(text: object) -> float:
    """A number as benchmark tools print it ("1,024.21", 3, "inf"); NaN when it is not one."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if text is None:
        return math.nan
    cleaned = str(text).strip().replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        return math.nan


def concurrency_from_path(path_text: str) -> float | None:
    """GenAI-Perf names run folders '...-concurrency10'; take the number from there."""
    match = re.search(r"concurrency[_-]?(\d+)", path_text)
    return float(match.group(1)) if match else None


def check_rows(df: pd.DataFrame, source: str, row_numbers: list[int]) -> ImportResult:
    """Keep rows whose required metrics are finite and positive; list the others with the first bad column."""
    dropped: list[DroppedRow] = []
    keep = []
    for i, (_, row) in enumerate(df.iterrows()):
        problem = _row_problem(row)
        if problem is None:
            keep.append(i)
        else:
            column, reason = problem
            dropped.append(DroppedRow(source, row_numbers[i], column, reason))
    return ImportResult(conform(df.iloc[keep]), dropped)


def _row_problem(row: pd.Series) -> tuple[str, str] | None:
    for col in ("model", "gpu", "precision"):
        if not isinstance(row.get(col), str) or not row.get(col).strip():
            return col, "missing; expected a name"
    for col in ("tp", "isl", "osl"):
        value = parse_number(row.get(col))
        if not math.isfinite(value) or value <= 0 or value != int(value):
            return col, f"{row.get(col)!r} is not a positive whole number"
    load = row.get("concurrency") if row.get("load_mode") == "concurrency" else row.get("request_rate")
    if not math.isfinite(parse_number(load)) or parse_number(load) <= 0:
        return str(row.get("load_mode")), f"{load!r} is not a positive number"
    for col in REQUIRED_METRICS:
        value = parse_number(row.get(col))
        if not math.isfinite(value):
            return col, f"{row.get(col)!r} is not a number"
        if value <= 0:
            return col, f"{value:g} is not positive"
    for col, value in row.items():
        if isinstance(col, str) and col.endswith(("_ms_p95", "_ms_p99", "_ms_p50", "_ms_p90")):
            number = parse_number(value)
            if math.isfinite(number) and number < 0:
                return col, f"{number:g} is negative"
    return None
