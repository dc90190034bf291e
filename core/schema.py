"""The canonical benchmark table: one declaration of its columns, used by every importer and the app."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Columns that identify a configuration (one latency/throughput curve is these plus the load level).
# isl and osl are the lengths the run asked for where the file says so, else the measured means rounded.
KEY_COLUMNS: tuple[str, ...] = (
    "model", "gpu", "tp", "pp", "gpus_per_instance", "precision", "engine", "isl", "osl", "load_mode",
)
CURVE_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "provenance", "source")

LATENCY_METRICS: tuple[str, ...] = ("ttft_ms", "itl_ms", "e2e_ms")
STATS: tuple[str, ...] = ("avg", "p50", "p90", "p95", "p99")
LATENCY_COLUMNS: tuple[str, ...] = tuple(f"{m}_{s}" for m in LATENCY_METRICS for s in STATS)
THROUGHPUT_COLUMNS: tuple[str, ...] = ("req_per_s", "out_tok_per_s")
METRIC_COLUMNS: tuple[str, ...] = (*LATENCY_COLUMNS, *THROUGHPUT_COLUMNS)

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
    "isl_measured",   # mean input tokens per request as the benchmark counted them
    "osl_measured",   # mean output tokens per request
    "derived",        # metric columns computed from others rather than measured (e.g. "e2e_ms_avg"), comma-separated
    "req_per_s_min",  # slowest and fastest of repeated runs (runs > 1) whose mean is req_per_s: the run-to-run spread
    "req_per_s_max",
)

TEXT_COLUMNS = ("model", "gpu", "precision", "engine", "load_mode", "source", "provenance", "derived")
INT_COLUMNS = ("tp", "pp", "gpus_per_instance", "isl", "osl", "runs")

# A row must have a finite, positive value in each of these (tables that record every metric of every run).
REQUIRED_METRICS: tuple[str, ...] = ("ttft_ms_avg", "itl_ms_avg", "e2e_ms_avg", "req_per_s")
# Stands in a `required` list for "at least one latency statistic of any kind".
ANY_LATENCY = "any latency"
# What a sizing needs of every row when its format may lack some statistics (non-streaming runs, p99-only sweeps).
SIZING_METRICS: tuple[str, ...] = ("req_per_s", ANY_LATENCY)

# Bounds past which a value is not a benchmark but an error; they keep every count representable.
MAX_TOKENS = 10_000_000
MAX_GPUS = 4096
MAX_LOAD = 1e7            # concurrent requests, or requests per second offered
MAX_LATENCY_MS = 1e9      # eleven and a half days
MAX_REQ_PER_S = 1e7
MAX_TOK_PER_S = 1e10
LENGTH_TOLERANCE = 0.10   # requested and measured lengths further apart than this are reported

LITTLE_TOLERANCE = 0.15
DEFAULT_NODE_GPUS = 8


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the canonical columns and dtypes (missing or unrepresentable values become NaN).

    Built column by column from numpy arrays in one constructor: importers call it once per file, so it is cheap.
    """
    n = len(df)
    data: dict[str, object] = {}
    for col in COLUMNS:
        if col in TEXT_COLUMNS:
            data[col] = df[col].to_numpy(dtype=object) if col in df else np.full(n, np.nan, dtype=object)
            continue
        number = (pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                  if col in df else np.full(n, np.nan))
        if col in INT_COLUMNS:
            with np.errstate(invalid="ignore"):
                whole = np.isfinite(number) & (number == np.round(number)) & (np.abs(number) < 2**53)
            data[col] = pd.arrays.IntegerArray(np.where(whole, number, 0).astype("int64"), ~whole)
        else:
            data[col] = number
    return pd.DataFrame(data, index=pd.RangeIndex(n))
