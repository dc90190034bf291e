"""`genai-perf analyze` sweep summary (analyze_export_genai_perf.csv): one row per run configuration.

Header: Config Name, Concurrency (or Request Rate), ISL, Num Prompts (later Num Dataset Entries), then
"<stat> <Metric> (<unit>)" columns: p99 latencies, average throughputs and the p99 output length. ISL is the
integer 99th percentile of the measured input length, as GenAI-Perf writes it; the mean output length is not in the
file, so the requested one is asked for (or the p99 is used, with a warning). A second block (Config Name,GPU,…)
holds GPU telemetry and is skipped.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import Parsed, parse_number, shown, time_factor_to_ms
from core.schema import SIZING_METRICS

NAME = "GenAI-Perf analyze sweep (analyze_export_genai_perf.csv)"
SIGNATURE = "header Config Name, Concurrency or Request Rate, ISL, …"
METRICS = {"time to first token": "ttft_ms", "inter token latency": "itl_ms", "request latency": "e2e_ms"}
STAT_NAMES = {"avg.": "avg", "avg": "avg", "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99"}


def looks_like(first_line: str) -> bool:
    return first_line.lower().startswith("config name,")


def read(text: str, source: str) -> Parsed:
    lines = list(csv.reader(io.StringIO(text)))
    header = [c.strip() for c in lines[0]]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise BenchmarkFileError(source, f"column {duplicates[0]} appears twice; keep one of the two")
    load_col = next((c for c in header if c.lower() in ("concurrency", "request rate")), None)
    if load_col is None or "ISL" not in header:
        raise BenchmarkFileError(source, "not a GenAI-Perf analyze CSV: no Concurrency (or Request Rate) and ISL columns")
    columns: dict[str, tuple[str, float, str]] = {}
    for name in header:
        match = re.fullmatch(r"(?:(avg\.?|p\d+)\s+)?(.+?)\s*\(([^)]*)\)", name, flags=re.IGNORECASE)
        if not match:
            continue
        stat, metric, unit = STAT_NAMES.get((match.group(1) or "avg").lower()), match.group(2).lower(), match.group(3)
        if metric in METRICS and stat:
            columns[name] = (f"{METRICS[metric]}_{stat}", time_factor_to_ms(unit, source, name), unit)
        elif metric == "request throughput":
            columns[name] = ("req_per_s", 1.0, "")
        elif metric == "output token throughput":
            columns[name] = ("out_tok_per_s", 1.0, "")
        elif metric == "output sequence length" and stat == "p99":
            columns[name] = ("osl_p99", 1.0, "")
    rows, seen, numbers = [], [], []
    for number, cells in enumerate(lines[1:], start=2):
        if not cells or not any(c.strip() for c in cells):
            break  # the GPU telemetry block follows a blank line
        values = dict(zip(header, cells))
        row: dict[str, Any] = {}
        seen_row: dict[str, str] = {}
        for name, (column, factor, unit) in columns.items():
            row[column] = parse_number(values.get(name)) * factor
            seen_row[column] = shown(values.get(name), unit)
        load = parse_number(values.get(load_col))
        row.update({"load_mode": "concurrency", "concurrency": load} if load_col.lower() == "concurrency"
                   else {"load_mode": "request_rate", "request_rate": load})
        row["isl"] = parse_number(values.get("ISL"))
        seen_row["isl"] = shown(values.get("ISL"))
        match = re.fullmatch(r"(.+)_run_config_\d+", str(values.get("Config Name", "")).strip())
        row["model"] = match.group(1) if match else None
        rows.append(row)
        seen.append(seen_row)
        numbers.append(number)
    fields = {column: name for name, (column, _, _) in columns.items()}
    fields.update(isl="ISL", concurrency=load_col, request_rate=load_col)
    fields["osl_fallback"] = "the median over its runs of the 99th-percentile output length (the analyze CSV has no mean)"
    table = pd.DataFrame(rows)
    if "osl_p99" in table:  # one stand-in for the whole sweep, so its runs stay on one curve
        table["osl_fallback"] = table.pop("osl_p99").median()
    return Parsed("GenAI-Perf analyze", table, numbers, fields, pd.DataFrame(seen), SIZING_METRICS)
