"""GenAI-Perf and AIPerf summary exports (profile_export_genai_perf.* / profile_export_aiperf.*): one run per file."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import PurePath
from typing import Any

from core.errors import BenchmarkFileError
from core.importers.common import (
    ImportResult,
    RunLabels,
    concurrency_from_path,
    labelled_run,
    parse_number,
    time_factor_to_ms,
)

TIME_METRICS = {"time_to_first_token": "ttft_ms", "inter_token_latency": "itl_ms", "request_latency": "e2e_ms"}
# Pre-release AIPerf wrote data["records"] with short names.
RECORD_ALIASES = {"ttft": "time_to_first_token", "itl": "inter_token_latency", "latency": "request_latency"}
STATS = ("avg", "p50", "p90", "p95", "p99")


def read_json(doc: dict[str, Any], source: str, labels: RunLabels, tool: str) -> ImportResult:
    """One run from the JSON summary; GPU, TP and precision come from the caller."""
    metrics = doc.get("records", doc) if isinstance(doc.get("records"), dict) else doc
    metrics = {RECORD_ALIASES.get(k, k): v for k, v in metrics.items()}
    missing = [m for m in (*TIME_METRICS, "request_throughput") if not isinstance(metrics.get(m), dict)]
    if missing:
        raise BenchmarkFileError(
            source, f"not a {tool} summary: missing metric(s) {', '.join(missing)} (each an object with unit and avg)"
        )
    row: dict[str, Any] = {}
    for metric, name in TIME_METRICS.items():
        entry = metrics[metric]
        factor = time_factor_to_ms(entry.get("unit", "ms"), source, f"{metric}.unit")
        for stat in STATS:
            if stat in entry:
                row[f"{name}_{stat}"] = parse_number(entry[stat]) * factor
    row["req_per_s"] = parse_number(metrics["request_throughput"].get("avg"))
    if isinstance(metrics.get("output_token_throughput"), dict):
        row["out_tok_per_s"] = parse_number(metrics["output_token_throughput"].get("avg"))
    config = doc.get("input_config", {}) if isinstance(doc.get("input_config"), dict) else {}
    row.update(_workload(config, metrics, source, labels))
    return labelled_run(row, source, labels, tool, "unknown")


def read_csv(text: str, source: str, labels: RunLabels, tool: str) -> ImportResult:
    """One run from the two-block CSV summary (thousands separators allowed); concurrency from the folder name."""
    table, system = _csv_blocks(text, source)
    row: dict[str, Any] = {}
    for metric, name in TIME_METRICS.items():
        title = metric.replace("_", " ")
        found = [k for k in table if k.startswith(title)]
        if not found:
            raise BenchmarkFileError(source, f"not a {tool} summary: no row '{title.title()} (ms)' in the first block")
        unit = re.search(r"\(([^)]*)\)", found[0])
        factor = time_factor_to_ms(unit.group(1) if unit else "ms", source, found[0])
        for stat in STATS:
            if stat in table[found[0]]:
                row[f"{name}_{stat}"] = parse_number(table[found[0]][stat]) * factor
    row["req_per_s"] = _system_value(system, "request throughput", source, tool)
    row["out_tok_per_s"] = _system_value(system, "output token throughput", source, tool, required=False)
    isl = table.get(next((k for k in table if k.startswith("input sequence length")), ""), {}).get("avg")
    osl = table.get(next((k for k in table if k.startswith("output sequence length")), ""), {}).get("avg")
    row["isl"] = round(parse_number(isl)) if math.isfinite(parse_number(isl)) else None
    row["osl"] = round(parse_number(osl)) if math.isfinite(parse_number(osl)) else None
    row["concurrency"] = labels.concurrency or concurrency_from_path(source)
    row["load_mode"] = "concurrency"
    row["model"] = model_from_path(source)
    if row["concurrency"] is None:
        raise BenchmarkFileError(
            source, "the CSV does not record the concurrency: name its folder '...-concurrencyN' or supply it"
        )
    return labelled_run(row, source, labels, tool, "unknown")


def model_from_path(source: str) -> str | None:
    """GenAI-Perf run folders are '<model>-<service>-<endpoint>-concurrencyN' ('/' in the model written as '_')."""
    folder = PurePath(source).parent.name
    match = re.match(r"(.+?)-(?:openai|triton|tensorrtllm|vllm|dynamic_grpc)-", folder)
    return match.group(1) if match else None


def _workload(config: dict[str, Any], metrics: dict[str, Any], source: str, labels: RunLabels) -> dict[str, Any]:
    """Load level, lengths and model from input_config (flat GenAI-Perf, nested AIPerf) or the folder name."""
    flat = _flatten(config)
    rate = parse_number(flat.get("request_rate"))
    concurrency = parse_number(flat.get("concurrency"))
    out: dict[str, Any] = {}
    if math.isfinite(rate) and rate > 0 and not math.isfinite(concurrency):
        out.update(load_mode="request_rate", request_rate=rate)
    else:
        if not math.isfinite(concurrency):
            concurrency = labels.concurrency or concurrency_from_path(source) or math.nan
        out.update(load_mode="concurrency", concurrency=concurrency)
    isl = parse_number(flat.get("synthetic_input_tokens_mean", flat.get("input_tokens_mean")))
    osl = parse_number(flat.get("output_tokens_mean"))
    if not math.isfinite(isl):
        isl = round(parse_number(metrics.get("input_sequence_length", {}).get("avg")))
    if not math.isfinite(osl) or osl <= 0:
        osl = round(parse_number(metrics.get("output_sequence_length", {}).get("avg")))
    out.update(isl=isl, osl=osl)
    model = flat.get("model") or flat.get("model_names")
    if isinstance(model, list):
        model = model[0] if model else None
    out["model"] = model
    return out


def _flatten(config: dict[str, Any]) -> dict[str, Any]:
    """Nested AIPerf configs keep the same leaf names; the first occurrence wins."""
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = list(config.items())
    while stack:
        key, value = stack.pop(0)
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                name = f"{key}_{sub_key}" if sub_key in ("mean", "stddev") else sub_key
                stack.append((name, sub_value))
        else:
            flat.setdefault(key, value)
    return flat


def _csv_blocks(text: str, source: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Split the export into the per-request block (name -> stat -> text) and the Metric,Value block."""
    table: dict[str, dict[str, str]] = {}
    system: dict[str, str] = {}
    header: list[str] | None = None
    for cells in csv.reader(io.StringIO(text)):
        if not cells or not any(c.strip() for c in cells):
            header = None
            continue
        if cells[0].strip().lower() == "metric":
            header = [c.strip().lower() for c in cells]
            continue
        if header is None:
            raise BenchmarkFileError(source, "not a GenAI-Perf/AIPerf CSV: a block does not start with a 'Metric' header")
        name = cells[0].strip().lower()
        if header[1:2] == ["value"]:
            system[name] = cells[1] if len(cells) > 1 else ""
        else:
            table[name] = dict(zip(header[1:], cells[1:]))
    if not table:
        raise BenchmarkFileError(source, "not a GenAI-Perf/AIPerf CSV: no 'Metric,avg,...' block found")
    return table, system


def _system_value(system: dict[str, str], title: str, source: str, tool: str, required: bool = True) -> float:
    found = [k for k in system if k.startswith(title)]
    if not found:
        if required:
            raise BenchmarkFileError(source, f"not a {tool} summary: no '{title.title()}' row in the Metric,Value block")
        return math.nan
    return parse_number(system[found[0]])
