"""Read any supported benchmark file into the canonical table; each format has its own module."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path, PurePath

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers import course_csv, profile_export, vllm
from core.importers.common import DroppedRow, ImportResult, RunLabels, check_rows
from core.schema import COLUMNS, conform

SUFFIXES = (".csv", ".json")
FORMATS = "the course's nim.csv table, GenAI-Perf or AIPerf profile exports (.json/.csv), vLLM bench results (.json), or this app's own CSV export"

__all__ = ["DroppedRow", "ImportResult", "RunLabels", "benchmark_files", "read_benchmark", "read_path"]


def read_benchmark(data: bytes, source: str, labels: RunLabels | None = None) -> ImportResult:
    """Recognise the format from name and content; raise BenchmarkFileError with a reason when it is none."""
    labels = labels or RunLabels()
    if not data.strip():
        raise BenchmarkFileError(source, "the file is empty; expected " + FORMATS)
    if b"\x00" in data[:4096]:
        raise BenchmarkFileError(source, "this is a binary file, not a benchmark; expected " + FORMATS)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BenchmarkFileError(source, f"not UTF-8 text (byte {exc.start}); expected " + FORMATS) from None
    suffix = PurePath(source).suffix.lower()
    if suffix == ".json" or (suffix not in SUFFIXES and text.lstrip().startswith("{")):
        return _read_json(text, source, labels)
    return _read_csv(text, source, labels)


def _read_json(text: str, source: str, labels: RunLabels) -> ImportResult:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchmarkFileError(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise BenchmarkFileError(source, "the JSON is not an object; expected " + FORMATS)
    if vllm.looks_like(doc):
        return vllm.read(doc, source, labels)
    tool = "AIPerf" if ("aiperf" in source.lower() or "schema_version" in doc or "records" in doc) else "GenAI-Perf"
    return profile_export.read_json(doc, source, labels, tool)


def _read_csv(text: str, source: str, labels: RunLabels) -> ImportResult:
    first = text.lstrip().split("\n", 1)[0]
    if first.lower().startswith("metric,"):
        tool = "AIPerf" if "aiperf" in source.lower() or ",p1," in first.lower() else "GenAI-Perf"
        return profile_export.read_csv(text, source, labels, tool)
    try:
        raw = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BenchmarkFileError(source, f"not a readable CSV table: {str(exc).strip()}") from None
    columns = [str(c) for c in raw.columns]
    if course_csv.looks_like(columns):
        return course_csv.read(raw, source)
    if "ttft_ms_avg" in columns and "req_per_s" in columns:
        return _read_canonical(raw, source)
    raise BenchmarkFileError(
        source, f"unrecognised CSV columns ({', '.join(columns[:6])}{', ...' if len(columns) > 6 else ''}); expected " + FORMATS
    )


def _read_canonical(raw: pd.DataFrame, source: str) -> ImportResult:
    missing = [c for c in ("model", "gpu", "tp", "precision", "isl", "osl", "concurrency") if c not in raw.columns]
    if missing:
        raise BenchmarkFileError(source, f"missing column(s) {', '.join(missing)} of the canonical table")
    df = raw.reindex(columns=list(COLUMNS))
    df["pp"] = df["pp"].fillna(1)
    df["gpus_per_instance"] = df["gpus_per_instance"].fillna(df["tp"] * df["pp"])
    df["load_mode"] = df["load_mode"].fillna("concurrency")
    df["engine"] = df["engine"].fillna("unknown")
    df["runs"] = df["runs"].fillna(1)
    df["provenance"] = df["provenance"].where(df["provenance"].isin(["measured", "modeled"]), "measured")
    df["source"] = df["source"].fillna(source)
    return check_rows(df, source, [i + 2 for i in range(len(df))])


def benchmark_files(folder: Path) -> list[Path]:
    """Every supported file under a folder, in a stable order; a summary CSV beside its JSON twin is the same run."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    present = set(files)
    return [p for p in files
            if not (p.suffix.lower() == ".csv" and p.name.startswith("profile_export") and p.with_suffix(".json") in present)]


def read_path(path: Path, labels: RunLabels | None = None, base: Path | None = None) -> ImportResult:
    """Read one file or every supported file in a folder; a folder collects each file's errors as dropped rows."""
    if not path.exists():
        raise BenchmarkFileError(str(path), "no such file or folder")
    if path.is_file():
        return read_benchmark(path.read_bytes(), _name(path, base), labels)
    tables, dropped = [], []
    for file in benchmark_files(path):
        try:
            result = read_benchmark(file.read_bytes(), _name(file, base or path.parent), labels)
        except BenchmarkFileError as exc:
            dropped.append(DroppedRow(exc.source, 0, "(file)", exc.problem))
            continue
        tables.append(result.table)
        dropped.extend(result.dropped)
    table = pd.concat(tables, ignore_index=True) if tables else conform(pd.DataFrame())
    return ImportResult(conform(table), dropped)


def _name(path: Path, base: Path | None) -> str:
    """Name files relative to where the user pointed, so messages and run folders stay readable."""
    try:
        return str(path.relative_to(base)) if base else str(path)
    except ValueError:
        return os.fspath(path)

