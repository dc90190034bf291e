"""Time the frontier search and sizing on nim.csv and on synthetic tables of 10 k, 100 k and 1 M rows; print the times."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.frontier import Limits, Query
from core.sizing import size
from core.table import load_paths, prepare
from core.traffic import direct

NIM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nim.csv"
CONCURRENCIES = (1, 2, 5, 10, 25, 50, 100, 150, 200, 250)


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    """One model and one length pair, many (gpu, tp, precision) curves of ten concurrency points each."""
    rng = np.random.default_rng(seed)
    curves = rows // len(CONCURRENCIES)
    conc = np.tile(CONCURRENCIES, curves).astype(float)
    base = np.repeat(rng.uniform(20, 200, curves), len(CONCURRENCIES))
    ttft = base * (1 + conc * 0.1)
    e2e = ttft + 2000 * (1 + conc / 100)
    tp = np.repeat(rng.choice([1, 2, 4, 8], curves), len(CONCURRENCIES))
    gpu = np.repeat([f"GPU{i}" for i in range(curves)], len(CONCURRENCIES))
    return prepare(pd.DataFrame({
        "model": "m", "gpu": gpu, "tp": tp, "pp": 1, "gpus_per_instance": tp, "precision": "fp8", "engine": "e",
        "isl": 2000, "osl": 200, "load_mode": "concurrency", "concurrency": conc, "ttft_ms_avg": ttft,
        "itl_ms_avg": 10.0, "e2e_ms_avg": e2e, "req_per_s": conc / e2e * 1000, "runs": 1, "source": "synthetic",
        "provenance": "measured"}))


def time_search(table: pd.DataFrame, query: Query, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        size(table, query, direct(200))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    print(f"{'table':>16} {'rows':>9} {'median ms (measured)':>22} {'median ms (interpolated)':>26}")
    if NIM.exists():
        table = load_paths([NIM]).table
        q = Query("llama3-8b", 2000, 200, Limits(ttft_ms=300))
        print(f"{'nim.csv':>16} {len(table):>9} {time_search(table, q, 50):>22.2f} "
              f"{time_search(table, Query(**{**q.__dict__, 'interpolate': True}), 50):>26.2f}")
    else:
        print(f"nim.csv not found at {NIM}; skipped")
    for rows in (10_000, 100_000, 1_000_000):
        table = synthetic(rows)
        q = Query("m", 2000, 200, Limits(ttft_ms=300))
        repeats = 20 if rows < 1_000_000 else 5
        print(f"{'synthetic':>16} {len(table):>9} {time_search(table, q, repeats):>22.2f} "
              f"{time_search(table, Query(**{**q.__dict__, 'interpolate': True}), repeats):>26.2f}")


if __name__ == "__main__":
    main()
