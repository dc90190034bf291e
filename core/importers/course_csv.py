"""The course's flattened GenAI-Perf table (nim.csv): task_inputs-*, input_config-*, <metric>-avg/-p95 with -unit."""

from __future__ import annotations

import pandas as pd

from core.errors import BenchmarkFileError
from core.importers.common import (
    TIME_UNITS_TO_MS,
    DroppedRow,
    Parsed,
    column_numbers,
    column_shown,
    column_text,
    plain,
)

NAME = "the course's table (nim.csv)"
SIGNATURE = "columns task_inputs-model, time_to_first_token-avg, …"
LABEL_COLUMNS = {
    "task_inputs-model": "model",
    "task_inputs-GPU": "gpu",
    "task_inputs-n_gpus": "tp",
    "task_inputs-precision": "precision",
    "input_config-concurrency": "concurrency",
    "input_config-synthetic_input_tokens_mean": "isl",
    "input_config-output_tokens_mean": "osl",
}
LENGTH_COLUMNS = {"num_input_token-avg": "isl_measured", "num_output_token-avg": "osl_measured"}
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


def used_columns() -> set[str]:
    """Every column this reader takes a value from (a repeated one of these is ambiguous)."""
    metrics = [f"{m}-{s}" for m in (*TIME_METRICS, *RATE_METRICS) for s in (*STATS, "unit")]
    return {*LABEL_COLUMNS, *LENGTH_COLUMNS, *metrics, "task_inputs-execution_type"}


def read(raw: pd.DataFrame, source: str) -> Parsed:
    """Normalise the course table (read as text, so messages show the file's own values); unknown units drop rows."""
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise BenchmarkFileError(
            source, f"missing column(s) {', '.join(missing)}; expected the course's GenAI-Perf table (as nim.csv)"
        )
    text_labels = ("model", "gpu", "precision")
    out = pd.DataFrame({dst: column_text(raw[src]) if dst in text_labels else column_numbers(raw[src])
                        for src, dst in LABEL_COLUMNS.items()})
    seen = pd.DataFrame({dst: column_shown(raw[src]) for src, dst in LABEL_COLUMNS.items() if dst not in text_labels})
    fields = {dst: src for src, dst in LABEL_COLUMNS.items()}
    for src, dst in LENGTH_COLUMNS.items():
        if src in raw:
            out[dst], seen[dst], fields[dst] = column_numbers(raw[src]), column_shown(raw[src]), src
    out["engine"] = column_text(raw["task_inputs-execution_type"]) if "task_inputs-execution_type" in raw else "unknown"
    out["load_mode"] = "concurrency"
    bad_unit = pd.Series("", index=raw.index)
    for metric, name in TIME_METRICS.items():
        units = raw[f"{metric}-unit"].astype("str").str.strip()
        factor = units.str.lower().map(TIME_UNITS_TO_MS)
        bad_unit = bad_unit.where(factor.notna() | (bad_unit != ""), f"{metric}-unit")
        for stat in STATS:
            col = f"{metric}-{stat}"
            if col in raw:
                out[f"{name}_{stat}"] = column_numbers(raw[col]) * factor
                seen[f"{name}_{stat}"] = column_shown(raw[col], units)
                fields[f"{name}_{stat}"] = col
    for metric, name in RATE_METRICS.items():
        if f"{metric}-avg" not in raw:
            continue
        if f"{metric}-unit" in raw:
            ok = raw[f"{metric}-unit"].astype("str").str.strip().str.lower().isin(RATE_UNITS[metric])
            bad_unit = bad_unit.where(ok | (bad_unit != ""), f"{metric}-unit")
        out[name], seen[name] = column_numbers(raw[f"{metric}-avg"]), column_shown(raw[f"{metric}-avg"])
        fields[name] = f"{metric}-avg"
    line_numbers = [i + 2 for i in range(len(raw))]  # the header is line 1
    unit_rows = (bad_unit != "").to_numpy()
    dropped = [
        DroppedRow(source, line_numbers[i], bad_unit.iloc[i],
                   f"unknown unit {plain(raw[bad_unit.iloc[i]].iloc[i])}; expected ns, us, ms or s (or requests/sec, "
                   "tokens/sec)")
        for i in range(len(raw)) if unit_rows[i]
    ]
    keep = ~unit_rows
    return Parsed("the course's table", out[keep], [n for n, k in zip(line_numbers, keep) if k], fields,
                  seen[keep].reset_index(drop=True), labelled=False, dropped=dropped)

