"""GenAI-Perf and AIPerf summary exports (profile_export_genai_perf.* / profile_export_aiperf.*): one run per file.

JSON: one object per metric ({"unit": "ms", "avg": …, "p99": …}) and the run's settings under input_config, whose
layout changed with the versions: GenAI-Perf ≤ 0.0.12 flat (concurrency, synthetic_input_tokens_mean), GenAI-Perf's
config file (perf_analyzer.stimulus, input.synthetic_tokens.mean), AIPerf ≤ 0.9 (loadgen, input.prompt.input_tokens),
AIPerf 0.10+ schema 1.3 (phases[], datasets[].prompts.isl, models.items[]); pre-release AIPerf nests the metrics
under "records" with short tags. CSV: a per-request block (Metric,avg,…), a Metric,Value block and, from GenAI-Perf
with telemetry or AIPerf 0.8 on, GPU telemetry blocks, which are skipped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import PurePath
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import (
    Parsed,
    entry,
    parse_number,
    plain,
    shown,
    time_factor_to_ms,
)
from core.schema import STATS

NAME = "GenAI-Perf/AIPerf summary (profile_export_*.json)"
SIGNATURE = "objects request_latency, time_to_first_token or request_throughput with unit and avg"
TIME_METRICS = {"time_to_first_token": "ttft_ms", "inter_token_latency": "itl_ms", "request_latency": "e2e_ms"}
# Pre-release AIPerf wrote data["records"] keyed by short tags.
RECORD_ALIASES = {"ttft": "time_to_first_token", "itl": "inter_token_latency", "latency": "request_latency",
                  "ttst": "time_to_second_token"}
RATE_METRICS = {"request_throughput": "req_per_s", "output_token_throughput": "out_tok_per_s"}
LENGTH_METRICS = {"input_sequence_length": "isl_measured", "output_sequence_length": "osl_measured"}


def _metrics(doc: dict[str, Any]) -> dict[str, Any]:
    found = doc["records"] if isinstance(doc.get("records"), dict) else doc
    return {RECORD_ALIASES.get(k, k): v for k, v in found.items()}


def looks_like(doc: dict[str, Any]) -> bool:
    metrics = _metrics(doc)
    return "aiperf_version" in doc or any(isinstance(metrics.get(m), dict) for m in (
        *TIME_METRICS, "request_throughput", "error_request_count"))


def tool_of(doc: dict[str, Any]) -> str:
    """AIPerf stamps its version (0.3+) or uses its own config sections; GenAI-Perf does neither."""
    config = doc.get("input_config") if isinstance(doc.get("input_config"), dict) else {}
    aiperf = ("aiperf_version" in doc or "schema_version" in doc or "records" in doc
              or any(k in config for k in ("loadgen", "phases", "models", "datasets")))
    return "AIPerf" if aiperf else "GenAI-Perf"


def read_json(doc: dict[str, Any], source: str) -> Parsed:
    """One run from the JSON summary; GPU, TP and precision come from the caller."""
    tool = tool_of(doc)
    metrics = _metrics(doc)
    row: dict[str, Any] = {}
    seen: dict[str, str] = {}
    fields: dict[str, str] = {}
    for metric, name in TIME_METRICS.items():
        value = metrics.get(metric)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BenchmarkFileError(source, f"{metric} is {shown(value) or 'empty'}; expected an object with unit and avg")
        unit = value.get("unit", "ms")
        factor = time_factor_to_ms(unit, source, f"{metric}.unit")
        for stat in STATS:
            if stat in value:
                row[f"{name}_{stat}"] = parse_number(value[stat]) * factor
                seen[f"{name}_{stat}"] = shown(value[stat], str(unit))
                fields[f"{name}_{stat}"] = f"{metric}.{stat}"
    for metric, name in {**RATE_METRICS, **LENGTH_METRICS}.items():
        value = metrics.get(metric)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BenchmarkFileError(source, f"{metric} is {shown(value) or 'empty'}; expected an object with unit and avg")
        if metric in RATE_METRICS:
            _check_rate_unit(value.get("unit"), source, metric)
        row[name] = parse_number(value.get("avg"))
        seen[name] = shown(value.get("avg"))
        fields[name] = f"{metric}.avg"
    if "e2e_ms_avg" not in row:
        failed = parse_number(entry(metrics, "error_request_count", "avg"))
        if failed > 0:
            raise BenchmarkFileError(source, f"every request failed: 0 of {plain(failed)} requests completed")
        raise BenchmarkFileError(source, f"not a {tool} summary: it has no request_latency (an object with unit and avg)")
    config = doc.get("input_config") if isinstance(doc.get("input_config"), dict) else {}
    settings = workload(config)
    row.update(settings)
    warnings = []
    if doc.get("was_cancelled") is True:
        warnings.append(f"{source}: the run was cancelled before it finished; its figures cover part of it")
    streaming = settings.pop("streaming", None)
    required = ("req_per_s", "e2e_ms_avg", "ttft_ms_avg", "itl_ms_avg") if streaming else ("req_per_s", "e2e_ms_avg")
    fields.update(concurrency="input_config concurrency", request_rate="input_config request rate",
                  isl="input_config input length", osl="input_config output length")
    return Parsed(tool, pd.DataFrame([row]), [1], fields, pd.DataFrame([seen]), required, warnings=warnings)


def workload(config: dict[str, Any]) -> dict[str, Any]:
    """Load, requested lengths, model and streaming from any of the input_config layouts (None where absent)."""
    phase = _profiling_phase(config)
    concurrency = _first(config.get("concurrency"), entry(config, "perf_analyzer", "stimulus", "concurrency"),
                         entry(config, "loadgen", "concurrency"),
                         phase.get("concurrency") if phase.get("type") == "concurrency" else None)
    rate = _first(config.get("request_rate"), entry(config, "perf_analyzer", "stimulus", "request_rate"),
                  entry(config, "loadgen", "request_rate"),
                  phase.get("rate") if phase.get("type") in ("poisson", "gamma", "constant", "user_centric") else None)
    dataset = next((d for d in config.get("datasets", []) if isinstance(d, dict)), {}) \
        if isinstance(config.get("datasets"), list) else {}
    isl = _first(config.get("synthetic_input_tokens_mean"), entry(config, "input", "synthetic_tokens", "mean"),
                 entry(config, "input", "prompt", "input_tokens", "mean"), entry(dataset, "prompts", "isl", "mean"))
    osl = _first(config.get("output_tokens_mean"), entry(config, "input", "output_tokens", "mean"),
                 entry(config, "input", "prompt", "output_tokens", "mean"), entry(dataset, "prompts", "osl", "mean"))
    model = _first_text(config.get("model"), config.get("model_names"), entry(config, "endpoint", "model_names"),
                        entry(config, "models", "items", 0, "name"), config.get("formatted_model_name"))
    streaming = _first_flag(config.get("streaming"), entry(config, "endpoint", "streaming"))
    out: dict[str, Any] = {"model": model, "streaming": streaming}
    if math.isfinite(rate) and not math.isfinite(concurrency):
        out.update(load_mode="request_rate", request_rate=rate)
    else:
        out.update(load_mode="concurrency", concurrency=concurrency)
    # GenAI-Perf writes output_tokens_mean -1 for "not set".
    out.update(isl=isl if isl > 0 else math.nan, osl=osl if osl > 0 else math.nan)
    return out


def _profiling_phase(config: dict[str, Any]) -> dict[str, Any]:
    phases = [p for p in config.get("phases", []) if isinstance(p, dict)] if isinstance(config.get("phases"), list) else []
    for phase in phases:
        if phase.get("kind") == "profiling" or phase.get("name") == "profiling":
            return phase
    return next((p for p in phases if not p.get("exclude_from_results")), {})


def _first(*values: object) -> float:
    for value in values:
        number = parse_number(value)
        if math.isfinite(number):
            return number
    return math.nan


def _first_text(*values: object) -> str | None:
    for value in values:
        text = (value[0] if value else None) if isinstance(value, list) else value
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def _first_flag(*values: object) -> bool | None:
    return next((v for v in values if isinstance(v, bool)), None)


def _check_rate_unit(unit: object, source: str, metric: str) -> None:
    text = str(unit or "per sec").strip().lower()
    if not (text.endswith(("/sec", "/s", "per sec", "per second")) or text in ("requests/sec", "tokens/sec")):
        raise BenchmarkFileError(source, f"{metric}.unit: unknown rate unit {plain(unit)}; expected a rate per second")


def read_csv(text: str, source: str) -> Parsed:
    """One run from the block CSV summary (thousands separators allowed); concurrency from the folder name."""
    table, system, header = _csv_blocks(text, source)
    tool = "AIPerf" if "std" in header or "p1" in header else "GenAI-Perf"
    row: dict[str, Any] = {}
    seen: dict[str, str] = {}
    fields: dict[str, str] = {}
    for metric, name in TIME_METRICS.items():
        title = metric.replace("_", " ")
        found = [k for k in table if re.fullmatch(rf"{title}(\s*\(.*\))?", k.strip().lower())]
        if not found:
            continue
        key = found[0]
        unit_match = re.search(r"\(([^)]*)\)", key)
        unit = unit_match.group(1) if unit_match else "ms"
        factor = time_factor_to_ms(unit, source, key)
        for stat in STATS:
            if stat in table[key]:
                row[f"{name}_{stat}"] = parse_number(table[key][stat]) * factor
                seen[f"{name}_{stat}"] = shown(table[key][stat], unit)
                fields[f"{name}_{stat}"] = f"{key}, {stat}"
    if "e2e_ms_avg" not in row:
        raise BenchmarkFileError(source, f"not a {tool} summary: no row 'Request Latency (ms)' in the first block")
    for title, name, where in (("request throughput", "req_per_s", system), ("output token throughput", "out_tok_per_s", system),
                               ("input sequence length", "isl_measured", table), ("output sequence length", "osl_measured", table)):
        key = next((k for k in where if k.lower().startswith(title) and "per user" not in k.lower()
                    and "per request" not in k.lower()), None)
        if key is None:
            continue
        value = where[key] if where is system else where[key].get("avg")
        row[name] = parse_number(value)
        seen[name] = shown(value)
        fields[name] = key
    row["model"] = model_from_path(source)
    row["load_mode"] = "concurrency"
    streaming = "ttft_ms_avg" in row
    required = ("req_per_s", "e2e_ms_avg", "ttft_ms_avg", "itl_ms_avg") if streaming else ("req_per_s", "e2e_ms_avg")
    fields["concurrency"] = "concurrency (not in the CSV: from the folder name '…-concurrencyN' or given)"
    return Parsed(tool, pd.DataFrame([row]), [1], fields, pd.DataFrame([seen]), required)


def model_from_path(source: str) -> str | None:
    """GenAI-Perf run folders are '<model>-<service>-<endpoint>-concurrencyN' ('/' in the model written as '_')."""
    folder = PurePath(source).parent.name
    match = re.match(r"(.+?)-(?:openai|triton|tensorrtllm|vllm|dynamic_grpc)-", folder)
    return match.group(1) if match else None


def _csv_blocks(text: str, source: str) -> tuple[dict[str, dict[str, str]], dict[str, str], list[str]]:
    """The per-request block (name -> stat -> text) and the Metric,Value block; telemetry blocks are skipped."""
    table: dict[str, dict[str, str]] = {}
    system: dict[str, str] = {}
    header: list[str] | None = None
    first_header: list[str] = []
    skipping = False
    for cells in csv.reader(io.StringIO(text)):
        if not cells or not any(c.strip() for c in cells):
            header, skipping = None, False
            continue
        if header is None and not skipping:
            lowered = [c.strip().lower() for c in cells]
            if lowered[0] == "metric" and lowered[1:2] != ["gpu"] and (lowered[1:2] == ["value"] or "avg" in lowered):
                header = lowered
                first_header = first_header or lowered
                continue
            skipping = True  # a GPU telemetry block (Endpoint,GPU_Index,… or Metric,GPU,…) or another section
            continue
        if skipping:
            continue
        name = cells[0].strip()
        target = system if header[1:2] == ["value"] else table
        if name in target:
            raise BenchmarkFileError(source, f"the metric '{name}' appears twice; keep one of the two rows")
        if target is system:
            system[name] = cells[1] if len(cells) > 1 else ""
        else:
            table[name] = dict(zip(header[1:], cells[1:]))
    if not table:
        raise BenchmarkFileError(source, "not a GenAI-Perf/AIPerf CSV: no 'Metric,avg,...' block found")
    return table, system, first_header
