"""The canonical benchmark table: one declaration of its columns, used by every importer and the app."""

from __future__ import annotations

import pandas as pd

# Columns that identify a configuration (one latency/throughput curve is these plus the load level).
KEY_COLUMNS: tuple[str, ...] = (
    "model", "gpu", "tp", "pp", "gpus_per_instance", "precision", "engine", "isl", "osl", "load_mode",
)
CURVE_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "provenance", "source")

LATENCY_METRICS: tuple[str, ...] = ("ttft_ms", "itl_ms", "e2e_ms")
STATS: tuple[str, ...] = ("avg", "p50", "p90", "p95", "p99")
LATENCY_COLUMNS: tuple[str, ...] = tuple(f"{m}_{s}" for m in LATENCY_METRICS for s in STATS)

COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "concurrency",
    "request_rate",
    *LATENCY_COLUMNS,
    "req_per_s",
    "out_tok_per_s",
    "capacity_seqs",  # modeled rows: sequences the engine holds at once (KV cache or maximum batch)
    "runs",
    "source",
    "provenance",
)

TEXT_COLUMNS = ("model", "gpu", "precision", "engine", "load_mode", "source", "provenance")
INT_COLUMNS = ("tp", "pp", "gpus_per_instance", "isl", "osl", "runs")

# Columns every imported row must have a finite, positive value in.
REQUIRED_METRICS: tuple[str, ...] = ("ttft_ms_avg", "itl_ms_avg", "e2e_ms_avg", "req_per_s")

LITTLE_TOLERANCE = 0.15
DEFAULT_NODE_GPUS = 8


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the canonical columns and dtypes (missing metrics become NaN)."""
    out = df.reindex(columns=list(COLUMNS)).copy()
    for col in TEXT_COLUMNS:
        out[col] = out[col].astype("object")
    for col in INT_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    for col in COLUMNS:
        if col not in TEXT_COLUMNS and col not in INT_COLUMNS:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.reset_index(drop=True)
