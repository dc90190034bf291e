"""`python -m sglang.bench_serving --output-file F`: one JSON object per line, appended per run (request-rate sweeps).

Keys in ms. Older releases (2024) wrote medians only for TTFT and ITL, the end-to-end mean, and no request
throughput (completed ÷ duration is how SGLang computes it); later ones add means, p99s, TPOT and concurrency.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.importers.common import DroppedRow, Parsed, parse_number, plain, ratio, shown, take
from core.schema import SIZING_METRICS

NAME = "SGLang bench_serving --output-file (JSON lines)"
SIGNATURE = "keys mean_e2e_latency_ms or median_e2e_latency_ms, completed, duration"
PREFIX = {"avg": "mean", "p50": "median", "p90": "p90", "p95": "p95", "p99": "p99"}
# TPOT is GenAI-Perf's inter-token latency; SGLang's ITL (mean gap between tokens) stands in where TPOT is absent.
METRICS = {"ttft_ms": ("ttft_ms",), "itl_ms": ("tpot_ms", "itl_ms"), "e2e_ms": ("e2e_latency_ms",)}
ENGINES = {"sglang", "sglang-native", "sglang-oai", "sglang-oai-chat", "vllm", "vllm-chat", "lmdeploy", "trt", "tgi"}


def looks_like(doc: dict[str, Any]) -> bool:
    return any(str(k).endswith("e2e_latency_ms") for k in doc)


def read(records: list[dict[str, Any]], source: str, numbers: list[int]) -> Parsed:
    rows, seen, lines, dropped, warnings = [], [], [], [], []
    fields: dict[str, str] = {}
    for number, doc in zip(numbers, records):
        completed = parse_number(doc.get("completed"))
        if not completed > 0:
            reason = (f"0 of {plain(doc.get('total_requests') or doc.get('num_prompts') or '?')} requests completed: "
                      "every request failed" if completed == 0 else
                      f"completed is {shown(doc.get('completed')) or 'missing'}; expected a positive request count")
            dropped.append(DroppedRow(source, number, "completed", reason))
            continue
        row: dict[str, Any] = {}
        seen_row: dict[str, str] = {}
        for name, keys in METRICS.items():
            for stat, prefix in PREFIX.items():
                take(doc, row, seen_row, fields, f"{name}_{stat}", tuple(f"{prefix}_{k}" for k in keys), unit="ms")
        if not take(doc, row, seen_row, fields, "req_per_s", ("request_throughput",)):
            row["req_per_s"] = ratio(completed, doc.get("duration"))
            fields["req_per_s"] = "completed ÷ duration"
        take(doc, row, seen_row, fields, "out_tok_per_s", ("output_throughput",))
        row["isl_measured"] = ratio(doc.get("total_input_tokens"), completed)
        row["osl_measured"] = ratio(doc.get("total_output_tokens"), completed)
        fields.update(isl_measured="total_input_tokens ÷ completed", osl_measured="total_output_tokens ÷ completed")
        _requested(doc, row, seen_row, fields, source, number, warnings)
        concurrency, rate = parse_number(doc.get("max_concurrency")), parse_number(doc.get("request_rate"))
        if math.isfinite(concurrency):
            row.update(load_mode="concurrency", concurrency=concurrency)
        elif math.isfinite(rate):
            row.update(load_mode="request_rate", request_rate=rate)
        else:
            row.update(load_mode="concurrency", concurrency=math.nan)
        fields.update(concurrency="max_concurrency", request_rate="request_rate")
        for key in ("model_id", "model", "served_model_name"):
            if isinstance(doc.get(key), str) and doc[key].strip():
                row["model"] = doc[key]
                break
        backend = str(doc.get("backend") or "")
        row["engine"] = backend.split("-", maxsplit=1)[0] if backend in ENGINES else "sglang"
        rows.append(row)
        seen.append(seen_row)
        lines.append(number)
    return Parsed("SGLang bench_serving", pd.DataFrame(rows), lines, fields, pd.DataFrame(seen), SIZING_METRICS,
                  dropped=dropped, warnings=warnings)


def _requested(doc: dict[str, Any], row: dict, seen: dict, fields: dict, source: str, number: int,
               warnings: list[str]) -> None:
    """random_input_len is the requested length only for the random dataset at a range ratio of 1 (fixed lengths);
    below 1 each request draws its length up to it, so the measured mean keys the curve."""
    if not str(doc.get("dataset_name", "random")).startswith("random"):
        return
    spread = parse_number(doc.get("random_range_ratio"))
    if spread == 1:
        take(doc, row, seen, fields, "isl", ("random_input_len",))
        take(doc, row, seen, fields, "osl", ("random_output_len",))
    elif doc.get("random_input_len") is not None and not any(w.startswith(f"{source}: random_input_len") for w in warnings):
        warnings.append(f"{source}: random_input_len {plain(doc.get('random_input_len'))} with random_range_ratio "
                        f"{plain(doc.get('random_range_ratio'))}: each request drew its own length, so the curves are "
                        "keyed on the measured mean lengths")
