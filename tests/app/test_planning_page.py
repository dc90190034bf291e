"""Issue 10 in the app: the latency and traffic sliders move the answer; the burst step, the open-loop check, spares,
growth and the inverse question show the engine's figures (checked here against hand-computed values); slider
values travel in links; a link's unusable value is said in a toast, never a traceback."""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from core import cost, planning
from core.frontier import Limits, Query
from core.sizing import size
from core.table import DEFAULT_BENCHMARK_DIR, load_paths
from core.traffic import TrafficInputs, derive
from tests.app.conftest import metric, no_errors, opened, plain, start, texts

COURSE_PEAK = derive(TrafficInputs()).peak_req_per_s  # 30 M calls × 10 min × 1 × 3 ÷ 31,536,000 s × 7 = 199.77 req/s



def _erlang_c(servers: int, offered: float) -> float:
    """Erlang C by the textbook recursion on Erlang B (B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1));
    C = c·B / (c - a·(1 - B))), written out here independently of core.planning's scipy version."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return servers * b / (servers - offered * (1 - b))


def _frame(at: AppTest, column: str):
    """The table on the page that has this column (AppTest finds tables by position only)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _pct(text: str) -> float:
    return float(text.replace("%", "").replace(",", "").strip()) / 100


def _engine(ttft_ms: float = 300.0, **plan) -> object:
    table = load_paths([DEFAULT_BENCHMARK_DIR]).table
    return size(table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=ttft_ms)), derive(TrafficInputs()),
                cost.usd_per_gpu_hour(cost.load_prices()), plan=planning.Plan(**plan))


def test_the_limit_slider_moves_the_answer_count(default_data):
    """The design card's 'DGX counts under TTFT constraints with sliders': a tighter TTFT step needs more servers,
    the count the engine gives at that limit, and the range line follows it."""
    at = start()
    assert at.select_slider(key="ttft").options[0] == "off"  # off first, then sensible steps
    before = int(metric(at, "Servers (whole)"))
    at.select_slider(key="ttft").set_value(50.0).run()
    no_errors(at)
    after = int(metric(at, "Servers (whole)"))
    expected = _engine(ttft_ms=50.0).best
    assert after == int(expected["servers"]) and after > before
    assert metric(at, "Servers (exact)") == f"{expected['servers_exact']:.2f}"
    line = next(plain(m.value).lstrip("*") for m in at.markdown if "likely" in m.value)
    assert line.startswith(f"{after} server") and f"likely {planning.likely(expected).split(' ', 1)[1]}" in line
    at.select_slider(key="ttft").set_value(300.0).run()
    assert int(metric(at, "Servers (whole)")) == before


def test_traffic_sliders_show_thousands_and_move_the_answer(default_data):
    at = start()
    calls = at.slider(key="calls")
    assert calls.value == 30_000_000.0 and calls.proto.format == "localized"  # 30,000,000 as people read it
    before = float(metric(at, "Servers (exact)"))
    at.slider(key="calls").set_value(60_000_000.0).run()
    # twice the calls, twice the peak: exact servers are linear in the rate at 100 % (the course's division)
    assert float(metric(at, "Servers (exact)")) == pytest.approx(2 * before, abs=0.011)
    at.switch_page("pages/traffic.py").run()
    assert at.number_input(key="calls").value == 60_000_000.0  # the exact box on the Traffic page, same value
    assert "60,000,000 calls a year" in texts(at)


def test_burst_step_in_the_traffic_derivation(default_data):
    """200 req/s at peak, 99 % of 1-second windows: the Poisson 99th percentile of 200 is 234 (normal approximation
    200 + 2.326·√200 + 0.5 = 233.4, rounded up); over 10-second windows, 2,105 of λ = 2,000 → 210.5 req/s."""
    at = opened({"peak_direct": "true", "peak_rps": "200", "burst": "99"}, "pages/traffic.py")
    no_errors(at)
    assert not at.toast, [t.value for t in at.toast]
    assert metric(at, "Sized for") == "234.0 req/s"
    said = texts(at)
    assert "234" in said and "17.0 %" in said  # the allowance: 234 ÷ 200 - 1
    at.select_slider(key="burst_window").set_value(10.0).run()
    assert metric(at, "Sized for") == "210.5 req/s"
    at.select_slider(key="burst").set_value(0.0).run()
    assert metric(at, "Sized for") == "200.0 req/s" and "No burst allowance" in texts(at)


def test_open_loop_check_and_p_wait_target(default_data):
    """The Answer page's utilisation and P(wait) are Erlang C on its own instances, and a P(wait) target asks for the
    fewest instances that meet it (both checked by the recursion above)."""
    at = start()
    best = _engine().best
    instances, per_instance = int(metric(at, "Instances")), float(best["req_per_s"])
    offered = COURSE_PEAK / per_instance  # Erlangs: the peak ÷ one instance's benchmarked rate
    assert instances == int(best["instances"])
    assert _pct(metric(at, "Instances busy")) == pytest.approx(offered / instances, abs=0.005)
    assert _pct(metric(at, "P(wait)")) == pytest.approx(_erlang_c(instances, offered), abs=0.0005)
    at.select_slider(key="p_wait").set_value(5.0).run()
    no_errors(at)
    assert at.slider(key="utilisation").disabled  # the queue chooses the headroom instead
    # every configuration is sized again for the target; the count is the fewest whole instances of the best one
    target = _engine(p_wait=0.05).best
    offered = COURSE_PEAK / float(target["req_per_s"])
    fewest = next(c for c in range(math.floor(offered) + 1, 10_000) if _erlang_c(c, offered) <= 0.05)
    assert int(metric(at, "Instances")) == fewest == int(target["instances"])
    assert _pct(metric(at, "P(wait)")) <= 0.05 < _erlang_c(fewest - 1, offered)
    assert "P(wait) ≤ 5 %" in texts(at)


def test_spares_and_growth(default_data):
    """2 spares: shown apart, sized + 2. 25 % a year for 3 years: each year's peak is 199.77 × 1.25^year (199.8,
    249.7, 312.1, 390.2) and, at 100 % of the benchmarked rate, its exact servers today's × 1.25^year."""
    at = start()
    at.number_input(key="spares").set_value(2).run()
    at.slider(key="growth").set_value(25).run()
    no_errors(at)
    whole = int(metric(at, "Servers (whole)"))
    assert metric(at, "Servers with spares") == str(whole + 2)
    said = texts(at).replace("**", "")
    assert f"{whole} server" in said and f"= {whole + 2} servers to buy" in said
    years = _frame(at, "servers_with_spares")
    assert list(years["year"]) == [0, 1, 2, 3] and "design_rps" not in years  # no burst: "sized for" is the peak
    assert [round(v, 1) for v in years["peak_rps"]] == [199.8, 249.7, 312.1, 390.2]
    today = float(years["servers_exact"].iloc[0])
    assert list(years["servers_exact"]) == pytest.approx([today * 1.25 ** y for y in range(4)], rel=1e-9)
    assert list(years["servers"]) == [math.ceil(v - 1e-9) for v in years["servers_exact"]]
    assert list(years["servers_with_spares"]) == [s + 2 for s in years["servers"]]
    engine = _engine(spares=2, growth_per_year=0.25, years=3).by_year
    assert list(engine[engine["option"] == 0]["servers"]) == list(years["servers"])


def test_range_and_tornado_on_the_answer(default_data):
    at = start()
    best = _engine().best
    assert f"likely {int(best['servers_low'])}–{int(best['servers_high'])}" in texts(at)
    spread = _frame(at, "source")
    assert set(spread["source"]) == {s["source"] for s in best["spread"]}
    assert spread["share"].sum() == pytest.approx(100, abs=0.5)
    assert "Which assumption moves the count most" in texts(at) and "the assumption to check first" in texts(at)


def test_capacity_section_reads_the_sizing_backwards(default_data):
    """4 servers of the best configuration (B200 TP1 FP4 in the default data: 8 instances a server at its
    benchmarked req/s) carry 4 × its prompts/s per server; ÷ peak factor 7 × 31,536,000 s ÷ 30 requests a call is
    the calls a year."""
    at = start("pages/sizing.py")
    no_errors(at)
    options = _frame(at, "prompts_per_s_per_server")
    cap = _frame(at, "calls_per_year")
    first = cap.iloc[0]
    row = options[(options["gpu"] == first["gpu"]) & (options["tp"] == first["tp"])
                  & (options["precision"] == first["precision"])].iloc[0]
    assert first["servers"] == 4 and first["peak_rps"] == pytest.approx(4 * row["prompts_per_s_per_server"], rel=1e-6)
    assert first["calls_per_year"] == pytest.approx(first["peak_rps"] / 7 * 31_536_000 / 30, rel=1e-9)
    at.number_input(key="have_servers").set_value(int(row["servers"])).run()
    carried = _frame(at, "calls_per_year").iloc[0]["peak_rps"]
    assert carried >= COURSE_PEAK  # the servers sized for the peak carry at least the peak
    at.segmented_control(key="have").set_value("budget").run()
    at.number_input(key="have_usd").set_value(43_800.0).run()  # two 8-GPU servers at the catalog's B200 price
    no_errors(at)
    budget = _frame(at, "calls_per_year")
    assert (budget["usd_per_month"] <= 43_800.0 + 1e-6).all() and (budget["servers"] >= 0).all()


def test_slider_values_round_trip_through_a_link(default_data):
    """A link carrying every new slider seeds each one silently, and each slider shows the link's text again."""
    params = {"ttft": "500", "itl": "50", "calls": "60000000", "minutes": "7.5", "burst": "99.9",
              "burst_window": "10", "p_wait": "2", "pf_spread": "20", "min_spread": "10", "spares": "1",
              "growth": "25", "years": "5"}
    at = opened(params)
    no_errors(at)
    assert not at.toast, [t.value for t in at.toast]
    shown = {key: at.select_slider(key=key).format_func(at.select_slider(key=key).value)
             for key in ("ttft", "itl", "burst", "burst_window", "p_wait", "pf_spread", "min_spread")}
    assert shown == {k: params[k] for k in shown}
    assert at.slider(key="calls").value == 60_000_000 and at.slider(key="minutes").value == 7.5
    assert at.number_input(key="spares").value == 1 and at.slider(key="growth").value == 25
    assert at.slider(key="years").value == 5
    said = texts(at)
    assert "99.9 % burst over 10 seconds" in said and "P(wait) ≤ 2 %" in said and "1 spare server" in said


def test_a_link_value_between_steps_snaps_and_says_so(default_data):
    """An old link's ttft=320 (from the number-box days) is read as the nearest step, 300, and said."""
    at = opened({"ttft": "320", "burst_window": "7", "burst": "42"})
    no_errors(at)
    assert at.select_slider(key="ttft").value == 300.0 and at.select_slider(key="burst_window").value == 10.0
    assert at.select_slider(key="burst").value == 95.0
    toasts = [plain(t.value) for t in at.toast]
    assert any("ttft=320 lies between the steps" in t and "nearest, 300" in t for t in toasts), toasts
    assert any("burst_window=7" in t and "nearest, 10" in t for t in toasts), toasts
    assert any("burst=42 is outside the range (95 to 99.9)" in t and "nearest, 95" in t for t in toasts), toasts
    at.run()  # said once
    assert not at.toast
