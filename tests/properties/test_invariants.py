"""Invariants of the sizing: a tighter limit never needs fewer servers; more traffic never needs fewer."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from core.frontier import Limits, Query
from core.sizing import size
from core.table import prepare
from core.traffic import direct


def synthetic_table(seed: int, curves: int = 4) -> pd.DataFrame:
    """Curves whose latency and throughput grow with concurrency, as a serving benchmark's do."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(curves):
        tp = [1, 2, 4, 8][c % 4]
        base_ttft, _base_rps = rng.uniform(20, 200), rng.uniform(0.2, 2)
        for conc in (1, 2, 5, 10, 25, 50, 100, 200):
            ttft = base_ttft * (1 + conc * rng.uniform(0.05, 0.2))
            e2e = ttft + 200 * rng.uniform(5, 20) * (1 + conc / 100)
            rows.append({"model": "m", "gpu": f"G{c // 4}", "tp": tp, "pp": 1, "gpus_per_instance": tp,
                         "precision": "fp8", "engine": "e", "isl": 100, "osl": 200, "load_mode": "concurrency",
                         "concurrency": conc, "ttft_ms_avg": ttft, "itl_ms_avg": 10.0, "e2e_ms_avg": e2e,
                         "req_per_s": conc / (e2e / 1000) * rng.uniform(0.9, 1.0), "runs": 1,
                         "source": "synthetic", "provenance": "measured"})
    return prepare(pd.DataFrame(rows))


def servers(table, limit, peak, interpolate):
    options = size(table, Query("m", 100, 200, Limits(ttft_ms=limit), interpolate=interpolate), direct(peak)).options
    return (options["servers"].min(), options["servers_exact"].min()) if not options.empty else (np.inf, np.inf)


@given(seed=st.integers(0, 10_000), limit=st.floats(10, 5000), tighter=st.floats(0.1, 1.0),
       peak=st.floats(0.1, 1e4), interpolate=st.booleans())
def test_tighter_limit_never_needs_fewer_servers(seed, limit, tighter, peak, interpolate):
    table = synthetic_table(seed)
    loose = servers(table, limit, peak, interpolate)
    tight = servers(table, limit * tighter, peak, interpolate)
    assert tight[0] >= loose[0] and tight[1] >= loose[1] - 1e-9


@given(seed=st.integers(0, 10_000), limit=st.floats(10, 5000), peak=st.floats(0.1, 1e4), more=st.floats(1.0, 100.0),
       interpolate=st.booleans())
def test_more_traffic_never_needs_fewer_servers(seed, limit, peak, more, interpolate):
    table = synthetic_table(seed)
    assert servers(table, limit, peak * more, interpolate)[0] >= servers(table, limit, peak, interpolate)[0]


@given(limit=st.floats(20, 20_000), tighter=st.floats(0.1, 1.0), stat=st.sampled_from(["avg", "p95"]))
def test_on_course_data(nim_table, limit, tighter, stat):
    def best(value):
        options = size(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=value, stat=stat)), direct(200)).options
        return options["servers_exact"].min() if not options.empty else np.inf
    assert best(limit * tighter) >= best(limit) - 1e-9
