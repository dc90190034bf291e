"""Read any supported benchmark file into the canonical table; each format has its own module.

Formats are recognised by content, never by file name. read_benchmark is the boundary: whatever a file holds, it
returns rows or raises one BenchmarkFileError naming the file (anything unexpected is logged, never shown raw).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers import (
    analyze_csv,
    canonical,
    course_csv,
    guidellm,
    inferencex,
    llmperf,
    profile_export,
    sglang,
    vllm,
)
from core.importers.common import DroppedRow, ImportResult, Parsed, RunLabels, finish, plain
from core.schema import conform

SUFFIXES = (".csv", ".json", ".jsonl")
FORMATS = ("the course's nim.csv table, GenAI-Perf and AIPerf profile exports (.json/.csv) and analyze sweeps (.csv), "
           "vLLM bench serve results (.json, .jsonl), SGLang bench_serving (.jsonl), GuideLLM benchmarks.json, "
           "LLMPerf summaries, InferenceX results (.json), or this tool's own CSV export")
JSON_FORMATS = (profile_export, vllm, sglang, guidellm, llmperf, inferencex)
# Files tools write beside their summaries that are not summaries: recognised to say so plainly.
COMPANIONS = (
    (lambda d: isinstance(d.get("metadata"), dict) and isinstance(d.get("metrics"), dict) and "error" in d,
     "AIPerf's per-request records (profile_export.jsonl); load the run's summary, profile_export_aiperf.json"),
    (lambda d: isinstance(d.get("experiments"), list),
     "GenAI-Perf's per-request export (profile_export.json); load the run's summary, profile_export_genai_perf.json"),
    (lambda d: isinstance(d.get("data"), list) and len(d) <= 2,
     "the requests a benchmark sent (inputs.json), not its results"),
    (lambda d: "error_type" in d and "error" in d,
     "a failed vllm bench sweep run (its *.failure.json): it holds the error, not results"),
)
log = logging.getLogger(__name__)

__all__ = ["FORMATS", "SUFFIXES", "DroppedRow", "ImportResult", "RunLabels", "benchmark_files", "read_benchmark",
           "read_path"]


def read_benchmark(data: bytes, source: str, labels: RunLabels | None = None,
                   required: tuple[str, ...] | None = None) -> ImportResult:
    """Recognise the format from the content; rows, or BenchmarkFileError with the reason.

    `required` overrides the metrics each row must have (None: the format's own; () keeps rows that only describe a
    configuration and load, which is what `predict --like` needs).
    """
    try:
        return finish(_parse(data, source), source, labels or RunLabels(), required)
    except BenchmarkFileError:
        raise
    except RecursionError:
        raise BenchmarkFileError(source, "nested too deeply to be a benchmark file") from None
    except Exception as exc:  # the importer boundary: a file, however odd, never produces a traceback
        log.exception("unexpected error while reading %s", source)
        raise BenchmarkFileError(
            source, f"could not be read ({type(exc).__name__}: {str(exc)[:160]}); expected {FORMATS}"
        ) from None


def _parse(data: bytes, source: str) -> Parsed:
    if not data.strip():
        raise BenchmarkFileError(source, "the file is empty; expected " + FORMATS)
    if b"\x00" in data[:4096]:
        raise BenchmarkFileError(source, "this is a binary file, not a benchmark; expected " + FORMATS)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BenchmarkFileError(source, f"not UTF-8 text (byte {exc.start}); expected " + FORMATS) from None
    if text.lstrip()[:1] in ("{", "["):
        return _read_json(text, source)
    return _read_csv(text, source)


def _read_json(text: str, source: str) -> Parsed:
    records, numbers = _json_records(text, source)
    if not records:
        raise BenchmarkFileError(source, "the JSON holds no objects; expected " + FORMATS)
    first = records[0]
    _refuse_companions(first, source)
    if sglang.looks_like(first):
        return sglang.read(records, source, numbers)
    if vllm.looks_like(first):
        return vllm.read(records, source, numbers)
    if len(records) > 1:
        raise BenchmarkFileError(source, f"{len(records)} JSON objects, but not vLLM or SGLang results (the formats "
                                 "written one run per line); " + _tried(first))
    if profile_export.looks_like(first):
        return profile_export.read_json(first, source)
    if guidellm.looks_like(first):
        return guidellm.read(first, source)
    if llmperf.looks_like(first):
        return llmperf.read(first, source)
    if inferencex.looks_like(first):
        return inferencex.read(first, source)
    raise BenchmarkFileError(source, _tried(first))


def _refuse_companions(doc: dict[str, Any], source: str) -> None:
    for check, meaning in COMPANIONS:
        if check(doc):
            raise BenchmarkFileError(source, f"this is {meaning}")


def _tried(doc: dict[str, Any]) -> str:
    """An unknown JSON's message: each format tried and what it looks for."""
    keys = ", ".join(map(plain, list(doc)[:5])) + (", …" if len(doc) > 5 else "")
    tried = "; ".join(f"{m.NAME} (needs {m.SIGNATURE})" for m in JSON_FORMATS)
    return f"not a recognised benchmark JSON (its keys: {keys or 'none'}). Tried: {tried}"


def _json_records(text: str, source: str) -> tuple[list[dict[str, Any]], list[int]]:
    """One object, a list of objects (vllm bench sweep's summary.json) or one object per line (JSON lines)."""
    try:
        doc = _loads(text)
    except RepeatedKey as exc:
        raise BenchmarkFileError(source, f"the key {exc} appears twice in one object; keep one") from None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise BenchmarkFileError(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        return _json_lines(text, source)
    if isinstance(doc, dict):
        return [doc], [1]
    if isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc):
        return doc, list(range(1, len(doc) + 1))
    raise BenchmarkFileError(source, f"the JSON is {_kind(doc)}, not an object (or a list of objects); expected "
                             + FORMATS)


def _json_lines(text: str, source: str) -> tuple[list[dict[str, Any]], list[int]]:
    records, numbers = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = _loads(line)
        except RepeatedKey as exc:
            raise BenchmarkFileError(source, f"line {number}: the key {exc} appears twice in one object; keep one") from None
        except json.JSONDecodeError as exc:
            raise BenchmarkFileError(source, f"line {number} is not one JSON object (column {exc.colno}: {exc.msg}); "
                                     "JSON lines files hold one object per line") from None
        if not isinstance(doc, dict):
            raise BenchmarkFileError(source, f"line {number} is {_kind(doc)}, not a JSON object")
        if not records:
            _refuse_companions(doc, source)  # before reading on: per-request files run to millions of lines
        records.append(doc)
        numbers.append(number)
    return records, numbers


def _loads(text: str) -> Any:
    """json.loads with a note of repeated keys (JSON keeps the last; a repeated metric is ambiguous)."""
    return json.loads(text, object_pairs_hook=_no_repeats)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) < len(keys):
        repeated = next(k for k in keys if keys.count(k) > 1)
        raise RepeatedKey(repeated)
    return dict(pairs)


class RepeatedKey(ValueError):
    """A key that appears twice in one JSON object."""


def _kind(doc: object) -> str:
    if isinstance(doc, list):
        return "a list of other things" if doc else "an empty list"
    return {str: "a string", bool: "true or false", type(None): "null"}.get(type(doc), "a number")


def _read_csv(text: str, source: str) -> Parsed:
    first = text.lstrip().split("\n", 1)[0]
    if first.lower().startswith("metric,"):
        return profile_export.read_csv(text, source)
    if analyze_csv.looks_like(first):
        return analyze_csv.read(text, source)
    try:
        header = next(csv.reader(io.StringIO(text)))
        raw = pd.read_csv(io.StringIO(text), keep_default_na=False)  # "nan" and empty cells stay as written
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, StopIteration) as exc:
        raise BenchmarkFileError(source, f"not a readable CSV table: {str(exc).strip()}") from None
    columns = [c.strip() for c in header]
    raw.columns = columns[: len(raw.columns)] if len(columns) >= len(raw.columns) else raw.columns
    if course_csv.looks_like(columns):
        _refuse_repeats(columns, course_csv.used_columns(), source)
        return course_csv.read(raw, source)
    if canonical.looks_like(columns):
        _refuse_repeats(columns, set(columns), source)
        return canonical.read(raw, source)
    if "mean_ttft_ms" in columns and "request_throughput" in columns:
        raise BenchmarkFileError(source, "a vllm bench sweep summary.csv: it repeats the sweep's runs; load the "
                                 "sweep's folder (or its summary.json files) instead")
    shown_columns = ", ".join(map(plain, columns[:6])) + (", ..." if len(columns) > 6 else "")
    raise BenchmarkFileError(
        source, f"unrecognised CSV columns ({shown_columns}). Tried: {course_csv.NAME} (needs {course_csv.SIGNATURE}); "
        f"{canonical.NAME} (needs {canonical.SIGNATURE}); {analyze_csv.NAME} (needs {analyze_csv.SIGNATURE}); "
        "GenAI-Perf/AIPerf profile_export CSV (first line Metric,avg,…)"
    )


def _refuse_repeats(columns: list[str], used: set[str], source: str) -> None:
    """A repeated column the reader takes values from is ambiguous: which of the two is the measurement?"""
    for name in dict.fromkeys(columns):
        if columns.count(name) > 1 and name in used:
            places = [str(i + 1) for i, c in enumerate(columns) if c == name]
            raise BenchmarkFileError(source, f"column {name} appears {len(places)} times (columns {', '.join(places)}); "
                                     "keep one")


def benchmark_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files under a folder worth reading, in a stable order, and every other file with the reason it is skipped."""
    everything = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))
    present = set(everything)
    files, skipped = [], []
    for path in everything:
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            skipped.append((path, f"not a benchmark file type ({suffix or 'no suffix'}); reads {', '.join(SUFFIXES)}"))
        elif suffix == ".csv" and path.name.startswith("profile_export") and path.with_suffix(".json") in present:
            skipped.append((path, f"the same run as {path.with_suffix('.json').name} beside it, which is read instead"))
        elif path.name == "summary.json" and any(p.parent == path.parent and p.name.startswith("run=") for p in present):
            skipped.append((path, "the vllm bench sweep summary of the run=N.json files beside it, which are read"))
        else:
            files.append(path)
    return files, skipped


def read_path(path: Path, labels: RunLabels | None = None, base: Path | None = None,
              required: tuple[str, ...] | None = None) -> ImportResult:
    """Read one file or every supported file in a folder; a folder lists each file it skipped or could not read."""
    if not path.exists():
        raise BenchmarkFileError(str(path), "no such file or folder")
    if path.is_file():
        return read_benchmark(_bytes(path, _name(path, base)), _name(path, base), _with_twin(path, labels), required)
    files, skipped = benchmark_files(path)
    results = [ImportResult(conform(pd.DataFrame()), [DroppedRow(_name(p, base or path.parent), 0, "(file)", why)])
               for p, why in skipped]
    for file in files:
        name = _name(file, base or path.parent)
        try:
            results.append(read_benchmark(_bytes(file, name), name, _with_twin(file, labels), required))
        except BenchmarkFileError as exc:
            results.append(ImportResult(conform(pd.DataFrame()), [DroppedRow(exc.source, 0, "(file)", exc.problem)]))
    tables = [r.table for r in results if not r.table.empty]
    return ImportResult(conform(pd.concat(tables, ignore_index=True)) if tables else conform(pd.DataFrame()),
                        [d for r in results for d in r.dropped], [w for r in results for w in r.warnings],
                        [f for r in results for f in r.files])


def _with_twin(path: Path, labels: RunLabels | None) -> RunLabels | None:
    """A profile_export CSV does not record the model, load or requested lengths; its JSON twin beside it does."""
    twin = path.with_suffix(".json")
    if path.suffix.lower() != ".csv" or not twin.is_file():
        return labels
    labels = labels or RunLabels()
    try:
        row = read_benchmark(twin.read_bytes(), twin.name, labels, required=()).table.iloc[0]
    except (BenchmarkFileError, OSError, IndexError):
        return labels
    known = {k: v for k, v in (("model", row["model"]), ("concurrency", row["concurrency"]), ("isl", row["isl"]),
                               ("osl", row["osl"])) if pd.notna(v)}
    fill = {k: (v if k == "model" else float(v)) for k, v in known.items() if getattr(labels, k) is None}
    return RunLabels(**{**vars(labels), **fill})


def _bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BenchmarkFileError(name, f"cannot be read: {exc.strerror or exc}") from None


def _name(path: Path, base: Path | None) -> str:
    """Name files relative to where the user pointed, so messages and run folders stay readable."""
    try:
        return str(path.relative_to(base)) if base else str(path)
    except ValueError:
        return os.fspath(path)

