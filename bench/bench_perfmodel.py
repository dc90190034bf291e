"""Time one modeled concurrency sweep and the rebuild of the whole default table; print both."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.defaults import CONCURRENCY, generate
from core.perfmodel import Config, Params, sweep


def main() -> None:
    params = Params.load()
    cfg = Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 2000, 200)
    times = []
    for _ in range(200):
        start = time.perf_counter()
        sweep(cfg, CONCURRENCY, params)
        times.append(time.perf_counter() - start)
    print(f"one sweep ({len(CONCURRENCY)} concurrencies): median {statistics.median(times) * 1000:.2f} ms, "
          f"max {max(times) * 1000:.2f} ms")
    start = time.perf_counter()
    table, skipped = generate(params)
    print(f"default table: {len(table)} rows, {len(skipped)} infeasible configurations, "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
