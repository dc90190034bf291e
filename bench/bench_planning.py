"""Time what planning adds to a sizing (ranges, P(wait) headroom, growth), the tornado and the inverse question, on the
embedded modeled data (every row modeled: the costliest range) and on nim.csv when present; print median ms."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import perfmodel, uncertainty
from core.frontier import Limits, Query
from core.planning import Burst, Plan, capacity
from core.sizing import size
from core.table import benchmark_dir, load_paths
from core.traffic import TrafficInputs, derive

NIM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nim.csv"


def median_ms(fn, repeats: int = 15) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def report(name: str, table, query: Query) -> None:
    traffic = derive(TrafficInputs())
    plans = {"course (no ranges)": Plan(ranges=False), "with ranges (default)": Plan(),
             "P(wait) ≤ 5 %, burst p99/1 s, growth 3 yr": Plan(p_wait=0.05, burst=Burst(99, 1), growth_per_year=0.25,
                                                             years=3)}
    print(f"{name}: {len(table):,} rows")
    for label, plan in plans.items():
        print(f"  {'size, ' + label:<50} {median_ms(lambda p=plan: size(table, query, traffic, plan=p)):7.1f} ms")
    q = Query(query.model, query.isl, query.osl, query.limits, interpolate=True)
    result = size(table, query, traffic)
    for label, fn in (("size, with ranges, interpolated points", lambda: size(table, q, traffic)),
                      ("tornado of the best option", lambda: uncertainty.tornado(table, result)),
                      ("capacity of 4 servers", lambda: capacity(table, query, servers=4))):
        print(f"  {label:<50} {median_ms(fn):7.1f} ms")


def main() -> None:
    if getattr(perfmodel, "error_band", None) is None:
        print("note: core.perfmodel has no error_band in this build; modeled ranges leave out the model's error")
    limits = Limits(ttft_ms=300)
    report("embedded modeled data", load_paths([benchmark_dir()]).table, Query("Llama 3 8B", 2000, 200, limits))
    if NIM.exists():
        report("nim.csv", load_paths([NIM]).table, Query("llama3-8b", 2000, 200, limits))


if __name__ == "__main__":
    main()
