"""Invariants of every modeled curve over the catalog: Little's law, latencies that keep rising while load rises (no
vertical lines on a latency/throughput chart), throughput that saturates at the ceiling, ordered percentiles, and a
solved operating point that does not depend on any concurrency grid."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core import catalog
from core.frontier import Limits
from core.operating import operating_point
from core.perfmodel import Config, NotFeasible, Params, capacity, sweep

MODELS = sorted(catalog.models())
GPUS = sorted(catalog.gpus())


@st.composite
def configs(draw):
    cfg = Config.from_names(draw(st.sampled_from(MODELS)), draw(st.sampled_from(GPUS)),
                            draw(st.sampled_from([1, 2, 4, 8])), draw(st.sampled_from(["fp16", "fp8", "fp4"])),
                            draw(st.integers(1, 8000)), draw(st.integers(1, 4000)))
    try:
        capacity(cfg)
    except NotFeasible:
        assume(False)
    return cfg


@settings(deadline=None)
@given(cfg=configs(), levels=st.lists(st.integers(1, 600), min_size=2, max_size=12, unique=True))
def test_no_latency_stays_constant_while_load_rises(cfg, levels):
    c = np.array(sorted(levels), dtype="float64")
    df = sweep(cfg, c)
    cap = float(df["capacity_seqs"].iloc[0])
    # Little's law holds by construction.
    assert np.allclose(df["req_per_s"] * df["e2e_ms_avg"] / 1000, c, rtol=1e-9)
    # TTFT and E2E rise with every step of concurrency, below the knee (the batch grows) and past it (the queue).
    assert (np.diff(df["ttft_ms_avg"]) > 0).all() and (np.diff(df["e2e_ms_avg"]) > 0).all()
    # ITL rises while the batch grows and stays flat once it is full, where throughput is flat too: a latency never
    # stands still while throughput moves.
    below = c[1:] <= cap
    assert (np.diff(df["itl_ms_avg"])[below] > 0).all()
    steady = np.isclose(np.diff(df["itl_ms_avg"]), 0, atol=1e-9)
    assert np.allclose(np.diff(df["req_per_s"])[steady], 0, atol=1e-12)
    # Throughput saturates: it never falls, and past the ceiling it is constant.
    assert (np.diff(df["req_per_s"]) >= -1e-12 * df["req_per_s"].max()).all()
    past = c >= cap
    assert np.allclose(df["req_per_s"][past], df["req_per_s"][past].iloc[0] if past.any() else 0, rtol=1e-12)
    for metric in ("ttft", "itl", "e2e"):
        cols = [f"{metric}_ms_{s}" for s in ("p50", "p90", "p95", "p99")]
        assert (np.diff(df[cols].to_numpy(), axis=1) >= -1e-9).all()
    assert (df["provenance"] == "modeled").all()


@settings(deadline=None)
@given(cfg=configs(), ttft_ms=st.floats(20, 20000), stat=st.sampled_from(["avg", "p95"]))
def test_operating_point_is_the_crossing(cfg, ttft_ms, stat):
    p = Params.load()
    point = operating_point(cfg, Limits(ttft_ms=ttft_ms, stat=stat), p)
    column = f"ttft_ms_{stat}"
    if point.empty:
        assert "misses" in point.attrs["reason"]
        assert sweep(cfg, [1], p)[column].iloc[0] > ttft_ms
        return
    row = point.iloc[0]
    cap = float(row["capacity_seqs"])
    assert row[column] <= ttft_ms * (1 + 1e-9) and 1 <= row["concurrency"] <= cap
    # Either the capacity is reached, or a hair more concurrency misses the limit: no grid decides where it stops.
    if row["concurrency"] < cap * (1 - 1e-9):
        assert sweep(cfg, [row["concurrency"] * (1 + 1e-6)], p)[column].iloc[0] > ttft_ms * (1 - 1e-6)
    # No concurrency that meets the limit serves more requests per second.
    grid = np.linspace(1, cap, 400)
    dense = sweep(cfg, grid, p)
    meets = dense[column] <= ttft_ms
    assert (dense["req_per_s"][meets] <= row["req_per_s"] * (1 + 1e-9)).all()
