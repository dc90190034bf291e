"""`vllm bench serve --save-result` JSON: flat mean/median/pNN keys for ttft, tpot, itl and e2el in ms."""

from __future__ import annotations

import math
from typing import Any

from core.errors import BenchmarkFileError
from core.importers.common import ImportResult, RunLabels, labelled_run, parse_number

# GenAI-Perf's inter-token latency is (e2e - ttft) / (osl - 1) per request: vLLM calls that TPOT.
METRICS = {"ttft": "ttft_ms", "tpot": "itl_ms", "e2el": "e2e_ms"}
STAT_PREFIX = {"avg": "mean", "p50": "median", "p90": "p90", "p95": "p95", "p99": "p99"}


def looks_like(doc: dict[str, Any]) -> bool:
    return "mean_ttft_ms" in doc or ("request_throughput" in doc and "output_throughput" in doc)


def read(doc: dict[str, Any], source: str, labels: RunLabels) -> ImportResult:
    """One run; rate-mode runs (request_rate finite, no max_concurrency) are kept as such."""
    missing = [k for k in ("mean_ttft_ms", "mean_e2el_ms", "request_throughput", "completed") if k not in doc]
    if "mean_tpot_ms" not in doc and "mean_itl_ms" not in doc:
        missing.append("mean_tpot_ms")
    if missing:
        raise BenchmarkFileError(source, f"not a vLLM bench result: missing key(s) {', '.join(missing)}")
    row: dict[str, Any] = {}
    for metric, name in METRICS.items():
        for stat, prefix in STAT_PREFIX.items():
            key = f"{prefix}_{metric}_ms"
            if metric == "tpot" and key not in doc:
                key = f"{prefix}_itl_ms"
            if key in doc:
                row[f"{name}_{stat}"] = parse_number(doc[key])
    row["req_per_s"] = parse_number(doc["request_throughput"])
    row["out_tok_per_s"] = parse_number(doc.get("output_throughput"))
    completed = parse_number(doc["completed"])
    if not completed > 0:
        raise BenchmarkFileError(source, f"'completed' is {doc['completed']!r}; expected a positive request count")
    row["isl"] = round(parse_number(doc.get("total_input_tokens")) / completed)
    row["osl"] = round(parse_number(doc.get("total_output_tokens")) / completed)
    concurrency = parse_number(doc.get("max_concurrency")) if doc.get("max_concurrency") is not None else math.nan
    rate = parse_number(doc.get("request_rate"))
    if math.isfinite(concurrency) or labels.concurrency:
        row.update(load_mode="concurrency", concurrency=concurrency if math.isfinite(concurrency) else labels.concurrency)
    elif math.isfinite(rate):
        row.update(load_mode="request_rate", request_rate=rate)
    else:
        raise BenchmarkFileError(
            source, "the run has neither max_concurrency nor a finite request_rate; supply the concurrency"
        )
    row["model"] = doc.get("model_id")
    return labelled_run(row, source, labels, "vLLM", "vllm")
