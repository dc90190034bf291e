"""Solved operating points: the highest modeled throughput that meets the limits, the same whatever grid a page draws."""

import numpy as np
import pandas as pd
import pytest

from core import operating
from core.errors import SizerError
from core.frontier import Limits
from core.operating import operating_point, operating_points
from core.perfmodel import Config, Params, capacity, regime, sweep
from core.sizing import size_points

CFG = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp8", 2000, 200)


def test_the_answer_sits_on_the_limit():
    p = Params.load()
    row = operating_point(CFG, Limits(ttft_ms=300), p).iloc[0]
    assert row["ttft_ms_avg"] == pytest.approx(300, rel=1e-9)
    assert row["provenance"] == "modeled" and row["point"] == "solved" and row["engine"] == "modeled"
    assert 1 < row["concurrency"] < row["capacity_seqs"] and regime(row["concurrency"], row["capacity_seqs"]) == "below_knee"
    # The row is a modeled sweep row at that concurrency, with the frontier's derived columns.
    again = sweep(CFG, [row["concurrency"]], p).iloc[0]
    assert row["req_per_s"] == again["req_per_s"] and row["prompts_per_s_per_server"] == pytest.approx(8 * row["req_per_s"])
    for column in ("model_key", "gpu_key", "load", "curve_id", "node_gpus", "tok_per_s_per_user"):
        assert column in row.index


def test_no_grid_decides_the_answer(monkeypatch):
    p = Params.load()
    answers = []
    for scan in (5, 33, 129):
        monkeypatch.setattr(operating, "SCAN", scan)
        operating.clear_memo()  # else the first answer is remembered and the scan never runs again
        answers.append(float(operating_point(CFG, Limits(ttft_ms=300), p)["concurrency"].iloc[0]))
    assert max(answers) - min(answers) <= 1e-9 * max(answers)
    # A grid of the what-if page's kind and the frontier's own: the best grid point never beats the solved one.
    for grid in (np.unique(np.round(np.geomspace(1, 256, 14))), [1, 2, 5, 10, 25, 50, 100, 150, 200, 256]):
        swept = sweep(CFG, grid, p)
        met = swept[swept["ttft_ms_avg"] <= 300]
        assert met["req_per_s"].max() <= operating_point(CFG, Limits(ttft_ms=300), p)["req_per_s"].iloc[0]


@pytest.mark.parametrize("limits,column,value", [
    (Limits(e2e_ms=20_000, stat="p95"), "e2e_ms_p95", 20_000),
    (Limits(ttft_ms=2_000, stat="p99"), "ttft_ms_p99", 2_000),
    (Limits(min_tok_per_s_per_user=40), "itl_ms_avg", 25.0),  # 40 tokens/s per user is 25 ms between tokens
    (Limits(ttft_ms=5_000, itl_ms=30, stat="p90"), "itl_ms_p90", 30),
])
def test_every_kind_of_limit(limits, column, value):
    cfg = Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 2000, 200)
    row = operating_point(cfg, limits).iloc[0]
    assert row[column] == pytest.approx(value, rel=1e-6)
    for col, limit in limits.checks():
        assert row[col] <= limit * (1 + 1e-9)


def test_a_loose_limit_stops_at_the_capacity():
    # Past the capacity requests only wait: nothing more is served, so the answer is the capacity itself.
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 1000)
    row = operating_point(cfg, Limits(e2e_ms=1e9)).iloc[0]
    assert row["concurrency"] == row["capacity_seqs"] == capacity(cfg).seqs
    assert regime(row["concurrency"], row["capacity_seqs"]) == "below_knee"


def test_nothing_meets_says_why():
    too_tight = operating_point(CFG, Limits(ttft_ms=1))
    assert too_tight.empty and "even one request at a time misses TTFT ≤ 1 ms (avg)" in too_tight.attrs["reason"]
    cannot_run = operating_point(Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp4", 2000, 200), Limits(ttft_ms=300))
    assert cannot_run.empty and "no FP4 tensor cores" in cannot_run.attrs["reason"]
    with pytest.raises(SizerError, match="at least one latency limit"):
        operating_point(CFG, Limits())


def test_many_curves_at_once_match_one_at_a_time():
    cfgs = [Config.from_names(m, g, tp, prec, 2000, 200) for m in ("Llama 3 8B", "Llama 3.1 70B")
            for g in ("H100 SXM", "B200", "L40S") for tp in (1, 2, 4, 8) for prec in ("fp8", "fp4")]
    together = operating_points(cfgs, Limits(ttft_ms=500, stat="p95"))
    for cfg, frame in zip(cfgs, together):
        alone = operating_point(cfg, Limits(ttft_ms=500, stat="p95"))
        assert frame.empty == alone.empty
        if not frame.empty:
            assert frame["concurrency"].iloc[0] == pytest.approx(alone["concurrency"].iloc[0], rel=1e-12)


def test_sizing_takes_the_row_as_it_is():
    rows = [r for r in operating_points([CFG, Config.from_names("Llama 3 8B", "H100 SXM", 2, "fp8", 2000, 200)],
                                        Limits(ttft_ms=300)) if not r.empty]
    sized = size_points(pd.concat(rows, ignore_index=True), 199.77)
    assert (sized["servers"] >= sized["servers_exact"]).all() and sized["servers_exact"].iloc[0] < 5
