"""The course's flattened GenAI-Perf table (nim.csv): task_inputs-*, input_config-*, <metric>-avg/-p95 with -unit."""

from __future__ import annotations

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import (
    TIME_UNITS_TO_MS,
    DroppedRow,
    ImportResult,
    check_rows,
)

LABEL_COLUMNS = {
    "task_inputs-model": "model",
    "task_inputs-GPU": "gpu",
    "task_inputs-n_gpus": "tp",
    "task_inputs-precision": "precision",
    "input_config-concurrency": "concurrency",
    "input_config-synthetic_input_tokens_mean": "isl",
    "input_config-output_tokens_mean": "osl",
}
TIME_METRICS = {"time_to_first_token": "ttft_ms", "inter_token_latency": "itl_ms", "request_latency": "e2e_ms"}
RATE_METRICS = {"request_throughput": "req_per_s", "output_token_throughput": "out_tok_per_s"}
RATE_UNITS = {"request_throughput": {"requests/sec", "requests/s", "req/s"},
              "output_token_throughput": {"tokens/sec", "tokens/s", "tok/s"}}
STATS = ("avg", "p50", "p90", "p95", "p99")
REQUIRED = (*LABEL_COLUMNS, *(f"{m}-avg" for m in (*TIME_METRICS, "request_throughput")),
            *(f"{m}-unit" for m in (*TIME_METRICS, "request_throughput")))


def looks_like(columns: list[str]) -> bool:
    """The course table is recognised by its task_inputs-/input_config- prefixes."""
    return any(c.startswith("task_inputs-") for c in columns) or "time_to_first_token-avg" in columns


def read(raw: pd.DataFrame, source: str) -> ImportResult:
    """Normalise the course table; rows with unknown units or bad values are dropped and listed."""
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise BenchmarkFileError(
            source, f"missing column(s) {', '.join(missing)}; expected the course's GenAI-Perf table (as nim.csv)"
        )
    out = pd.DataFrame({dst: raw[src] for src, dst in LABEL_COLUMNS.items()})
    out["pp"] = 1
    out["gpus_per_instance"] = out["tp"]
    out["engine"] = raw.get("task_inputs-execution_type", "unknown")
    out["load_mode"] = "concurrency"
    bad_unit = pd.Series("", index=raw.index)
    for metric, name in TIME_METRICS.items():
        units = raw[f"{metric}-unit"].astype(str).str.strip().str.lower()
        factor = units.map(TIME_UNITS_TO_MS)
        bad_unit = bad_unit.where(factor.notna() | (bad_unit != ""), f"{metric}-unit")
        for stat in STATS:
            col = f"{metric}-{stat}"
            if col in raw:
                out[f"{name}_{stat}"] = pd.to_numeric(raw[col], errors="coerce") * factor
    for metric, name in RATE_METRICS.items():
        if f"{metric}-avg" not in raw:
            continue
        if f"{metric}-unit" in raw:
            ok = raw[f"{metric}-unit"].astype(str).str.strip().str.lower().isin(RATE_UNITS[metric])
            bad_unit = bad_unit.where(ok | (bad_unit != ""), f"{metric}-unit")
        out[name] = pd.to_numeric(raw[f"{metric}-avg"], errors="coerce")
    out["runs"] = 1
    out["source"] = source
    out["provenance"] = "measured"
    line_numbers = [i + 2 for i in range(len(raw))]  # the header is line 1
    unit_rows = bad_unit != ""
    dropped = [
        DroppedRow(source, line_numbers[i], bad_unit.iloc[i],
                   f"unknown unit {raw[bad_unit.iloc[i]].iloc[i]!r}; expected ns, us, ms or s (or requests/sec, tokens/sec)")
        for i in range(len(raw)) if unit_rows.iloc[i]
    ]
    kept = out[~unit_rows.to_numpy()]
    result = check_rows(kept, source, [n for n, bad in zip(line_numbers, unit_rows) if not bad])
    result.dropped[:0] = dropped
    return result
