"""LLMPerf (ray-project/llmperf) `*_summary.json`: results_<metric>_s_{mean,quantiles_pNN} in seconds.

LLMPerf's inter_token_latency_s is a request's end-to-end time ÷ its output tokens: it includes the first token.
The canonical inter-token latency (GenAI-Perf's: time after the first token ÷ the tokens after it) is therefore
derived as (mean end-to-end − mean TTFT) ÷ (mean output tokens − 1) and marked derived; LLMPerf's own percentiles
of it are not comparable and are left out.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import Parsed, parse_number, plain, ratio, take
from core.schema import SIZING_METRICS

NAME = "LLMPerf summary JSON"
SIGNATURE = "keys results_ttft_s_mean, results_end_to_end_latency_s_mean, num_concurrent_requests"
STATS = {"avg": "mean", "p50": "quantiles_p50", "p90": "quantiles_p90", "p95": "quantiles_p95",
         "p99": "quantiles_p99"}


def looks_like(doc: dict[str, Any]) -> bool:
    return "results_ttft_s_mean" in doc or "results_end_to_end_latency_s_mean" in doc


def read(doc: dict[str, Any], source: str) -> Parsed:
    completed = parse_number(doc.get("results_num_completed_requests"))
    if completed == 0:
        started = doc.get("results_num_requests_started")
        raise BenchmarkFileError(source, f"0 of {plain(started) if started is not None else '?'} requests completed: "
                                 "every request failed")
    row: dict[str, Any] = {}
    seen: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name, metric in (("ttft_ms", "ttft"), ("e2e_ms", "end_to_end_latency")):
        for stat, suffix in STATS.items():
            take(doc, row, seen, fields, f"{name}_{stat}", (f"results_{metric}_s_{suffix}",), 1000.0, "s")
    row["req_per_s"] = ratio(doc.get("results_num_completed_requests_per_min"), 60)
    fields["req_per_s"] = "results_num_completed_requests_per_min ÷ 60"
    take(doc, row, seen, fields, "out_tok_per_s", ("results_mean_output_throughput_token_per_s",))
    take(doc, row, seen, fields, "isl", ("mean_input_tokens",))
    take(doc, row, seen, fields, "osl", ("mean_output_tokens",))
    take(doc, row, seen, fields, "isl_measured", ("results_number_input_tokens_mean",))
    take(doc, row, seen, fields, "osl_measured", ("results_number_output_tokens_mean",))
    take(doc, row, seen, fields, "concurrency", ("num_concurrent_requests",))
    out_tokens = row.get("osl_measured", math.nan)
    derived = (row.get("e2e_ms_avg", math.nan) - row.get("ttft_ms_avg", math.nan)) / (out_tokens - 1) \
        if out_tokens > 1 else math.nan
    if math.isfinite(derived):
        row["itl_ms_avg"] = derived
        row["derived"] = "itl_ms_avg"
        fields["itl_ms_avg"] = "inter-token mean (derived: (end-to-end − TTFT) ÷ (output tokens − 1))"
    row["load_mode"] = "concurrency"
    row["model"] = doc.get("model") if isinstance(doc.get("model"), str) else None
    warnings = []
    errors = parse_number(doc.get("results_number_errors"))
    if errors > 0:
        warnings.append(f"{source}: {plain(errors)} request(s) failed; the figures cover those that completed")
    return Parsed("LLMPerf", pd.DataFrame([row]), [1], fields, pd.DataFrame([seen]), SIZING_METRICS,
                  warnings=warnings)
