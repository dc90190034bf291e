"""Time the performance model where the app pays for it: one modeled sweep, solved operating points (per curve and
for every curve of a frontier at once, as a rerun would), loading the embedded default table, rebuilding it."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import catalog
from core.defaults import CONCURRENCY, DEFAULT_TABLE, generate
from core.frontier import Limits
from core.operating import operating_point, operating_points
from core.perfmodel import Config, Params, sweep
from core.table import load_paths


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def show(name: str, times: list[float]) -> None:
    print(f"{name}: median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms")


def main() -> None:
    params = Params.load()
    cfg = Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 2000, 200)
    show(f"one sweep ({len(CONCURRENCY)} concurrencies)", timed(lambda: sweep(cfg, CONCURRENCY, params), 200))
    limits = Limits(ttft_ms=300)
    show("one operating point (TTFT avg)", timed(lambda: operating_point(cfg, limits, params), 50))
    show("one operating point (TTFT p95 and ITL p95)",
         timed(lambda: operating_point(cfg, Limits(ttft_ms=500, itl_ms=40, stat="p95"), params), 50))
    cfgs = [Config(m, g, tp, prec, 2000, 200) for m in [catalog.model("Llama 3.1 70B")]
            for g in catalog.gpus().values() for tp in (1, 2, 4, 8) for prec in ("fp16", "fp8", "fp4")]
    show(f"operating points of a whole frontier ({len(cfgs)} curves, 1 model × every GPU, TP, precision)",
         timed(lambda: operating_points(cfgs, limits, params), 20))
    show("load the default table (read, check, derive)", timed(lambda: load_paths([DEFAULT_TABLE]), 5))
    print(f"default table: {DEFAULT_TABLE.stat().st_size / 1e6:.2f} MB")
    start = time.perf_counter()
    table, skipped = generate(params)
    print(f"rebuild the default table: {len(table)} rows, {len(skipped)} infeasible configurations, "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
