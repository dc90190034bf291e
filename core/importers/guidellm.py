"""GuideLLM `benchmarks.json` (0.2 on): a report with one entry per benchmark (a sweep gives several).

Each metric is a distribution per request status; the successful requests' one is read. request_latency is in
seconds, the *_ms metrics in ms. inter_token_latency_ms is (last token − first token) ÷ (output tokens − 1), the same
as GenAI-Perf's inter-token latency. The load is in the benchmark's strategy: under args (0.2–0.3) or config (0.4+).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import DroppedRow, Parsed, entry, parse_number, plain, shown
from core.schema import SIZING_METRICS

NAME = "GuideLLM benchmarks.json"
SIGNATURE = "a benchmarks list whose entries have metrics (request_latency, time_to_first_token_ms, …)"
METRICS = {"ttft_ms": ("time_to_first_token_ms", 1.0, "ms"), "itl_ms": ("inter_token_latency_ms", 1.0, "ms"),
           "e2e_ms": ("request_latency", 1000.0, "s")}
STATS = {"avg": ("mean",), "p50": ("median",), "p90": ("percentiles", "p90"), "p95": ("percentiles", "p95"),
         "p99": ("percentiles", "p99")}


def looks_like(doc: dict[str, Any]) -> bool:
    benchmarks = doc.get("benchmarks")
    return isinstance(benchmarks, list) and bool(benchmarks) and isinstance(benchmarks[0], dict) and (
        "metrics" in benchmarks[0] or "mode" in benchmarks[0] or "results" in benchmarks[0])


def read(doc: dict[str, Any], source: str) -> Parsed:
    version = entry(doc, "metadata", "guidellm_version")
    benchmarks = doc["benchmarks"]
    if not any(isinstance(b, dict) and isinstance(b.get("metrics"), dict) for b in benchmarks):
        raise BenchmarkFileError(source, "a GuideLLM report without per-benchmark metrics (the GuideLLM 0.1 layout); "
                                 "re-run with GuideLLM 0.2 or later, which writes benchmarks.json")
    rows, seen, lines, dropped = [], [], [], []
    fields: dict[str, str] = {}
    requested = _requested_lengths(entry(doc, "args", "data"))
    for number, bench in enumerate(benchmarks, start=1):
        metrics = entry(bench, "metrics")
        if not isinstance(metrics, dict):
            dropped.append(DroppedRow(source, number, "metrics", "the benchmark has no metrics"))
            continue
        load, problem = _load(bench)
        successful = parse_number(_first(entry(metrics, "request_totals", "successful"),
                                         entry(bench, "request_totals", "successful")))
        if successful == 0:
            total = parse_number(_first(entry(metrics, "request_totals", "total"), entry(bench, "request_totals", "total")))
            problem = f"0 of {plain(total)} requests completed: every request failed"
        if problem:
            dropped.append(DroppedRow(source, number, "config.strategy", problem))
            continue
        row: dict[str, Any] = dict(load)
        seen_row: dict[str, str] = {}
        for name, (metric, factor, unit) in METRICS.items():
            for stat, path in STATS.items():
                value = entry(metrics, metric, "successful", *path)
                if value is not None:
                    row[f"{name}_{stat}"] = parse_number(value) * factor
                    seen_row[f"{name}_{stat}"] = shown(value, unit)
                    fields[f"{name}_{stat}"] = f"metrics.{metric}.successful.{'.'.join(path)}"
        for name, metric in (("req_per_s", "requests_per_second"), ("out_tok_per_s", "output_tokens_per_second"),
                             ("isl_measured", "prompt_token_count"), ("osl_measured", "output_token_count")):
            value = entry(metrics, metric, "successful", "mean")
            row[name] = parse_number(value)
            seen_row[name] = shown(value)
            fields[name] = f"metrics.{metric}.successful.mean"
        row["isl"], row["osl"] = requested if not all(map(math.isnan, requested)) else \
            _requested_lengths(entry(bench, "request_loader", "data"))
        row["model"] = _first(entry(bench, "config", "backend", "model"), entry(bench, "worker", "backend_model"),
                              entry(doc, "args", "model"))
        rows.append(row)
        seen.append(seen_row)
        lines.append(number)
    fields.update(concurrency="config.strategy (streams)", request_rate="config.strategy (rate)")
    tool = f"GuideLLM {version}" if isinstance(version, str) else "GuideLLM"
    return Parsed(tool, pd.DataFrame(rows), lines, fields, pd.DataFrame(seen), SIZING_METRICS, dropped=dropped)


def _load(bench: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    strategy = _first(entry(bench, "config", "strategy"), entry(bench, "args", "strategy"))
    kind = entry(strategy, "type_")
    if kind == "synchronous":
        return {"load_mode": "concurrency", "concurrency": 1.0}, None
    if kind == "concurrent":
        streams = parse_number(_first(entry(strategy, "streams"), entry(strategy, "max_concurrency")))
        return {"load_mode": "concurrency", "concurrency": streams}, None
    if kind in ("constant", "poisson"):
        return {"load_mode": "request_rate", "request_rate": parse_number(entry(strategy, "rate"))}, None
    if kind == "throughput":
        return {}, "a throughput benchmark (requests sent as fast as possible): it has no set load to size against"
    return {}, f"strategy {plain(kind) if kind is not None else 'missing'}; expected synchronous, concurrent, constant or poisson"


def _requested_lengths(data: object) -> tuple[float, float]:
    """Synthetic data is given as 'prompt_tokens=256,output_tokens=128' (or the same as JSON): the asked-for lengths."""
    texts = data if isinstance(data, list) else [data]
    for text in texts:
        if not isinstance(text, str):
            continue
        try:
            spec = json.loads(text)
        except ValueError:
            spec = dict(re.findall(r"(\w+)\s*=\s*([^,\s]+)", text))
        if isinstance(spec, dict) and ("prompt_tokens" in spec or "output_tokens" in spec):
            return parse_number(spec.get("prompt_tokens")), parse_number(spec.get("output_tokens"))
    return math.nan, math.nan


def _first(*values: object) -> Any:
    return next((v for v in values if v is not None), None)
