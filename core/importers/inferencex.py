"""InferenceX (formerly InferenceMAX, SemiAnalysis) per-run result JSON: latencies in seconds.

Fixed-length runs (utils/process_result.py) carry the requested isl/osl, the vLLM-style latencies converted to
seconds and throughput per GPU, but no request throughput: it is derived as output tokens/s ÷ osl and marked
derived. Agentic runs carry measured lengths, completed requests and the duration instead.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import Parsed, parse_number, plain, ratio, take
from core.schema import SIZING_METRICS

NAME = "InferenceX/InferenceMAX result JSON"
SIGNATURE = "keys hw, conc, tp, precision, mean_ttft (seconds)"
PREFIX = {"avg": "mean", "p50": "median", "p90": "p90", "p95": "p95", "p99": "p99"}
METRICS = {"ttft_ms": ("ttft",), "itl_ms": ("tpot", "itl"), "e2e_ms": ("e2el",)}


def looks_like(doc: dict[str, Any]) -> bool:
    return "conc" in doc and ("hw" in doc or "infmax_model_prefix" in doc) and any(
        str(k).startswith("mean_") for k in doc)


def read(doc: dict[str, Any], source: str) -> Parsed:
    if doc.get("is_multinode") is True:
        raise BenchmarkFileError(source, "a multi-node (disaggregated prefill/decode) run: this tool sizes one "
                                 "tensor-parallel instance per group of GPUs, so it cannot be read")
    successful = parse_number(doc.get("num_requests_successful", doc.get("total_requests_completed")))
    if successful == 0:
        raise BenchmarkFileError(source, f"0 of {plain(doc.get('num_requests_total', '?'))} requests completed: "
                                 "every request failed")
    row: dict[str, Any] = {}
    seen: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name, metrics in METRICS.items():
        for stat, prefix in PREFIX.items():
            take(doc, row, seen, fields, f"{name}_{stat}", tuple(f"{prefix}_{m}" for m in metrics), 1000.0, "s")
    for column, keys in (("isl", ("isl",)), ("osl", ("osl",)), ("isl_measured", ("mean_input_tokens",)),
                         ("osl_measured", ("mean_output_tokens_actual", "mean_output_tokens")),
                         ("concurrency", ("conc",)), ("tp", ("tp",)), ("pp", ("pp",))):
        take(doc, row, seen, fields, column, keys)
    gpus = row.get("tp", math.nan) * row.get("pp", 1.0) * parse_number(doc.get("pcp_size", 1))
    row["gpus_per_instance"] = gpus
    derived = []
    if not take(doc, row, seen, fields, "out_tok_per_s", ("output_tput_tps",)):
        row["out_tok_per_s"] = parse_number(doc.get("output_tput_per_gpu")) * gpus
        fields["out_tok_per_s"] = "output_tput_per_gpu × GPUs"
    row["req_per_s"] = ratio(doc.get("total_requests_completed"), doc.get("duration_seconds"))
    fields["req_per_s"] = "total_requests_completed ÷ duration_seconds"
    if not math.isfinite(row["req_per_s"]):
        row["req_per_s"] = ratio(row["out_tok_per_s"], row.get("osl_measured", row.get("osl")))
        fields["req_per_s"] = "request throughput (derived: output tokens/s ÷ output tokens per request)"
        if math.isfinite(row["req_per_s"]):
            derived.append("req_per_s")
    row["derived"] = ",".join(derived) or None
    row["load_mode"] = "concurrency"
    for column, key in (("model", "model"), ("precision", "precision"), ("gpu", "hw"), ("engine", "framework")):
        if isinstance(doc.get(key), str) and doc[key].strip():
            row[column] = doc[key]
    return Parsed("InferenceX", pd.DataFrame([row]), [1], fields, pd.DataFrame([seen]), SIZING_METRICS)
