"""Time the frontier search and sizing on the embedded default table (modeled: solved operating points), on nim.csv
and on synthetic tables of 10 k, 100 k and 1 M rows; print the times."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from core import operating  # solved operating points (absent before the frontier solved modeled curves)
except ImportError:
    operating = None
from core.defaults import DEFAULT_TABLE
from core.frontier import Limits, Query, search
from core.planning import Plan
from core.sizing import servers_by_limit, size
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


def _forget() -> None:
    """Empty the solved-point memo (when there is one), so a 'cold' figure pays for every solve."""
    clear = getattr(operating, "clear_memo", None) if operating else None
    if clear is not None:
        clear()


def timed(fn, repeats: int, cold: bool) -> str:
    times = []
    for _ in range(repeats):
        if cold:
            _forget()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return f"median {statistics.median(times) * 1000:8.1f} ms, max {max(times) * 1000:8.1f} ms"


def default_table() -> None:
    """What a rerun of the app costs on the data most users see: the course's scenario on the modeled default table
    (cold: nothing solved yet; warm: the same scenario again, as a rerun after an unrelated input change)."""
    table = load_paths([DEFAULT_TABLE]).table
    q = Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300))
    p95 = Query("Llama 3 70B", 2000, 200, Limits(ttft_ms=1000, e2e_ms=8000, stat="p95"))
    limits = [float(v) for v in np.unique(np.round(np.geomspace(30, 30_000, 40)))]
    bare = Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=None, e2e_ms=None, itl_ms=None))
    print(f"default table ({len(table)} rows), Llama 3 8B 2000/200:")
    cases = [
        ("search, TTFT <= 300 ms avg", lambda: search(table, q), 20),
        ("search, 70B TTFT <= 1 s and E2E <= 8 s p95", lambda: search(table, p95), 20),
        ("size without ranges", lambda: size(table, q, direct(200), plan=Plan(ranges=False)), 20),
        ("size with ranges (a rerun of the Answer)", lambda: size(table, q, direct(200)), 10),
        ("cost of latency: servers at 40 TTFT limits", lambda: servers_by_limit(table, bare, direct(200), limits), 3),
    ]
    for name, fn, repeats in cases:
        print(f"  {name:<46} cold {timed(fn, repeats, True)}; warm {timed(fn, repeats, False)}")


def main() -> None:
    default_table()
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
