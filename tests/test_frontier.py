"""Frontier search and sizing: the course's answers and others computed by hand from nim.csv rows."""

import math

import pandas as pd
import pytest

from core.errors import SizerError
from core.frontier import Limits, Query, search
from core.names import match_key
from core.sizing import size, size_points
from core.traffic import TrafficInputs, derive, direct


def _best(table, query, peak):
    result = size(table, query, direct(peak))
    return result.options.iloc[0], result


@pytest.mark.parametrize("ttft,concurrency,per_server,exact,whole", [
    (300, 10, 41.56, 4.81, 5),   # Notebook 2: "41.6 prompts/s per 8 GPUs → 4.8 DGX" at ~220 ms
    (500, 25, 70.75, 2.83, 3),   # Notebook 2: "70.7 → 2.8" at ~500 ms
])
def test_course_answer(nim_table, ttft, concurrency, per_server, exact, whole):
    query = Query("llama3-8b", 2000, 200, Limits(ttft_ms=ttft), gpus=("h100",))
    best, _ = _best(nim_table, query, 200)
    assert (best["gpu"], best["tp"], best["precision"]) == ("H100_80GB_HBM3", 1, "fp8")
    assert best["concurrency"] == concurrency and best["point"] == "measured"
    assert round(best["prompts_per_s_per_server"], 2) == per_server
    assert round(best["servers_exact"], 2) == exact and best["servers"] == whole


def test_course_answer_from_business_inputs(nim_table):
    traffic = derive(TrafficInputs())  # 199.77 req/s at peak
    result = size(nim_table, Query("meta-llama3-8b-instruct", 2000, 200, Limits(ttft_ms=300), gpus=("H100",)), traffic)
    assert round(result.best["servers_exact"], 2) == 4.81
    # 39 TP1 instances at 5.195 req/s each; packed 8 per server: 5 servers.
    assert (result.best["instances"], result.best["gpus"], result.best["servers_packed"]) == (39, 39, 5)


def test_70b_h100_by_hand(nim_table):
    # nim.csv, 70B, H100, 2000/200, TTFT avg ≤ 1000 ms. Meeting points with the most prompts/s per 8 GPUs:
    # TP4 fp8 c10 (869.9 ms, 2.161698 req/s → ×8/4 = 4.323395), TP8 fp8 c10 (645.0 ms, 2.757866),
    # TP8 fp16 c10 (836.5 ms, 2.378690), TP4 fp16 c5 (618 ms, mean of 2.041035 and 2.040621).
    query = Query("llama3-70b", 2000, 200, Limits(ttft_ms=1000), gpus=("h100",))
    result = size(nim_table, query, direct(10))
    got = {(r.tp, r.precision): round(r.prompts_per_s_per_server, 4) for r in result.options.itertuples()}
    assert got == {(4, "fp8"): 4.3234, (8, "fp8"): 2.7579, (8, "fp16"): 2.3787, (4, "fp16"): 2.0408}
    best = result.best
    # 10 / 4.323395 = 2.313; instances ceil(10 / 2.161698) = 5 of 4 GPUs = 20 GPUs, 2 per server → 3 servers.
    assert math.isclose(best["servers_exact"], 10 / 4.323395, rel_tol=1e-6)
    assert (best["servers"], best["instances"], best["gpus"], best["servers_packed"]) == (3, 5, 20, 3)


def test_a100_p95_by_hand(nim_table):
    # nim.csv, 8B, A100, 200/200, TTFT p95 ≤ 100 ms: TP1 fp16 c5 (p95 84.94 ms, 15.625 per 8 GPUs),
    # TP2 fp16 c10 (p95 94.00 ms, 5.433319 req/s → 21.733275 per 8 GPUs) is best.
    query = Query("llama3-8b", 200, 200, Limits(ttft_ms=100, stat="p95"), gpus=("a100",))
    best, _result = _best(nim_table, query, 50)
    assert (best["tp"], best["concurrency"]) == (2, 10)
    assert math.isclose(best["prompts_per_s_per_server"], 21.733275, rel_tol=1e-6)
    assert math.isclose(best["servers_exact"], 50 / 21.733275, rel_tol=1e-6)
    assert (best["instances"], best["gpus"], best["servers_packed"]) == (10, 20, 3)  # ceil(50/5.433319) = 10
    # At 110 ms the average admits TP2 c25 (108.3 ms avg, 46.328413 per 8 GPUs); its p95 (199.6 ms) does not.
    avg = size(nim_table, Query("llama3-8b", 200, 200, Limits(ttft_ms=110), gpus=("a100",)), direct(50)).best
    p95 = size(nim_table, Query("llama3-8b", 200, 200, Limits(ttft_ms=110, stat="p95"), gpus=("a100",)), direct(50)).best
    assert (avg["concurrency"], p95["concurrency"]) == (25, 10)
    assert math.isclose(avg["prompts_per_s_per_server"], 46.328413, rel_tol=1e-6)


def test_e2e_limit_and_interpolation_by_hand(nim_table):
    # nim.csv, 8B, A100 TP2 fp16, 200/200, e2e avg ≤ 2600 ms: c25 meets (2155.389072 ms, 11.582103 req/s),
    # c50 fails (2654.706207 ms, 18.797157 req/s).
    query = Query("llama3-8b", 200, 200, Limits(e2e_ms=2600), gpus=("a100",), tps=(2,))
    measured, _ = _best(nim_table, query, 100)
    assert measured["concurrency"] == 25 and math.isclose(measured["req_per_s"], 11.582103, rel_tol=1e-6)
    interpolated, _ = _best(nim_table, Query(**{**query.__dict__, "interpolate": True}), 100)
    f = (2600 - 2155.389072) / (2654.706207 - 2155.389072)
    assert interpolated["point"] == "interpolated"
    assert math.isclose(interpolated["concurrency"], 25 + f * 25, rel_tol=1e-6)
    assert math.isclose(interpolated["req_per_s"], 11.582103 + f * (18.797157 - 11.582103), rel_tol=1e-6)
    assert math.isclose(interpolated["e2e_ms_avg"], 2600, rel_tol=1e-9)


def test_interpolation_never_leaves_the_measured_range(nim_table):
    loose = Query("llama3-8b", 2000, 200, Limits(ttft_ms=1e9), interpolate=True)
    frontier = search(nim_table, loose)
    assert (frontier.points["point"] == "measured").all()  # every point meets: nothing to interpolate toward
    assert frontier.points["concurrency"].isin([1, 2, 5, 10, 25, 50, 100, 150, 200, 250]).all()
    tight = search(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), interpolate=True)).points
    inside = tight["concurrency"].between(1, 250) & tight["ttft_ms_avg"].le(300 + 1e-9)
    assert inside.all() and (tight["point"] == "interpolated").any()


def test_nothing_meets_names_the_nearest_miss(nim_table):
    query = Query("llama3-70b", 2000, 200, Limits(ttft_ms=50))
    result = size(nim_table, query, direct(10))
    assert result.options.empty
    miss = result.frontier.nearest_miss
    # Lowest 70B TTFT at 2000/200 in nim.csv: H100 TP8 fp8 at concurrency 1, 93.1 ms.
    assert (miss.gpu, miss.tp, miss.precision, miss.concurrency) == ("H100 SXM", 8, "fp8", 1)
    assert miss.gpu_in_data == "H100_80GB_HBM3"
    assert "93 ms" in miss.describe()


@pytest.mark.parametrize("limits,needle", [
    (Limits(), "at least one latency limit"),
    (Limits(ttft_ms=-5), "positive"),
    (Limits(ttft_ms=float("nan")), "positive"),
    (Limits(ttft_ms=100, stat="p42"), "statistic"),
])
def test_bad_limits(nim_table, limits, needle):
    with pytest.raises(SizerError, match=needle):
        search(nim_table, Query("llama3-8b", 2000, 200, limits))


def test_unknown_lengths_list_the_available_ones(nim_table):
    with pytest.raises(SizerError, match=r"no data at 1234 in / 200 out.*2000/200"):
        search(nim_table, Query("llama3-8b", 1234, 200, Limits(ttft_ms=300)))


def test_filters_that_leave_nothing(nim_table):
    with pytest.raises(SizerError, match="filters leave no"):
        search(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), tps=(3,)))


def test_tokens_per_user_limit_is_an_itl_limit(nim_table):
    a = search(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=1e6, min_tok_per_s_per_user=100)))
    b = search(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=1e6, itl_ms=10)))
    pd.testing.assert_frame_equal(a.points, b.points)
    assert (a.points["itl_ms_avg"] <= 10).all()


@pytest.mark.parametrize("query,expected", [
    ("llama3-8b", "meta-llama3-8b-instruct"),
    ("Meta Llama3 70B", "meta-llama3-70b-instruct"),
    ("META_LLAMA3.8B.INSTRUCT", "meta-llama3-8b-instruct"),
])
def test_name_matching(query, expected):
    names = {"meta-llama3-8b-instruct": "meta-llama3-8b-instruct", "meta-llama3-70b-instruct": "meta-llama3-70b-instruct"}
    assert match_key(query, names, "model") == expected


def test_name_matching_errors():
    with pytest.raises(SizerError, match="ambiguous.*A100.*H100"):
        match_key("100", {"A100-SXM4-80GB": "A100-SXM4-80GB", "H100_80GB_HBM3": "H100_80GB_HBM3"}, "GPU")
    with pytest.raises(SizerError, match="unknown GPU 'b200'; available: A100-SXM4-80GB, H100_80GB_HBM3"):
        match_key("b200", {"A100-SXM4-80GB": "A100-SXM4-80GB", "H100_80GB_HBM3": "H100_80GB_HBM3"}, "GPU")
    # two spellings of one GPU are one answer, not an ambiguity
    assert match_key("h100", {"H100_80GB_HBM3": "H100 SXM", "H100 SXM": "H100 SXM"}, "GPU") == "H100 SXM"


def test_packing_and_whole_servers_by_hand():
    # TP4 instances at 3 req/s, 8-GPU nodes: peak 20 → 7 instances, 28 GPUs, 2 per node → 4 servers;
    # prompts/s per server 6 → exact 3.33, whole 4. An exact 5.0 stays 5, not 6.
    points = pd.DataFrame({"gpu": ["G", "G"], "gpus_per_instance": [4, 1], "node_gpus": [8, 8],
                           "req_per_s": [3.0, 5.0], "prompts_per_s_per_server": [6.0, 40.0]})
    out = size_points(points, 20.0, {"G": 2.0}).set_index("gpus_per_instance")
    assert (out.loc[4, "instances"], out.loc[4, "gpus"], out.loc[4, "servers_packed"], out.loc[4, "servers"]) == (7, 28, 4, 4)
    assert out.loc[1, "servers"] == 1 and out.loc[1, "instances"] == 4
    assert out.loc[4, "usd_per_hour"] == 4 * 8 * 2.0
    assert size_points(points.assign(prompts_per_s_per_server=[4.0, 4.0]), 20.0)["servers"].tolist() == [5, 5]


def test_rank_by_cost_by_hand():
    # 8 GPUs at $2 (A) against 16 at $0.50 (B): A needs 1 server at $16/h, B 2 servers at $8/h.
    points = pd.DataFrame({"gpu": ["A", "B"], "gpus_per_instance": [1, 1], "node_gpus": [8, 8],
                           "req_per_s": [1.0, 0.5], "prompts_per_s_per_server": [8.0, 4.0]})
    by_servers = size_points(points, 8.0, {"A": 2.0, "B": 0.5})
    by_cost = size_points(points, 8.0, {"A": 2.0, "B": 0.5}, rank_by="cost")
    assert list(by_servers["gpu"]) == ["A", "B"] and list(by_cost["gpu"]) == ["B", "A"]
    assert list(by_cost["usd_per_hour"]) == [8.0, 16.0]
    with pytest.raises(SizerError, match="ranking"):
        size_points(points, 8.0, rank_by="speed")


def test_utilisation_headroom_by_hand(nim_table):
    # Course point: 41.56 prompts/s per 8 H100 at 80 % utilisation: 200 / (41.56 × 0.8) = 6.01 servers; instances
    # ceil(200 / (5.195 × 0.8)) = 49.
    query = Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), gpus=("h100",))
    best = size(nim_table, query, direct(200), utilisation=0.8).best
    assert round(best["servers_exact"], 2) == 6.01 and best["servers"] == 7 and best["instances"] == 49
    for bad in (0, -0.5, 1.2, float("nan")):
        with pytest.raises(SizerError, match="utilisation"):
            size(nim_table, query, direct(200), utilisation=bad)


# --- issue 7/8: never a wrong number in silence; names as the catalog spells them; plain-words notes ---------------

def _curve(ttft_avg, ttft_p95, gpu="G", tp=1, provenance="measured", conc=(1, 2, 4, 8), ttft_p50=None):
    """One curve by hand: e2e = 1000 ms + TTFT, req/s = concurrency ÷ e2e (Little's law holds exactly)."""
    rows = []
    for i, c in enumerate(conc):
        e2e = 1000.0 + ttft_avg[i]
        rows.append({"model": "m", "gpu": gpu, "tp": tp, "pp": 1, "gpus_per_instance": tp, "precision": "fp8",
                     "engine": "e", "isl": 100, "osl": 200, "load_mode": "concurrency", "concurrency": c,
                     "ttft_ms_avg": ttft_avg[i], "ttft_ms_p95": ttft_p95[i],
                     "ttft_ms_p50": None if ttft_p50 is None else ttft_p50[i], "itl_ms_avg": 5.0, "e2e_ms_avg": e2e,
                     "req_per_s": c / (e2e / 1000.0), "runs": 1, "source": f"{gpu}.csv", "provenance": provenance})
    return rows


def _table(*curves):
    from core.table import prepare

    return prepare(pd.DataFrame([row for curve in curves for row in curve]))


def test_interpolation_needs_the_limited_statistic_on_both_points():
    # Issue 8: the row after the last passing point has no p95; the search must not move towards it.
    # c4 meets (p95 290 ms ≤ 300): e2e 1250 ms → 3.2 req/s → × 8 = 25.6 prompts/s per server; 100 / 25.6 = 3.90625.
    # Moving to c8 (avg TTFT already 500 ms, p95 unknown) would give 42.67 per server and 2.34 servers.
    table = _table(_curve([100, 150, 250, 500], [150, 220, 290, None]))
    query = Query("m", 100, 200, Limits(ttft_ms=300, stat="p95"), interpolate=True)
    best = size(table, query, direct(100)).best
    assert (best["point"], best["concurrency"]) == ("measured", 4)
    assert math.isclose(best["servers_exact"], 3.90625, rel_tol=1e-12) and best["servers"] == 4


def test_interpolation_still_works_when_both_points_have_the_statistic():
    # c4 p95 290, c8 p95 390: the limit 300 is reached at 10 % of the way, concurrency 4.4.
    table = _table(_curve([100, 150, 250, 350], [150, 220, 290, 390]))
    best = size(table, Query("m", 100, 200, Limits(ttft_ms=300, stat="p95"), interpolate=True), direct(100)).best
    assert best["point"] == "interpolated" and math.isclose(best["concurrency"], 4.4, rel_tol=1e-12)


def test_a_statistic_missing_from_the_data_is_named_with_those_it_has(nim_table):
    # nim.csv has avg and p95 only.
    from core.inputs import InputError

    with pytest.raises(InputError, match=r"no p50 time to first token.*it has avg, p95") as caught:
        search(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300, stat="p50")))
    assert caught.value.fields == ("stat",)
    assert caught.value.message({"stat": "--stat"}).startswith("--stat p50")


def test_configurations_without_the_statistic_are_named_in_plain_words():
    table = _table(_curve([100, 150, 250, 350], [150, 220, 290, 390], gpu="A"),
                   _curve([100, 150, 250, 350], [None] * 4, gpu="B"))
    found = search(table, Query("m", 100, 200, Limits(ttft_ms=300, stat="p95")))
    assert list(found.points["gpu"]) == ["A"]
    assert found.notes == ["B TP1 fp8: the data has no p95 time to first token (it has avg), so it cannot be "
                           "checked against the limit and is left out"]


def test_a_positive_traffic_never_needs_fewer_than_one_server():
    # Issue 8: a row with req/s 1e308 gave "0 servers (0.00 exactly)"; --peak-rps 1e-12 gave 0 servers.
    points = pd.DataFrame({"gpu": ["G"], "gpus_per_instance": [2], "node_gpus": [8], "req_per_s": [1e308],
                           "prompts_per_s_per_server": [4e308 / 1e1]})
    out = size_points(points, 200.0)
    assert (out.loc[0, "servers"], out.loc[0, "instances"], out.loc[0, "gpus"], out.loc[0, "servers_packed"]) == (1, 1, 2, 1)
    tiny = size_points(points.assign(req_per_s=5.0, prompts_per_s_per_server=20.0), 1e-12)
    assert (tiny.loc[0, "servers"], tiny.loc[0, "instances"]) == (1, 1)
    assert tiny.loc[0, "servers_exact"] == 1e-12 / 20.0  # the exact figure stays exact


@pytest.mark.parametrize("peak,utilisation,field", [
    (1e308, 1.0, "peak_req_per_s"),   # issue 8: −9,223,372,036,854,775,808 servers and a negative cost
    (200.0, 1e-300, "utilisation"),   # issue 8: the same through --utilisation
])
def test_counts_that_cannot_be_represented_are_out_of_range(peak, utilisation, field):
    from core.inputs import InputError

    points = pd.DataFrame({"gpu": ["G"], "gpus_per_instance": [1], "node_gpus": [8], "req_per_s": [5.0],
                           "prompts_per_s_per_server": [40.0]})
    with pytest.raises(InputError, match="out of range") as caught:
        size_points(points, peak, {"G": 2.0}, utilisation=utilisation)
    assert field in caught.value.fields


def test_servers_from_absurd_data_are_an_error_not_a_number():
    points = pd.DataFrame({"gpu": ["G"], "tp": [1], "precision": ["fp8"], "gpus_per_instance": [1], "node_gpus": [8],
                           "req_per_s": [1e-300], "prompts_per_s_per_server": [8e-300], "source": ["x.csv"]})
    with pytest.raises(SizerError, match=r"G TP1 fp8 \(x.csv\): its throughput, 8e-300 prompts/s per server, is out of range"):
        size_points(points, 200.0)


@pytest.mark.parametrize("isl,osl", [(1e20, 200), (2000, 0), (2000.5, 200), (-1, 200)])
def test_lengths_out_of_range_are_errors(nim_table, isl, osl):
    from core.inputs import InputError

    with pytest.raises(InputError, match="whole number of tokens"):
        search(nim_table, Query("llama3-8b", isl, osl, Limits(ttft_ms=300)))


def test_modeled_grid_points_are_not_called_measured():
    # Issue 7: the CSV export said point=measured on modeled rows.
    table = _table(_curve([100, 150, 250, 350], [150, 220, 290, 390], gpu="A", provenance="modeled"),
                   _curve([100, 150, 250, 350], [150, 220, 290, 390], gpu="B"))
    points = search(table, Query("m", 100, 200, Limits(ttft_ms=300))).points.set_index("gpu")
    assert (points.loc["A", "point"], points.loc["B", "point"]) == ("modeled", "measured")


def test_results_carry_the_catalogs_names_and_the_datas(nim_table):
    # Issue 7: the GPU filter said "H100 SXM", the result "H100_80GB_HBM3".
    result = size(nim_table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), gpus=("h100",)), direct(200))
    assert (result.best["gpu_key"], result.best["gpu"]) == ("H100 SXM", "H100_80GB_HBM3")
    assert (result.frontier.model, result.frontier.model_in_data) == ("Llama 3 8B", "meta-llama3-8b-instruct")
    miss = size(nim_table, Query("llama3-70b", 2000, 200, Limits(ttft_ms=50)), direct(10)).frontier.nearest_miss
    assert (miss.gpu, miss.gpu_in_data) == ("H100 SXM", "H100_80GB_HBM3")
    assert miss.describe().startswith("nearest miss: H100 SXM TP8 fp8 at concurrency 1")
