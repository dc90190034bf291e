"""Cost on-prem, in the cloud and by API, by hand: issue 11's acceptance figures, overrides, validation, break-even."""

import math

import pandas as pd
import pytest

from core import catalog, charts, cost
from core.errors import SizerError
from core.frontier import Limits, Query
from core.sizing import size
from core.table import prepare
from core.traffic import TrafficInputs, derive

# Issue 11's override file, verbatim: it must work exactly.
ISSUE_11 = """\
[site]
depreciation_years = 4
hosting_usd_per_server_year = 3000
licence_usd_per_gpu_year = 4500
cost_of_capital = 0.0
electricity_usd_per_kwh = 0.10
pue = 1.3
[api]
usd_per_m_input = 1.0
usd_per_m_output = 3.0
[gpu."H100 SXM"]
server_usd = 320000
server_kw = 10.2
cloud_usd_per_gpu_hour = 3.0
"""
# The course scenario: 30 M calls a year × 30 LLM requests per call = 900 M prompts, 2000 in / 200 out tokens.
COURSE = derive(TrafficInputs())
DEMAND = cost.Demand.from_traffic(COURSE, "llama3-8b", 2000, 200)


def write(tmp_path, text, name="prices.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def issue_prices(tmp_path):
    return cost.load_prices([write(tmp_path, ISSUE_11)])


def course_fleet(prices, **settings):
    """5 whole H100 servers (the course's answer at TTFT 300 ms), 39 GPUs in use."""
    quote = cost.server_quote(prices, "H100_80GB_HBM3")
    return cost.fleet_cost(quote, 5, 8, cost.CostSettings(prices, **settings), DEMAND, gpus_in_use=39)


def test_course_traffic_is_900_m_prompts():
    assert DEMAND.prompts_per_year == 900e6 and DEMAND.calls_per_year == 30e6


def test_issue_override_file_loads_with_its_own_source(issue_prices, tmp_path):
    assert issue_prices.site["depreciation_years"].value == 4
    assert issue_prices.gpus["H100 SXM"]["server_usd"].value == 320000
    assert issue_prices.gpus["H100 SXM"]["server_usd"].source == f"your prices file {tmp_path / 'prices.toml'}"
    assert issue_prices.api["usd_per_m_output"].value == 3.0
    # Untouched figures keep the shipped source: H100 rack units still come from data/prices.toml.
    assert "DGX H100" in issue_prices.gpus["H100 SXM"]["rack_units"].source


def test_onprem_595000_a_year_and_0661_per_1k_prompts(issue_prices):
    fc = course_fleet(issue_prices)
    # 5 × (320,000 ÷ 4 + 3,000 + 8 × 4,500) = 5 × 119,000 = 595,000 (issue 11)
    assert fc.onprem_usd_per_year == pytest.approx(595_000, abs=1e-6)
    assert fc.onprem_parts == {"depreciation": 400_000, "capital": 0, "hosting": 15_000, "power": 0, "licence": 180_000}
    unit = cost.unit_costs(fc.onprem_usd_per_year, DEMAND)
    assert round(unit.usd_per_1k_prompts, 3) == 0.661            # 595,000 ÷ 900 M × 1,000 = 0.6611
    assert unit.usd_per_call == pytest.approx(595_000 / 30e6)     # 0.01983 per call
    assert unit.usd_per_month == pytest.approx(595_000 / 12)      # 49,583.33
    assert unit.usd_per_m_tokens == pytest.approx(595_000 / (900e6 * 2200) * 1e6)   # 0.3005 per 1M tokens
    assert unit.usd_per_m_input_tokens == pytest.approx(595_000 / (900e6 * 2000) * 1e6)  # 0.3306
    assert unit.usd_per_m_output_tokens == pytest.approx(595_000 / (900e6 * 200) * 1e6)  # 3.306


def test_api_260_per_1k_prompts_and_2340000_a_year(issue_prices):
    fc = course_fleet(issue_prices)
    # (2000 × $1 + 200 × $3) ÷ 1M = $0.0026 a prompt → $2.60 per 1k, × 900 M = $2,340,000 (issue 11)
    assert fc.api_usd_per_year == pytest.approx(2_340_000)
    assert cost.unit_costs(fc.api_usd_per_year, DEMAND).usd_per_1k_prompts == pytest.approx(2.60)
    assert fc.api_offering == "your own per-token prices"


def test_cloud_1051200_a_year_renting_whole_servers(issue_prices):
    # 5 × 8 = 40 GPUs × 8,760 h × $3 = $1,051,200 (issue 11)
    assert course_fleet(issue_prices).cloud_usd_per_year == pytest.approx(1_051_200)
    # Renting only the 39 GPUs the instances use: 39 × 8,760 × 3 = 1,024,920
    assert course_fleet(issue_prices, rent="gpus").cloud_usd_per_year == pytest.approx(1_024_920)


def test_cloud_hours_actually_needed(issue_prices):
    # Peak fleet 5 servers for 8 h a day, the average fleet (28.5 req/s ÷ 41.6 per server → 1 server) the other 16 h:
    # 365 × (8 × 40 + 16 × 8) GPU-hours × $3 = 365 × 448 × 3 = 490,560
    quote = cost.server_quote(issue_prices, "H100 SXM")
    settings = cost.CostSettings(issue_prices, peak_hours_per_day=8)
    fc = cost.fleet_cost(quote, 5, 8, settings, DEMAND, 39, off_peak=(1, 6))
    assert fc.cloud_gpu_hours_per_year == 365 * 448 and fc.cloud_usd_per_year == pytest.approx(490_560)
    no_average = cost.fleet_cost(quote, 5, 8, settings, DEMAND, 39, off_peak=None)
    assert no_average.cloud_usd_per_year is None and any("average traffic" in m for m in no_average.missing)


def test_power_58079_a_year_only_in_onprem_when_asked(issue_prices):
    # 5 × 10.2 kW × PUE 1.3 × 8,760 h × $0.10 = $58,078.8 (issue 11), at full load
    fc = course_fleet(issue_prices)
    assert round(fc.power_usd_per_year) == 58_079 and fc.kw == pytest.approx(51.0)
    assert fc.onprem_usd_per_year == pytest.approx(595_000, abs=1e-6)
    with_power = course_fleet(issue_prices, include_power=True)
    assert with_power.onprem_usd_per_year == pytest.approx(595_000 + 58_078.8)


def test_capital_charge_is_an_annuity(issue_prices, tmp_path):
    prices = cost.merge(issue_prices, cost.parse({"site": {"cost_of_capital": 0.08}}, "rate.toml"))
    fc = course_fleet(prices)
    # Capital recovery factor at 8 % over 4 years: 0.08 / (1 − 1.08^−4) = 0.0800 / 0.264970 = 0.3019208;
    # the part above straight-line (0.25) is the capital charge: 320,000 × 0.0519208 × 5 servers = 83,073.3
    assert fc.onprem_parts["capital"] == pytest.approx(320_000 * (0.08 / (1 - 1.08 ** -4) - 0.25) * 5)
    assert fc.onprem_parts["capital"] == pytest.approx(83_073.29, abs=0.01)


def test_hosting_per_kw_month_implied_by_the_override(issue_prices, tmp_path):
    prices = cost.load_prices([write(tmp_path, ISSUE_11), write(tmp_path, "[site]\nhosting_usd_per_kw_month = 150\n",
                                                                 "kw.toml")])
    assert prices.site["hosting_basis"].value == "per_kw_month"
    # $150 per kW-month × 10.2 kW × 12 = $18,360 per server-year, × 5 servers
    assert course_fleet(prices).onprem_parts["hosting"] == pytest.approx(5 * 150 * 10.2 * 12)


def test_racks_by_power_and_by_rack_units(issue_prices):
    # 40.8 kW per rack ÷ 10.2 kW = 4 servers a rack: 5 servers → 2 racks
    assert course_fleet(issue_prices).racks == 2 and course_fleet(issue_prices).rack_units == 40
    b200 = cost.server_quote(issue_prices, "B200")  # 14.3 kW: 2 a rack, so 5 servers → 3 racks
    assert cost.fleet_cost(b200, 5, 8, cost.CostSettings(issue_prices), DEMAND).racks == 3
    tight = cost.merge(issue_prices, cost.parse({"site": {"rack_units_per_rack": 20}}, "u.toml"))
    assert course_fleet(tight).racks == 3  # 20U ÷ 8U = 2 servers a rack


def test_a_missing_price_is_named_never_invented():
    prices = cost.default_prices()
    quote = cost.server_quote(prices, "L40S")  # the sheet has no sourced 8 × L40S server price or power
    fc = cost.fleet_cost(quote, 2, 8, cost.CostSettings(prices), DEMAND)
    assert fc.onprem_usd_per_year is None and fc.power_usd_per_year is None and fc.racks is None
    assert "no server price for L40S (server_usd) in the price sheet" in fc.missing
    assert fc.cloud_usd_per_year == pytest.approx(2 * 8 * 8760 * 1.86)  # the AWS g6e price is there
    unknown = cost.fleet_cost(cost.server_quote(prices, "MI300X"), 1, 8, cost.CostSettings(prices), DEMAND)
    assert unknown.onprem_usd_per_year is None and unknown.cloud_usd_per_year is None


def test_api_offering_follows_the_model():
    prices = cost.default_prices()
    name, entry = prices.api_offering("meta/llama3-8b-instruct")
    assert entry["model"].value == "Llama 3 8B" and name.startswith("Amazon Bedrock")
    assert prices.api_offering("Llama 3.1 8B", "DeepInfra · Llama 3.1 8B Instruct")[1]["usd_per_m_output"].value == 0.05
    assert prices.api_offering("Mixtral 8x7B") is None
    with pytest.raises(SizerError, match="unknown API offering 'Nope'"):
        prices.api_offering("Llama 3 8B", "Nope")


def test_shipped_prices_carry_a_source_and_date_and_cover_the_catalog():
    prices = cost.default_prices()
    rows = prices.rows()
    assert rows and all(r["source"] and r["as_of"] for r in rows)
    assert set(prices.gpus) == set(catalog.gpus())
    # The rental prices live here only: the GPU catalog no longer carries a price of its own.
    assert all(not hasattr(gpu, "usd_per_gpu_hour") for gpu in catalog.gpus().values())
    assert cost.usd_per_gpu_hour(prices)["H100_80GB_HBM3"] == 4.25


@pytest.mark.parametrize("text,needle", [
    ('[gpu."H100 SXM"]\nsever_usd = 1\n', "unknown key 'sever_usd' in [gpu.\"H100 SXM\"]"),
    ('[gpu."H100 SXM"]\nserver_usd = -5\n', "[gpu.\"H100 SXM\"] server_usd must be a number ≥ 0; got -5"),
    ("[site]\npue = 0.9\n", "[site] pue must be a number ≥ 1"),
    ("[site]\ndepreciation_years = 0\n", "[site] depreciation_years must be a number > 0"),
    ("[site]\nelectricity_usd_per_kwh = \"cheap\"\n", "electricity_usd_per_kwh must be a number ≥ 0; got 'cheap'"),
    ("[site]\nelectricity_usd_per_kwh = true\n", "must be a number ≥ 0; got True"),
    ("[site]\ncost_of_capital = 8\n", "cost_of_capital must be a yearly rate from 0 up to 1"),
    ("[site]\nhosting_basis = \"per_rack\"\n", "hosting_basis must be one of per_server_year, per_kw_month"),
    ("[sites]\npue = 1.2\n", "unknown table [sites]"),
    ("[api]\nusd_per_m_input = 1.0\n", "[api] needs both usd_per_m_input and usd_per_m_output"),
    ('[api.offerings."Mine"]\nusd_per_m_input = 1.0\n', '[api.offerings."Mine"] needs model, usd_per_m_output'),
    ("[site]\npue = 1.2\n[site.source]\nppue = \"x\"\n", "[site.source] has 'ppue', which [site] does not set"),
    ("[site\npue = 1.2\n", "not valid TOML"),
])
def test_bad_price_files_name_the_file_and_key(tmp_path, text, needle):
    path = write(tmp_path, text, "bad.toml")
    with pytest.raises(SizerError) as err:
        cost.load_prices([path])
    assert needle in str(err.value) and str(path) in str(err.value)


def test_missing_price_file_is_a_message(tmp_path):
    with pytest.raises(SizerError, match="no such file"):
        cost.load_prices([tmp_path / "absent.toml"])


def test_uncatalogued_gpu_prices_apply_by_name_with_a_note(tmp_path):
    prices = cost.load_prices([write(tmp_path, '[gpu."MI300X"]\ncloud_usd_per_gpu_hour = 2.5\n')])
    assert any("'MI300X', which is not in the GPU catalog" in n for n in prices.notes)
    assert cost.server_quote(prices, "mi300x").cloud_usd_per_gpu_hour == 2.5


def test_settings_are_checked(issue_prices):
    for bad in ({"basis": "lease"}, {"rent": "racks"}, {"peak_hours_per_day": 0}, {"peak_hours_per_day": 25}):
        with pytest.raises(SizerError):
            cost.CostSettings(issue_prices, **bad)


def test_digest_follows_content(issue_prices):
    assert issue_prices.digest() != cost.default_prices().digest()
    assert cost.apply_override(cost.default_prices(), {}, "empty").digest() == cost.default_prices().digest()


# --- break-even -----------------------------------------------------------------------------------------------------------

COURSE_OPTION = {"gpu": "H100_80GB_HBM3", "tp": 1, "precision": "fp8", "req_per_s": 41.6 / 8, "gpus_per_instance": 1,
                 "node_gpus": 8}  # the course's 41.6 prompts/s per 8 GPUs at TTFT ≤ 300 ms


def test_break_even_crossovers_by_hand(issue_prices):
    be = cost.break_even(COURSE_OPTION, COURSE, cost.CostSettings(issue_prices), "llama3-8b", 2000, 200)
    by_pair = {(c.cheaper, c.dearer): c for c in be.crossovers}
    # One server serves 41.6 × 31.536 M s ÷ (30 requests a call × peak factor 7) = 6.25 M calls a year, so below that
    # on-prem costs one server, $119,000, while the API costs 30 × $0.0026 = $0.078 a call: they cross at
    # 119,000 ÷ 0.078 = 1,525,641 calls, and on-prem stays cheaper above (a server costs 4.1× less than the API would
    # charge for its traffic). The cloud's server-year is 8 × 8,760 × $3 = $210,240 → 210,240 ÷ 0.078 = 2,695,385.
    assert by_pair["onprem", "api"].calls_per_year == pytest.approx(119_000 / 0.078, rel=1e-8)
    assert by_pair["onprem", "api"].text == "On-prem is cheaper than the API above 1.53 M calls a year"
    assert by_pair["cloud", "api"].calls_per_year == pytest.approx(210_240 / 0.078, rel=1e-8)
    assert by_pair["onprem", "cloud"].calls_per_year is None  # a rented server-year always costs more here
    assert by_pair["onprem", "cloud"].text == "On-prem is never dearer than the cloud from 300 k to 3 bn calls a year (no break-even)"
    assert be.calls_per_year == 30e6 and set(be.curve["basis"]) == {"onprem", "cloud", "api"}
    at_user = cost.yearly_costs(COURSE_OPTION, COURSE.inputs, cost.CostSettings(issue_prices), "llama3-8b", 2000, 200,
                                30e6)
    assert at_user == pytest.approx({"onprem": 595_000, "cloud": 1_051_200, "api": 2_340_000})


def test_break_even_needs_calls_per_year(issue_prices):
    from core.traffic import direct

    with pytest.raises(SizerError, match="call-centre assumptions"):
        cost.break_even(COURSE_OPTION, direct(200), cost.CostSettings(issue_prices), "llama3-8b", 2000, 200)


def test_break_even_chart_marks_traffic_and_crossovers(issue_prices):
    be = cost.break_even(COURSE_OPTION, COURSE, cost.CostSettings(issue_prices), "llama3-8b", 2000, 200)
    spec = charts.break_even(be.curve, be.calls_per_year, be.crossover_points(), be.label).to_dict()
    # stepped lines (owned, rented), the API's straight line, the user's traffic (rule and label), crossovers and numbers
    assert len(spec["layer"]) == 6
    assert "1: On-prem is cheaper than the API above 1.53 M calls a year" in spec["title"]["subtitle"]
    rows = [d for v in spec["datasets"].values() for d in v]
    assert any(d.get("x") == 30e6 for d in rows)
    assert any(d.get("calls_per_year") == pytest.approx(119_000 / 0.078) for d in rows)


# --- ranking by cost ------------------------------------------------------------------------------------------------------

def two_gpu_table():
    """H100 serves 40 prompts/s per server, A100 33.4: at 200 req/s peak, 5 H100 servers or 6 A100 servers."""
    rows = []
    for gpu, rps in (("H100 SXM", 5.0), ("A100 SXM 80GB", 33.4 / 8)):
        for conc, ttft in ((1, 50.0), (10, 200.0)):
            rows.append({"model": "Llama 3 8B", "gpu": gpu, "tp": 1, "pp": 1, "gpus_per_instance": 1, "precision": "fp16",
                         "engine": "e", "isl": 2000, "osl": 200, "load_mode": "concurrency", "concurrency": conc,
                         "ttft_ms_avg": ttft, "itl_ms_avg": 10.0, "e2e_ms_avg": 2000.0,
                         "req_per_s": rps * conc / 10, "runs": 1, "source": "synthetic", "provenance": "measured"})
    return prepare(pd.DataFrame(rows))


def test_rank_by_cost_uses_the_chosen_basis(issue_prices):
    table, query = two_gpu_table(), Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300))
    traffic = derive(TrafficInputs(peak_factor=7.008))  # 200.0 req/s at peak
    by_servers = size(table, query, traffic, rank_by="servers", costing=cost.CostSettings(issue_prices))
    assert list(by_servers.options["gpu"]) == ["H100 SXM", "A100 SXM 80GB"]
    # On-prem: A100 6 × (199,000 ÷ 4 + 3,000 + 36,000) = 532,500 beats H100 5 × 119,000 = 595,000
    by_onprem = size(table, query, traffic, rank_by="cost", costing=cost.CostSettings(issue_prices, basis="onprem"))
    assert list(by_onprem.options["gpu"]) == ["A100 SXM 80GB", "H100 SXM"]
    assert list(by_onprem.options["onprem_usd_per_year"]) == pytest.approx([532_500, 595_000])
    # Cloud: A100 48 GPUs × 8,760 × $2.21 = 929,260.8 beats H100 40 × 8,760 × $3 = 1,051,200
    by_cloud = size(table, query, traffic, rank_by="cost", costing=cost.CostSettings(issue_prices, basis="cloud"))
    assert list(by_cloud.options["cloud_usd_per_year"]) == pytest.approx([929_260.8, 1_051_200])
    # The API costs the same whatever serves it: ties fall back to fewest servers.
    by_api = size(table, query, traffic, rank_by="cost", costing=cost.CostSettings(issue_prices, basis="api"))
    assert list(by_api.options["gpu"]) == ["H100 SXM", "A100 SXM 80GB"]
    records = cost.cost_records(by_onprem.options)
    assert records[0]["racks"] == 1 and isinstance(records[0]["racks"], int)  # 40.8 kW ÷ 6.5 kW = 6 a rack: one rack
    assert records[0]["usd_per_m_tokens"] == pytest.approx(532_500 / (traffic.requests_per_year * 2200) * 1e6)
    assert math.isclose(records[0]["kw"], 6 * 6.5)


def test_options_without_costing_are_unchanged(issue_prices):
    table, query = two_gpu_table(), Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300))
    plain = size(table, query, derive(TrafficInputs()))
    assert "onprem_usd_per_year" not in plain.options and plain.costing is None
    assert cost.cost_records(plain.options) == [{}, {}]


def test_used_figures_list_every_price_behind_the_options(issue_prices):
    rows = cost.used_figures(issue_prices, ["H100_80GB_HBM3"], "llama3-8b", cost.CostSettings(issue_prices))
    keys = {(r["section"], r["key"]) for r in rows}
    assert ('gpu."H100 SXM"', "server_usd") in keys and ("api", "usd_per_m_input") in keys
    assert ("site", "hosting_usd_per_kw_month") not in keys  # hosting is per server-year here
    assert all(r["source"] and r["as_of"] for r in rows)
