"""`vllm bench serve` (and the older benchmarks/benchmark_serving.py) results: flat keys in ms.

One object per file (`--save-result`), one per line (`--append-result`), or a list (`vllm bench sweep`'s
summary.json; its run=N.json files are single results with the sweep's parameters merged in). The default
`--percentile-metrics` is ttft,tpot,itl, so most results lack e2el: the end-to-end mean is then derived.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import DroppedRow, Parsed, parse_number, plain, ratio, shown, take
from core.schema import SIZING_METRICS

NAME = "vLLM bench serve result (--save-result / --append-result / vllm bench sweep)"
SIGNATURE = "keys mean_ttft_ms or mean_e2el_ms, request_throughput and completed"
PREFIX = {"avg": "mean", "p50": "median", "p90": "p90", "p95": "p95", "p99": "p99"}
# GenAI-Perf's inter-token latency is (e2e - ttft) / (osl - 1) per request: vLLM calls that TPOT.
METRICS = {"ttft_ms": ("ttft",), "itl_ms": ("tpot", "itl"), "e2e_ms": ("e2el",)}
OTHER_ENGINES = {"sglang", "tgi", "lmdeploy", "deepspeed-mii", "tensorrt-llm", "scalellm", "llama.cpp"}


def looks_like(doc: dict[str, Any]) -> bool:
    return "mean_ttft_ms" in doc or "mean_tpot_ms" in doc or any(str(k).endswith("_e2el_ms") for k in doc)


def read(records: list[dict[str, Any]], source: str, numbers: list[int]) -> Parsed:
    """Every run in the file; a file of one run that failed entirely is refused with the reason."""
    rows, seen, lines, dropped, warnings = [], [], [], [], []
    fields: dict[str, str] = {}
    for number, doc in zip(numbers, records):
        problem = _failed(doc)
        if problem:
            if len(records) == 1:
                raise BenchmarkFileError(source, problem)
            dropped.append(DroppedRow(source, number, "completed", problem))
            continue
        row, shown_row = _run(doc, fields, source, number, warnings)
        rows.append(row)
        seen.append(shown_row)
        lines.append(number)
    return Parsed("vLLM", pd.DataFrame(rows), lines, fields, pd.DataFrame(seen), SIZING_METRICS, dropped=dropped,
                  warnings=warnings)


def _failed(doc: dict[str, Any]) -> str | None:
    completed = parse_number(doc.get("completed"))
    if completed > 0:
        if "mean_ttft_ms" not in doc and "mean_tpot_ms" not in doc and "total_input_sequences" in doc:
            return "an embedding (pooling) benchmark: no tokens are generated, so there is nothing to size"
        return None
    failed, prompts = parse_number(doc.get("failed")), parse_number(doc.get("num_prompts"))
    total = completed + failed if math.isfinite(completed) and math.isfinite(failed) else prompts
    if completed == 0 and math.isfinite(total):
        return f"0 of {plain(total)} requests completed: every request failed"
    return f"completed is {shown(doc.get('completed')) or 'missing'}; expected a positive request count"


def _run(doc: dict[str, Any], fields: dict[str, str], source: str, number: int,
         warnings: list[str]) -> tuple[dict, dict]:
    row: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for name, metrics in METRICS.items():
        for stat, prefix in PREFIX.items():
            take(doc, row, seen, fields, f"{name}_{stat}", tuple(f"{prefix}_{m}_ms" for m in metrics), unit="ms")
    take(doc, row, seen, fields, "req_per_s", ("request_throughput",))
    take(doc, row, seen, fields, "out_tok_per_s", ("output_throughput",))
    completed = parse_number(doc.get("completed"))
    row["isl_measured"] = ratio(doc.get("total_input_tokens"), completed)
    row["osl_measured"] = ratio(doc.get("total_output_tokens"), completed)
    fields.update(isl_measured="total_input_tokens ÷ completed", osl_measured="total_output_tokens ÷ completed")
    # Requested lengths are in a result only where vllm bench sweep merged its parameters (or --metadata added them).
    take(doc, row, seen, fields, "isl", ("input_len", "random_input_len"))
    take(doc, row, seen, fields, "osl", ("output_len", "random_output_len"))
    take(doc, row, seen, fields, "tp", ("tensor_parallel_size",))
    derived = row.get("ttft_ms_avg", math.nan) + row.get("itl_ms_avg", math.nan) * (row["osl_measured"] - 1)
    if "e2e_ms_avg" not in row and math.isfinite(derived):
        row["e2e_ms_avg"] = derived
        row["derived"] = "e2e_ms_avg"
        seen["e2e_ms_avg"] = ""
        fields["e2e_ms_avg"] = "end-to-end mean (derived: mean TTFT + mean TPOT × (output tokens − 1))"
    failed = parse_number(doc.get("failed"))
    if failed > 0:
        warnings.append(f"{source}, row {number}: {plain(failed)} of {plain(failed + completed)} requests failed; "
                        f"the figures cover the {plain(completed)} that completed")
    row.update(_load(doc, source, number, warnings))
    row["model"] = doc.get("model_id") if isinstance(doc.get("model_id"), str) else None
    backend = str(doc.get("backend") or doc.get("endpoint_type") or "")
    row["engine"] = backend if backend in OTHER_ENGINES else "vllm"
    return row, seen


def _load(doc: dict[str, Any], source: str, number: int, warnings: list[str]) -> dict[str, Any]:
    """max_concurrency caps the requests in flight; without it a finite request_rate sets the arrivals."""
    concurrency = parse_number(doc.get("max_concurrency"))
    rate = parse_number(doc.get("request_rate"))
    if math.isfinite(concurrency):
        return {"load_mode": "concurrency", "concurrency": concurrency}
    if math.isfinite(rate):
        return {"load_mode": "request_rate", "request_rate": rate}
    prompts = parse_number(doc.get("num_prompts"))
    if rate == math.inf and prompts > 0:
        warnings.append(f"{source}, row {number}: request rate inf and no max_concurrency: all {plain(prompts)} "
                        f"requests were sent at once; read as concurrency {plain(prompts)} (a burst, not a steady load)")
        return {"load_mode": "concurrency", "concurrency": prompts}
    return {"load_mode": "concurrency", "concurrency": math.nan}
