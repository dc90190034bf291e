"""Shared pieces of the importers: what a format reader hands back, the checks every row passes, and units."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import BenchmarkFileError
from core.schema import (
    ANY_LATENCY,
    LATENCY_COLUMNS,
    LENGTH_TOLERANCE,
    MAX_GPUS,
    MAX_LATENCY_MS,
    MAX_LOAD,
    MAX_REQ_PER_S,
    MAX_TOK_PER_S,
    MAX_TOKENS,
    METRIC_COLUMNS,
    REQUIRED_METRICS,
    conform,
)

TIME_UNITS_TO_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "sec": 1e3}
METRIC_LIMITS = {**dict.fromkeys(LATENCY_COLUMNS, (MAX_LATENCY_MS, "ms")),
                 "req_per_s": (MAX_REQ_PER_S, "requests/s"), "out_tok_per_s": (MAX_TOK_PER_S, "tokens/s")}


@dataclass(frozen=True)
class DroppedRow:
    """A row (or with row 0, a whole file) left out of the table, and why; row is the 1-based line or record."""

    source: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row == 0:
            return f"{self.source}: {self.reason}"
        return f"{self.source}, row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ImportResult:
    """Rows that were read, the rows that were not, what the user should know, and the files read."""

    table: pd.DataFrame
    dropped: list[DroppedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunLabels:
    """What a file may not record itself: the caller supplies it.

    model, GPU, TP, precision and engine replace what a file says (to match the catalog's names); concurrency and
    the requested lengths isl/osl only fill in what the file does not record.
    """

    model: str | None = None
    gpu: str | None = None
    tp: int | None = None
    precision: str | None = None
    engine: str | None = None
    concurrency: float | None = None
    isl: int | None = None
    osl: int | None = None


@dataclass
class Parsed:
    """One file's runs in canonical columns as a format reader found them, before the checks every row passes.

    `fields` names each canonical column as the file does, and `shown` holds each value as the file wrote it
    (with its unit), so that a message says "time_to_first_token.avg: -5 ns is negative", not "-5e-06".
    """

    tool: str
    rows: pd.DataFrame
    lines: list[int]
    fields: dict[str, str] = field(default_factory=dict)
    shown: pd.DataFrame | None = None
    required: tuple[str, ...] = REQUIRED_METRICS
    labelled: bool = True  # False: the file records every label itself (course table, this tool's export)
    dropped: list[DroppedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def time_factor_to_ms(unit: object, source: str, column: str) -> float:
    """Factor that turns a value in `unit` into milliseconds; an unknown unit is an error."""
    key = str(unit).strip().lower()
    if key not in TIME_UNITS_TO_MS:
        raise BenchmarkFileError(source, f"{column}: unknown time unit {plain(unit)}; expected one of ns, us, ms, s")
    return TIME_UNITS_TO_MS[key]


def parse_number(text: object) -> float:
    """A number as benchmark tools print it ("1,024.21", 3, "inf"); NaN when it is not one."""
    if isinstance(text, bool) or text is None:
        return math.nan
    if isinstance(text, (int, float, np.integer, np.floating)):
        try:
            return float(text)
        except OverflowError:  # an integer beyond the float range
            return math.inf if text > 0 else -math.inf
    cleaned = str(text).strip().replace(",", "")
    try:
        return float(cleaned)
    except (ValueError, OverflowError):
        return math.nan


def plain(value: object) -> str:
    """A value as a person writes it: nan, -5, 0.25, 'abc' (never numpy's repr)."""
    if value is None:
        return "empty"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number) and number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return repr(number)
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], str(value).strip())
    return (text if len(text) <= 40 else text[:39] + "…") if text else "empty"


def shown(value: object, unit: str = "") -> str:
    """How the file wrote a value, with its unit when it has one ("-5 ns"); '' when the file has none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = plain(value)
    return f"{text} {unit}".strip() if unit else text


def column_numbers(column: pd.Series) -> pd.Series:
    """A CSV column as numbers: numeric columns as they are, text ones parsed ("1,024.5"; anything else NaN)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    text = column.astype("str").str.strip()
    number = pd.to_numeric(text, errors="coerce")
    retry = number.isna() & text.str.contains(",", regex=False)
    if retry.any():
        number[retry] = pd.to_numeric(text[retry].str.replace(",", "", regex=False), errors="coerce")
    return number.astype("float64")


def column_text(column: pd.Series) -> pd.Series:
    """A CSV column as names: stripped text, None where empty."""
    text = column.astype("str").str.strip()
    return text.where(text != "", None).astype("object")


def column_shown(column: pd.Series, unit: pd.Series | str = "") -> pd.Series:
    """A CSV column as the file wrote it, with its unit ("-5 ns"); '' where empty."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        text = pd.Series([plain(v) for v in column.to_numpy()], index=column.index, dtype="object")
    else:
        text = column.astype("str").str.strip().astype("object")
    written = text != ""
    if isinstance(unit, pd.Series) or unit:
        text = text + " " + unit
    return text.where(written, "")


def entry(doc: object, *path: str | int) -> object:
    """doc[path[0]][path[1]]…, or None where any step is missing or of the wrong kind (files are untrusted)."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(doc, list) or not -len(doc) <= key < len(doc):
                return None
        elif not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def concurrency_from_path(path_text: str) -> float | None:
    """GenAI-Perf and AIPerf sweeps name run folders '...-concurrency10' or 'concurrency_16'."""
    match = re.search(r"concurrency[_-]?(\d+)", path_text)
    return float(match.group(1)) if match else None


def finish(parsed: Parsed, source: str, labels: RunLabels, required: tuple[str, ...] | None) -> ImportResult:
    """Complete the rows with the caller's labels and defaults, report length mismatches, then check every row."""
    if parsed.rows.empty and not parsed.dropped:
        raise BenchmarkFileError(source, f"no runs in this {parsed.tool} file (a header or an empty list, no rows)")
    rows = parsed.rows.copy().reset_index(drop=True)
    for col in ("model", "gpu", "tp", "precision", "engine", "concurrency", "isl", "osl", "isl_measured",
                "osl_measured", "load_mode", "pp", "gpus_per_instance", "derived"):
        if col not in rows:
            rows[col] = np.nan
    rows["model"] = rows["model"].astype("object")
    warnings = list(parsed.warnings)
    if parsed.labelled:
        _apply_labels(rows, parsed, source, labels)
    rows["pp"] = pd.to_numeric(rows["pp"], errors="coerce").fillna(1)
    tp = pd.to_numeric(rows["tp"], errors="coerce")
    rows["gpus_per_instance"] = pd.to_numeric(rows["gpus_per_instance"], errors="coerce").fillna(tp * rows["pp"])
    rows["engine"] = rows["engine"].where(rows["engine"].notna(), "unknown")
    rows["load_mode"] = rows["load_mode"].where(rows["load_mode"].notna(), "concurrency")
    rows["runs"] = pd.to_numeric(rows.get("runs", pd.Series(1, index=rows.index)), errors="coerce").fillna(1)
    rows["source"] = rows["source"].where(rows["source"].notna(), source) if "source" in rows else source
    if "provenance" in rows:
        rows["provenance"] = rows["provenance"].where(rows["provenance"].isin(["measured", "modeled"]), "measured")
    else:
        rows["provenance"] = "measured"
    warnings += _lengths(rows, parsed, source)
    return check_rows(rows, source, parsed.lines, parsed.required if required is None else required,
                      parsed.fields, parsed.shown, parsed.dropped, warnings)


def _apply_labels(rows: pd.DataFrame, parsed: Parsed, source: str, labels: RunLabels) -> None:
    for col in ("model", "gpu", "tp", "precision", "engine"):
        value = getattr(labels, col)
        if value is not None and (not isinstance(value, str) or value.strip()):
            rows[col] = value
            if col == "tp":
                rows["gpus_per_instance"] = np.nan  # recomputed from the given TP
    for col in ("isl", "osl"):
        if getattr(labels, col) is not None:
            rows[col] = pd.to_numeric(rows[col], errors="coerce").fillna(getattr(labels, col))
    at_concurrency = rows["load_mode"].isna() | (rows["load_mode"] == "concurrency")
    for value in (labels.concurrency, concurrency_from_path(source)):  # the caller's, else the run folder's name
        if value is not None:
            rows.loc[at_concurrency, "concurrency"] = pd.to_numeric(rows.loc[at_concurrency, "concurrency"],
                                                                    errors="coerce").fillna(value)
    missing = [name for col, name in (("model", "model"), ("gpu", "GPU"), ("tp", "TP"), ("precision", "precision"))
               if rows[col].isna().all()]
    if not missing and at_concurrency.all() and pd.to_numeric(rows["concurrency"], errors="coerce").isna().all():
        raise BenchmarkFileError(source, f"this {parsed.tool} file does not record the concurrency; supply it (or keep "
                                 "the run in its folder named '…-concurrencyN')")
    if missing:
        raise BenchmarkFileError(
            source, f"{parsed.tool} files do not record {', '.join(missing)}; supply them (GPU, TP and precision "
            "of the run)"
        )


def _lengths(rows: pd.DataFrame, parsed: Parsed, source: str) -> list[str]:
    """Requested lengths key the curve; where a file has only the measured mean, that (rounded) does."""
    warnings = []
    for length, word in (("isl", "input"), ("osl", "output")):
        requested = pd.to_numeric(rows[length], errors="coerce")
        measured = pd.to_numeric(rows[f"{length}_measured"], errors="coerce")
        usable = np.isfinite(measured)
        rows[length] = requested.where(requested.notna(), measured.where(usable).round())
        if f"{length}_fallback" in rows:
            stand_in = pd.to_numeric(rows[f"{length}_fallback"], errors="coerce")
            used = rows[length].isna() & np.isfinite(stand_in)
            rows[length] = rows[length].where(~used, stand_in.where(used).round())
            if used.any():
                warnings.append(f"{source}: {parsed.fields.get(f'{length}_fallback', 'a substitute')} stands for the "
                                f"{word} length ({plain(rows.loc[used, length].iloc[0])} tokens in row "
                                f"{parsed.lines[int(np.flatnonzero(used)[0])]}); give the requested {word} length "
                                f"({length}) if it differs")
        if rows[length].isna().all() and len(rows):
            raise BenchmarkFileError(
                source, f"the file records neither the requested nor the measured {word} length; supply the requested "
                f"{word} length ({length})"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            apart = np.abs(measured.to_numpy() / requested.to_numpy() - 1) > LENGTH_TOLERANCE
        off = (np.isfinite(requested) & usable & (requested > 0)).to_numpy() & apart
        for i in np.flatnonzero(off):
            change = (measured.iloc[i] / requested.iloc[i] - 1) * 100
            warnings.append(
                f"{source}, row {parsed.lines[i]}: asked for {plain(requested.iloc[i])} {word} tokens per request but "
                f"measured {measured.iloc[i]:,.1f} on average ({change:+.0f} %); the curve is keyed on the requested "
                f"{plain(requested.iloc[i])}"
            )
    return warnings


def check_rows(df: pd.DataFrame, source: str, row_numbers: list[int], required: tuple[str, ...] = REQUIRED_METRICS,
               fields: dict[str, str] | None = None, shown_values: pd.DataFrame | None = None,
               dropped: list[DroppedRow] | None = None, warnings: list[str] | None = None) -> ImportResult:
    """Keep rows whose labels, load and metrics are valid; list the others with their first bad column.

    A metric the file does not have stays empty unless `required` names it; a metric it has must be a finite,
    positive number within range. Columns are checked as numpy arrays: one file of one run costs microseconds.
    """
    df = df.reset_index(drop=True)
    n = len(df)
    fields = fields or {}
    reasons: dict[int, tuple[str, str]] = {}
    numbers = {c: _numbers(df, c) for c in (*INT_CHECKS, "concurrency", "request_rate", *METRIC_COLUMNS)}

    def text(col: str, i: int) -> str:
        written = _written(shown_values, col, i)
        return written or (plain(df[col].iloc[i]) if col in df else "empty")

    def flag(col: str, bad: np.ndarray, why) -> None:
        for i in np.flatnonzero(bad):
            reasons.setdefault(int(i), (fields.get(col, col), why(text(col, int(i)))))

    for col in ("model", "gpu", "precision"):
        values = df[col].to_numpy(dtype=object) if col in df else np.full(n, None, dtype=object)
        named = np.fromiter((isinstance(v, str) and bool(v.strip()) for v in values), dtype=bool, count=n)
        flag(col, ~named, lambda v: "missing; expected a name")
    for col, most in INT_CHECKS.items():
        number = numbers[col]
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(number) & (number > 0) & (number == np.round(number))
        flag(col, ~whole, lambda v: "missing" if v == "empty" else f"{v} is not a positive whole number")
        flag(col, whole & (number > most), lambda v, most=most: f"{v} is out of range (at most {most:,})")
    modes = df["load_mode"].to_numpy(dtype=object) if "load_mode" in df else np.full(n, "concurrency", dtype=object)
    flag("load_mode", ~np.isin(modes, ["concurrency", "request_rate"]),
         lambda v: f"{v} is not a load mode; expected concurrency or request_rate")
    for col in ("concurrency", "request_rate"):
        number, active = numbers[col], modes == col
        ok = np.isfinite(number) & (number > 0)
        flag(col, active & ~ok, lambda v: f"{v} is not a positive number" if v != "empty" else "missing; supply it")
        flag(col, active & ok & (number > MAX_LOAD), lambda v: f"{v} is out of range (at most {MAX_LOAD:g})")
    for col in required:
        if col == ANY_LATENCY:
            none = np.logical_and.reduce([np.isnan(numbers[c]) for c in LATENCY_COLUMNS])
            flag("ttft_ms_avg", none, lambda v: "no latency in the row (time to first token, inter-token or end-to-end)")
        else:
            empty = np.isnan(numbers[col]) if col in numbers else np.isnan(_numbers(df, col))
            flag(col, empty & ~_has_text(shown_values, col, empty), lambda v: "missing; expected a number")
    for col in METRIC_COLUMNS:
        number = numbers[col]
        most, unit = METRIC_LIMITS[col]
        flag(col, _has_text(shown_values, col, np.isnan(number)), lambda v: f"{v} is not a number")
        flag(col, np.isinf(number), lambda v: f"{v} is not a finite number")
        with np.errstate(invalid="ignore"):
            flag(col, number < 0, lambda v: f"{v} is negative")
            flag(col, number == 0, lambda v: f"{v} is not positive")
            flag(col, np.isfinite(number) & (number > most), lambda v, m=most, u=unit: f"{v} is out of range (at most {m:g} {u})")
    out = [DroppedRow(source, row_numbers[i], *reasons[i]) for i in sorted(reasons)]
    keep = np.ones(n, dtype=bool)
    keep[list(reasons)] = False
    return ImportResult(conform(df[keep] if reasons else df), [*(dropped or []), *out], list(warnings or []), [source])


INT_CHECKS = {"tp": MAX_GPUS, "pp": MAX_GPUS, "gpus_per_instance": MAX_GPUS, "isl": MAX_TOKENS, "osl": MAX_TOKENS}


def _written(shown_values: pd.DataFrame | None, col: str, i: int) -> str:
    """The value at row i of a column as the file wrote it; '' where it wrote nothing."""
    if shown_values is None or col not in shown_values:
        return ""
    value = shown_values[col].iat[i]
    return value.strip() if isinstance(value, str) else ""


def _has_text(shown_values: pd.DataFrame | None, col: str, where: np.ndarray) -> np.ndarray:
    """Among the rows marked in `where`, those where the file wrote something in the column."""
    found = np.zeros(len(where), dtype=bool)
    if shown_values is not None and col in shown_values:
        for i in np.flatnonzero(where):
            found[i] = bool(_written(shown_values, col, int(i)))
    return found


def _numbers(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    column = df[col]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return np.fromiter((parse_number(v) for v in column.to_numpy(dtype=object)), dtype="float64", count=len(column))


def take(doc: dict, row: dict, seen: dict, fields: dict, column: str, keys: tuple[str, ...], factor: float = 1.0,
         unit: str = "") -> bool:
    """Copy the first of `keys` the record has into a canonical column (scaled to its unit); False if none."""
    for key in keys:
        if doc.get(key) is not None:
            row[column] = parse_number(doc[key]) * factor
            seen[column] = shown(doc[key], unit)
            fields[column] = key
            return True
    return False


def ratio(numerator: object, denominator: object) -> float:
    """numerator ÷ denominator for values from a file: NaN unless both are finite and the divisor positive."""
    top, bottom = parse_number(numerator), parse_number(denominator)
    return top / bottom if math.isfinite(top) and math.isfinite(bottom) and bottom > 0 else math.nan
