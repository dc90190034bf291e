"""Bursts, Erlang C, headroom by P(wait), spares, growth and the inverse question, against values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import SizerError
from core.frontier import Limits, Query
from core.planning import (
    Burst,
    Plan,
    burst_rate,
    calls_per_year,
    capacity,
    erlang_c,
    instances_for_p_wait,
    load_for_p_wait,
    peak_for_rate,
)
from core.sizing import size
from core.traffic import TrafficInputs, derive, direct
from tests.planning_fixtures import curve, table

QUERY = Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300))
TABLE = table(curve())  # TTFT ≤ 300 ms picks concurrency 10: 5 req/s per instance, 40 prompts/s per server


# --- the Poisson step -------------------------------------------------------------------------------------------
# Poisson(2) by hand: P(0..6) = e^-2 × (1, 2, 2, 4/3, 2/3, 4/15, 4/45) = .1353 .2707 .2707 .1804 .0902 .0361 .0120;
# cumulative .1353 .4060 .6767 .8571 .9473 .9834 .9955 → the 95th percentile is 5 arrivals, the 99th is 6.
@pytest.mark.parametrize("peak,burst,expected", [
    (2.0, Burst(95, 1), 5.0),    # 2 req/s in 1 s: 95 % of seconds see at most 5
    (2.0, Burst(99, 1), 6.0),
    (0.2, Burst(95, 10), 0.5),   # 0.2 req/s over 10 s is again a mean of 2: 5 arrivals ÷ 10 s
])
def test_burst_rate_small_means_by_hand(peak, burst, expected):
    assert burst_rate(peak, burst) == pytest.approx(expected)


def test_burst_rate_large_mean_near_normal_approximation():
    # 200 req/s in 1 s: mean 200, sd √200 = 14.14; normal 99th percentile 200 + 2.326 × 14.14 = 232.9 (the exact
    # Poisson quantile is within a count or two of it)
    assert abs(burst_rate(200.0, Burst(99, 1)) - 232.9) < 2
    assert burst_rate(200.0, None) == 200.0


def test_peak_for_rate_inverts_the_burst_step_by_tables():
    # Carrying 5 req/s in 1 s windows at the 95th percentile: the largest mean with P(X ≤ 5) ≥ 0.95 is the lower
    # 95 % Poisson limit for 6 counts, χ²(0.05; 12) ÷ 2 = 5.226 ÷ 2 = 2.613 (χ² tables)
    assert peak_for_rate(np.array([5.0]), Burst(95, 1))[0] == pytest.approx(2.613, abs=1e-3)
    assert peak_for_rate(np.array([7.5]), None)[0] == 7.5


@given(st.floats(0.01, 5000), st.sampled_from([Burst(95, 1), Burst(99, 10), Burst(99.9, 60), Burst(50, 1)]))
def test_burst_is_never_below_the_peak_and_its_inverse_is_consistent(peak, burst):
    rate = float(burst_rate(peak, burst))
    assert rate >= peak
    back = float(peak_for_rate(np.array([rate]), burst)[0])
    assert back >= peak * (1 - 1e-9)                  # the peak sized for is carried
    assert float(burst_rate(back, burst)) <= rate * (1 + 1e-9)  # and what is claimed fits the rate


def test_burst_rejects_nonsense():
    with pytest.raises(SizerError, match="percentile"):
        Burst(100, 1)
    with pytest.raises(SizerError, match="window"):
        Burst(99, 0)


# --- Erlang C ---------------------------------------------------------------------------------------------------
# Textbook formula: C(c, a) = [a^c/c! · c/(c−a)] ÷ [Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)].
#   c=1: C = a (M/M/1 waits with probability ρ)             c=2, a=1: (½·2) ÷ (1 + 1 + 1) = 1/3
#   c=3, a=2: (8/6·3) ÷ (1 + 2 + 2 + 4) = 4/9                c=2, a=1.6: (1.28·5) ÷ (2.6 + 6.4) = 0.7111
#   c=5, a=3: (2.025·2.5) ÷ (1 + 3 + 4.5 + 4.5 + 3.375 + 5.0625) = 5.0625 ÷ 21.4375 = 0.23615
#   c=4, a=3: (3.375·4) ÷ (13 + 13.5) = 0.50943
@pytest.mark.parametrize("c,a,expected", [(1, 0.5, 0.5), (2, 1, 1 / 3), (3, 2, 4 / 9), (2, 1.6, 6.4 / 9),
                                          (5, 3, 5.0625 / 21.4375), (4, 3, 13.5 / 26.5)])
def test_erlang_c_by_hand(c, a, expected):
    assert float(erlang_c(c, a)) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_saturated_and_idle():
    assert float(erlang_c(4, 4.0)) == 1.0 and float(erlang_c(4, 9.0)) == 1.0 and float(erlang_c(3, 0.0)) == 0.0


def test_instances_for_p_wait_by_hand():
    # a = 3: four servers wait 50.9 % of the time, five 23.6 % (above): P(wait) ≤ 25 % needs five
    assert instances_for_p_wait(3.0, 0.25)[0] == 5
    assert instances_for_p_wait(3.0, 0.6)[0] == 4


@given(st.floats(0.0, 3000), st.floats(0.001, 0.9))
def test_instances_for_p_wait_is_the_fewest(a, x):
    c = int(instances_for_p_wait(a, x)[0])
    assert float(erlang_c(c, a)) <= x
    assert c == 1 or float(erlang_c(c - 1, a)) > x
    assert float(erlang_c(c, load_for_p_wait(c, x)[0])) <= x  # the inverse stays within the target


# --- headroom, open-loop check, spares and growth on a sized answer --------------------------------------------
def test_course_formula_with_open_loop_check():
    # 8 req/s ÷ 5 req/s per instance = 1.6 erlangs on 2 instances: utilisation 0.8, P(wait) 0.7111 (above)
    best = size(TABLE, QUERY, direct(8.0)).best
    assert best["servers_exact"] == pytest.approx(0.2) and best["instances"] == 2
    assert best["utilisation"] == pytest.approx(0.8) and best["p_wait"] == pytest.approx(6.4 / 9)


def test_p_wait_headroom_by_hand():
    # 15 req/s ÷ 5 = 3 erlangs; P(wait) ≤ 25 % needs 5 instances (above) = 5 GPUs = 0.625 servers, 60 % busy
    result = size(TABLE, QUERY, direct(15.0), plan=Plan(p_wait=0.25))
    best = result.best
    assert best["instances"] == 5 and best["servers_exact"] == pytest.approx(0.625) and best["servers"] == 1
    assert best["utilisation"] == pytest.approx(0.6) and best["p_wait"] == pytest.approx(5.0625 / 21.4375)
    assert best["req_per_s"] == 5 and best["prompts_per_s_per_server"] == 40  # the benchmark's figures, unchanged


def test_burst_step_is_the_rate_sized_for():
    # peak 2 req/s, 95th percentile over 1 s: size for 5 req/s (above) → 5 ÷ 40 = 0.125 servers
    result = size(TABLE, QUERY, direct(2.0), plan=Plan(burst=Burst(95, 1)))
    assert result.design.design_req_per_s == 5.0 and result.best["servers_exact"] == pytest.approx(0.125)
    assert "95 % of windows hold at most 5" in result.design.steps()[0]


def test_spares_shown_apart_and_growth_by_year():
    # 200 req/s ÷ 40 = 5 servers; +25 %/yr: 250 → 6.25 → 7, 312.5 → 7.8125 → 8; one spare on top
    result = size(TABLE, QUERY, direct(200.0), plan=Plan(spares=1, growth_per_year=0.25, years=2))
    best = result.best
    assert best["servers"] == 5 and best["servers_with_spares"] == 6
    years = result.by_year[result.by_year["option"] == 0]
    assert years["peak_rps"].tolist() == pytest.approx([200, 250, 312.5])
    assert years["servers_exact"].tolist() == pytest.approx([5, 6.25, 7.8125])
    assert years["servers"].tolist() == [5, 7, 8] and years["servers_with_spares"].tolist() == [6, 8, 9]


@pytest.mark.parametrize("plan,utilisation,needle", [
    (dict(p_wait=5), 1.0, "P\\(wait\\) is a probability"),
    (dict(spares=-1), 1.0, "spares"),
    (dict(growth_per_year=0.25), 1.0, "together"),
    (dict(growth_per_year=25, years=3), 1.0, "fraction"),
    (dict(peak_factor_range=(9, 5)), 1.0, "LOW ≤ HIGH"),
    (dict(p_wait=0.05), 0.8, "not both"),
])
def test_bad_plans_are_clear_errors(plan, utilisation, needle):
    with pytest.raises(SizerError, match=needle):
        size(TABLE, QUERY, derive(TrafficInputs()), utilisation=utilisation, plan=Plan(**plan))


def test_counts_too_large_to_hold_exactly_are_clear_errors_not_hangs_or_wrapped_numbers():
    """A P(wait) bisection over 1e17 instances never ended (its midpoint stopped moving past 2^53); growth compounding
    for decades cast to int64 showed -9.2e18 servers; a budget of 1e30 USD overflowed the same way."""
    with pytest.raises(SizerError, match="more than can be counted exactly"):
        instances_for_p_wait(1e17, 0.05)
    with pytest.raises(SizerError, match="year .*more than can be counted exactly"):
        size(TABLE, QUERY, direct(1e9), plan=Plan(growth_per_year=10, years=30))
    with pytest.raises(SizerError, match="budget buys .*more than can be counted exactly"):
        capacity(TABLE, QUERY, usd_per_month=1e30, usd_per_gpu_hour={"H100 SXM": 4.25})


def test_traffic_ranges_need_the_call_centre_assumptions():
    with pytest.raises(SizerError, match="call-centre assumptions"):
        size(TABLE, QUERY, direct(200.0), plan=Plan(peak_factor_range=(5, 9)))


# --- the inverse question ---------------------------------------------------------------------------------------
def test_capacity_of_servers_by_hand():
    # 5 servers × 8 instances × 5 req/s = 200 req/s; the course's traffic backwards: 200 ÷ 7 × 31,536,000 s ÷ 30
    # requests per call = 30,034,286 calls a year
    result = capacity(TABLE, QUERY, servers=5, inputs=TrafficInputs())
    row = result.options.iloc[0]
    assert row["instances"] == 40 and row["peak_rps"] == pytest.approx(200)
    assert row["calls_per_year"] == pytest.approx(200 / 7 * 31_536_000 / 30)


def test_capacity_of_a_budget_by_hand():
    # USD 50,000 a month at USD 4.25 per H100-hour: one 8-GPU server costs 8 × 4.25 × 730 = 24,820 → 2 servers
    result = capacity(TABLE, QUERY, usd_per_month=50_000, usd_per_gpu_hour={"H100 SXM": 4.25})
    row = result.options.iloc[0]
    assert row["servers"] == 2 and row["usd_per_month"] == pytest.approx(49_640) and row["peak_rps"] == 80


def test_capacity_spares_and_p_wait():
    # 1 server of 8 instances, one more kept spare: 8 instances; P(wait) ≤ 25 % on 8 instances carries less than 8 × 5
    plain = capacity(TABLE, QUERY, servers=2, plan=Plan(spares=1)).options.iloc[0]
    assert plain["usable_servers"] == 1 and plain["peak_rps"] == 40
    waited = capacity(TABLE, QUERY, servers=2, plan=Plan(spares=1, p_wait=0.25)).options.iloc[0]
    assert float(erlang_c(8, waited["peak_rps"] / 5)) == pytest.approx(0.25, abs=1e-9)


@pytest.mark.parametrize("kwargs,needle", [(dict(), "either"), (dict(servers=2, usd_per_month=1e4), "either"),
                                           (dict(servers=0), "at least 1"), (dict(usd_per_month=-5), "positive")])
def test_capacity_bad_input(kwargs, needle):
    with pytest.raises(SizerError, match=needle):
        capacity(TABLE, QUERY, **kwargs)


@given(peak=st.floats(0.5, 3000), headroom=st.one_of(st.tuples(st.floats(0.5, 1.0), st.none()),
                                                      st.tuples(st.just(1.0), st.floats(0.01, 0.5))),
       burst=st.sampled_from([None, Burst(95, 1), Burst(99, 10), Burst(99.9, 60)]), spares=st.integers(0, 2))
def test_inverse_of_size_returns_the_traffic_it_was_sized_for(peak, headroom, burst, spares):
    utilisation, p_wait = headroom
    plan = Plan(burst=burst, p_wait=p_wait, spares=spares, ranges=False)
    inputs = TrafficInputs(peak_factor=7)
    traffic = derive(TrafficInputs(calls_per_year=peak / 7 * 31_536_000 / 30, peak_factor=7))
    assume(math.isclose(traffic.peak_req_per_s, peak, rel_tol=1e-9))
    best = size(TABLE, QUERY, traffic, utilisation=utilisation, plan=plan).best
    owned = int(best["servers_packed"]) + spares
    back = capacity(TABLE, QUERY, servers=owned, utilisation=utilisation, plan=plan, inputs=inputs).options.iloc[0]
    assert back["peak_rps"] >= peak * (1 - 1e-9)
    assert back["calls_per_year"] >= traffic.inputs.calls_per_year * (1 - 1e-9)
    if owned - 1 >= 1:
        fewer = capacity(TABLE, QUERY, servers=owned - 1, utilisation=utilisation, plan=plan, inputs=inputs)
        assert fewer.options.iloc[0]["peak_rps"] < peak


def test_calls_per_year_reads_derive_backwards():
    traffic = derive(TrafficInputs())
    assert calls_per_year(traffic.peak_req_per_s, TrafficInputs()) == pytest.approx(30_000_000)
