"""Shared pieces of the importers: units, row checks and the result they return."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
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


def labelled_run(row: dict, source: str, labels: RunLabels, tool: str, engine: str) -> ImportResult:
    """One run from a tool whose files do not record GPU, TP and precision: the caller's labels complete it."""
    model = labels.model or row.get("model")
    missing = [name for name, value in (("model", model), ("GPU", labels.gpu), ("TP", labels.tp),
                                        ("precision", labels.precision)) if value is None]
    if missing:
        raise BenchmarkFileError(
            source, f"{tool} files do not record {', '.join(missing)}; supply them (GPU, TP and precision of the run)"
        )
    row.update(model=model, gpu=labels.gpu, tp=labels.tp, pp=1, gpus_per_instance=labels.tp,
               precision=labels.precision, engine=labels.engine or engine, runs=1, source=source,
               provenance="measured")
    return check_rows(pd.DataFrame([row]), source, [1])


def check_rows(df: pd.DataFrame, source: str, row_numbers: list[int]) -> ImportResult:
    """Keep rows whose labels and required metrics are valid; list the others with their first bad column."""
    df = df.reset_index(drop=True)
    reasons: dict[int, tuple[str, str]] = {}

    def flag(column: str, bad: pd.Series, why) -> None:
        for i in np.flatnonzero(bad.to_numpy(dtype=bool)):
            reasons.setdefault(int(i), (column, why(df[column].iloc[i] if column in df else None)))

    for col in ("model", "gpu", "precision"):
        text = df[col] if col in df else pd.Series([None] * len(df))
        flag(col, ~text.map(lambda v: isinstance(v, str) and bool(v.strip())), lambda v: "missing; expected a name")
    for col in ("tp", "isl", "osl"):
        number = _numbers(df, col)
        flag(col, ~(np.isfinite(number) & (number > 0) & (number == np.round(number))),
             lambda v: f"{v!r} is not a positive whole number")
    rate_mode = (df["load_mode"] == "request_rate") if "load_mode" in df else pd.Series(False, index=df.index)
    load = _numbers(df, "concurrency").where(~rate_mode, _numbers(df, "request_rate"))
    flag("concurrency", ~(np.isfinite(load) & (load > 0)) & ~rate_mode, lambda v: f"{v!r} is not a positive number")
    flag("request_rate", ~(np.isfinite(load) & (load > 0)) & rate_mode, lambda v: f"{v!r} is not a positive number")
    for col in REQUIRED_METRICS:
        number = _numbers(df, col)
        flag(col, ~np.isfinite(number), lambda v: f"{v!r} is not a number")
        flag(col, np.isfinite(number) & (number <= 0), lambda v: f"{parse_number(v):g} is not positive")
    for col in (c for c in df.columns if isinstance(c, str) and "_ms_p" in c):
        number = _numbers(df, col)
        flag(col, np.isfinite(number) & (number < 0), lambda v: f"{parse_number(v):g} is negative")
    dropped = [DroppedRow(source, row_numbers[i], *reasons[i]) for i in sorted(reasons)]
    keep = np.ones(len(df), dtype=bool)
    keep[list(reasons)] = False
    return ImportResult(conform(df[keep]), dropped)


def _numbers(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(np.nan, index=df.index)
    return df[col].map(parse_number) if df[col].dtype == object else pd.to_numeric(df[col], errors="coerce")
