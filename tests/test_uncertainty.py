"""The range on every answer (measured and modeled), its named sources and shares, and the tornado."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core import charts, perfmodel, uncertainty
from core.frontier import Limits, Query
from core.planning import Plan
from core.sizing import size
from core.traffic import TrafficInputs, derive, direct
from tests.planning_fixtures import FakeBands, curve, table

QUERY = Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300))


@pytest.fixture
def bands(monkeypatch):
    """The model branch's error_band, replaced by fixed factors: req/s ×0.8–×1.25, TTFT ×0.9–×1.5."""
    fake = FakeBands({"req_per_s": (0.8, 1.25), "ttft_ms": (0.9, 1.5)})
    monkeypatch.setattr(perfmodel, "error_band", fake, raising=False)
    return fake


def spread_of(best) -> dict[str, dict]:
    return {s["source"]: s for s in best["spread"]}


def test_measured_answer_ranges_down_to_the_next_concurrency():
    # 200 req/s ÷ (5 req/s × 8) = 5 servers at concurrency 10; concurrency 25 fails the limit but carries 8 req/s:
    # 200 ÷ 64 = 3.125 servers if the limit were crossed just below it. The only source, so all the share.
    best = size(table(curve()), QUERY, direct(200.0)).best
    assert best["servers_exact"] == pytest.approx(5)
    assert best["servers_exact_low"] == pytest.approx(3.125) and best["servers_exact_high"] == pytest.approx(5)
    assert (best["servers_low"], best["servers"], best["servers_high"]) == (4, 5, 5)
    (source,) = best["spread"]
    assert source["source"] == "next concurrency in the data" and source["share"] == 1.0
    assert not best["data_edge"]


def test_run_to_run_spread_when_the_table_keeps_it():
    # Two runs at concurrency 10 with 4.5 and 5.5 req/s (mean 5): 5 × 5/4.5 = 5.556 and 5 × 5/5.5 = 4.545 servers.
    # Combined with the step (3.125): low = 5·exp(−√(ln(4.545/5)² + ln(3.125/5)²)) = 5·exp(−√(.009085 + .220902))
    # = 5·exp(−.479570) = 3.0952; high = 5 × 5/4.5 = 5.5556 (the only upward source).
    t = table(curve())
    at10 = t["concurrency"] == 10
    t.loc[at10, "runs"] = 2
    t["req_per_s_min"] = t["req_per_s"].where(~at10, 4.5)
    t["req_per_s_max"] = t["req_per_s"].where(~at10, 5.5)
    best = size(t, QUERY, direct(200.0)).best
    runs = spread_of(best)["run-to-run spread"]
    assert runs["servers_exact_low"] == pytest.approx(50 / 11) and runs["servers_exact_high"] == pytest.approx(50 / 9)
    assert best["servers_exact_low"] == pytest.approx(3.0952, abs=1e-4)
    assert best["servers_exact_high"] == pytest.approx(50 / 9)
    assert (best["servers_low"], best["servers_high"]) == (4, 6)


def test_repeated_runs_without_their_spread_are_said_so():
    t = table(curve())
    t.loc[t["concurrency"] == 10, "runs"] = 2
    best = size(t, QUERY, direct(200.0)).best
    assert "2 runs averaged; the table keeps no run-to-run spread" in best["range_notes"]


def test_modeled_answer_carries_the_model_error(bands):
    # Modeled curve, below the knee: req/s ×0.8–×1.25 → 5 ÷ 1.25 = 4 and 5 ÷ 0.8 = 6.25 servers. TTFT ×1.5 makes
    # concurrency 10 read 375 ms > 300, so concurrency 5 (4 req/s → 200 ÷ 32 = 6.25); ×0.9 keeps 10 (25 reads 540).
    # Step to concurrency 25: 3.125. d_low = ln .8, 0, ln .625; d_high = ln 1.25, ln 1.25, 0 (ln 1.25 = .223144,
    # ln .625 = −.470004):
    #   low  = 5·exp(−√(.049793 + .220903)) = 5·exp(−.520285) = 5 × .594351 = 2.97176
    #   high = 5·exp(√(2 × .049793)) = 5·exp(.315573) = 5 × 1.371044 = 6.85522
    #   shares: req/s .099586 / .370282 = .26895, TTFT .049793 / .370282 = .13447, step .220903 / .370282 = .59658
    # A modeled grid the catalog cannot name (a catalog configuration is solved instead: tests/test_one_number.py),
    # so never calibrated either: the extrapolated band.
    best = size(table(curve(gpu="Acme X1", provenance="modeled")), QUERY, direct(200.0)).best
    assert best["servers_exact_low"] == pytest.approx(2.97176, abs=1e-5)
    assert best["servers_exact_high"] == pytest.approx(6.85522, abs=1e-5)
    assert (best["servers_low"], best["servers"], best["servers_high"]) == (3, 5, 7)
    spread = spread_of(best)
    assert spread["model error in req/s"]["servers_exact_low"] == pytest.approx(4)
    assert spread["model error in req/s"]["servers_exact_high"] == pytest.approx(6.25)
    assert spread["model error in TTFT"]["servers_exact_low"] == pytest.approx(5)
    assert spread["model error in TTFT"]["servers_exact_high"] == pytest.approx(6.25)
    shares = {k: v["share"] for k, v in spread.items()}
    assert shares == pytest.approx({"model error in req/s": .26895, "model error in TTFT": .13447,
                                    "next concurrency in the data": .59658}, abs=1e-4)
    assert ("req_per_s", "below_knee", True) in bands.calls and ("ttft_ms", "below_knee", True) in bands.calls


def test_model_error_regime_and_extrapolation_reach_the_band(bands):
    # An uncatalogued GPU is extrapolated; capacity_seqs 8 < concurrency 10 puts the point above the knee.
    t = table(curve(gpu="Acme X1", precision="fp4", provenance="modeled"))
    t["capacity_seqs"] = 8
    size(t, QUERY, direct(200.0))
    assert set(bands.calls) == {("req_per_s", "above_knee", True), ("ttft_ms", "above_knee", True)}


def test_model_error_that_may_miss_the_limit_leaves_the_high_end_open(monkeypatch):
    # TTFT ×3: even concurrency 1 (50 ms → 150) meets, but ×7 does not (350 ms): no point meets, high is unbounded.
    monkeypatch.setattr(perfmodel, "error_band", FakeBands({"ttft_ms": (1.0, 7.0)}), raising=False)
    best = size(table(curve(gpu="Acme X1", provenance="modeled")), QUERY, direct(200.0)).best
    assert math.isinf(best["servers_exact_high"]) and pd.isna(best["servers_high"])
    assert spread_of(best)["model error in TTFT"]["servers_exact_high"] is None


def test_data_edge_is_flagged():
    # TTFT ≤ 1,000 ms: the last concurrency (25) meets; the data says nothing beyond it
    best = size(table(curve()), Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=1000)), direct(200.0)).best
    assert best["load"] == 25 and best["data_edge"]
    assert uncertainty.DATA_EDGE_NOTE in best["range_notes"]


def test_traffic_range_of_the_peak_factor():
    # Course traffic, peak factor 7 → 199.77 req/s (4.994 servers); 5 and 9 → 142.69 and 256.85 req/s → 3.567 and
    # 6.421 servers (÷ 40 prompts/s per server)
    best = size(table(curve()), QUERY, derive(TrafficInputs()), plan=Plan(peak_factor_range=(5, 9))).best
    peak = spread_of(best)["peak factor"]
    assert peak["servers_exact_low"] == pytest.approx(199.7717 * 5 / 7 / 40, rel=1e-5)
    assert peak["servers_exact_high"] == pytest.approx(199.7717 * 9 / 7 / 40, rel=1e-5)


def test_combine_is_root_sum_square_of_log_ratios():
    a = uncertainty.Source("a", "", 4.0, 5.0)
    b = uncertainty.Source("b", "", 5.0, 6.25)
    low, high, shares = uncertainty.combine(5.0, [a, b])
    assert low == pytest.approx(4.0) and high == pytest.approx(6.25) and shares == pytest.approx([0.5, 0.5])
    assert uncertainty.combine(5.0, []) == (5.0, 5.0, [])


def test_tornado_orders_assumptions_by_swing():
    # Peak ±20 %: 160 and 240 req/s → 4 and 6 servers (swing 2). Latency limit ±20 %: 240 ms fails concurrency 10
    # (250 ms) → concurrency 5, 200 ÷ 32 = 6.25; 360 ms keeps 10 → 5 (swing 1.25). Input length one step down
    # (200 tokens, twice as fast in this table) → 2.5 (swing 2.5). Next concurrency: 3.125 (swing 1.875).
    t = table(curve(), curve(isl=200, speed=2.0))
    result = size(t, QUERY, direct(200.0))
    swings = uncertainty.tornado(t, result)
    got = {(r.assumption, r.side): r.servers_exact for r in swings.itertuples()}
    assert got[("peak req/s", "lower")] == pytest.approx(4) and got[("peak req/s", "higher")] == pytest.approx(6)
    assert got[("latency limit", "lower")] == pytest.approx(6.25) and got[("latency limit", "higher")] == pytest.approx(5)
    assert got[("input length", "lower")] == pytest.approx(2.5) and ("input length", "higher") not in got
    order = list(dict.fromkeys(swings["assumption"]))
    assert order[:4] == ["input length", "peak req/s", "next concurrency in the data", "latency limit"]
    spec = charts.tornado(swings).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "bar"


def test_tornado_uses_the_traffic_ranges_when_given():
    result = size(table(curve()), QUERY, derive(TrafficInputs()), plan=Plan(minutes_per_call_range=(5, 20)))
    swings = uncertainty.tornado(table(curve()), result)
    minutes = swings[swings["assumption"] == "minutes per call"].set_index("side")["servers_exact"]
    # 10 min → 4.994 servers; 5 and 20 min halve and double the peak
    assert minutes["lower"] == pytest.approx(4.9943 / 2, rel=1e-4) and minutes["higher"] == pytest.approx(4.9943 * 2, rel=1e-4)
    assert set(swings["assumption"]) >= {"peak factor", "minutes per call", "LLM requests per RAG call", "latency limit"}


def test_ranges_off_for_bulk_what_ifs():
    best = size(table(curve()), QUERY, direct(200.0), plan=Plan(ranges=False)).best
    assert "servers_low" not in best and np.isfinite(best["p_wait"])
