"""What the app's cost panel rests on, without a server: the per-token split, edits written back as a prices file,
the prices one basis cites, and the short link text that carries edits."""

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import cost
from ui import cost as costs

ISSUE_EDITS = {("site", "", "pue"): 1.3, ("site", "", "electricity_usd_per_kwh"): 0.1,
               ("gpu", "H100 SXM", "cloud_usd_per_gpu_hour"): 3.0, ("api", "", "usd_per_m_input"): 1.0,
               ("api", "", "usd_per_m_output"): 3.0}


def test_token_split_reproduces_the_course_notebook():
    # NVIDIA DLI "TCO For On-Premise and Cloud Inference": $0.43609759 per 1k prompts on-prem, 2000 in / 200 out,
    # API $1 / $3 → 436.0976 ÷ (2000 + 200 × 3) = $0.1677 per 1M input, × 3 = $0.5032 per 1M output ("0.17", "0.50").
    split = cost.token_split(0.43609759223233935e-3, 2000, 200, 1.0, 3.0)
    assert split == pytest.approx((0.167730, 0.503190), abs=1e-6)
    # The API's own cost per prompt, (2000 × 1 + 200 × 3) ÷ 1M = $0.0026, splits back into its own prices.
    assert cost.token_split(0.0026, 2000, 200, 1.0, 3.0) == pytest.approx((1.0, 3.0))
    assert cost.token_split(0.0026, 2000, 200, 0.0, 3.0) is None  # no ratio without an input price


@given(st.floats(1e-6, 10), st.integers(1, 100_000), st.integers(1, 100_000), st.floats(0.01, 100), st.floats(0, 100))
def test_token_split_gives_the_cost_per_prompt_back(per_prompt, isl, osl, p_in, p_out):
    per_in, per_out = cost.token_split(per_prompt, isl, osl, p_in, p_out)
    assert (isl * per_in + osl * per_out) / 1e6 == pytest.approx(per_prompt, rel=1e-9)
    assert per_out == pytest.approx(per_in * p_out / p_in, rel=1e-9)


def test_edits_written_as_a_prices_file_load_back(tmp_path):
    raw = costs.raw_override({**ISSUE_EDITS, ("offering", "Amazon Bedrock · Llama 3.1 8B Instruct",
                                              "usd_per_m_output"): 0.25}, hosting="per_kw_month")
    path = tmp_path / "mine.toml"
    path.write_text(cost.override_toml(raw))
    assert "source" not in tomllib.loads(path.read_text())["site"]  # values only: the file is the source
    prices = cost.load_prices([path])
    assert prices.site["pue"].value == 1.3 and prices.site["hosting_basis"].value == "per_kw_month"
    assert prices.gpus["H100 SXM"]["cloud_usd_per_gpu_hour"].value == 3.0
    assert prices.api["usd_per_m_input"].value == 1.0 and prices.api["usd_per_m_output"].value == 3.0
    assert prices.offerings["Amazon Bedrock · Llama 3.1 8B Instruct"]["usd_per_m_output"].value == 0.25
    assert prices.gpus["H100 SXM"]["cloud_usd_per_gpu_hour"].source == f"your prices file {path}"


def test_an_edit_says_it_was_edited_and_the_rest_keep_their_sources():
    prices = cost.apply_override(cost.default_prices(), costs.raw_override(ISSUE_EDITS), "the cost panel")
    assert prices.site["pue"].source == costs.EDITED_SOURCE and prices.site["pue"].as_of == costs.EDITED_AS_OF
    assert "Deep Learning Institute" in prices.gpus["H100 SXM"]["server_usd"].source
    assert prices.gpus["H100 SXM"]["server_usd"].as_of == "2024-11"


def test_basis_figures_name_what_each_basis_rests_on():
    prices = cost.apply_override(cost.default_prices(), costs.raw_override(ISSUE_EDITS), "panel")
    settings = cost.CostSettings(prices)
    keys = {b: [r["key"] for r in cost.basis_figures(prices, "H100_80GB_HBM3", "Llama 3 8B", settings, b)]
            for b in cost.BASES}
    assert set(keys["onprem"]) == {"server_usd", "depreciation_years", "cost_of_capital", "hosting_usd_per_server_year",
                                   "licence_usd_per_gpu_year"}
    assert keys["cloud"] == ["cloud_usd_per_gpu_hour"] and keys["api"] == ["usd_per_m_input", "usd_per_m_output"]
    powered = cost.CostSettings(prices, include_power=True, cloud_term="1yr")
    with_power = {r["key"] for r in cost.basis_figures(prices, "H100 SXM", "Llama 3 8B", powered, "onprem")}
    assert {"pue", "electricity_usd_per_kwh", "server_kw", "power_load"} <= with_power
    assert cost.basis_figures(prices, "H100 SXM", "Llama 3 8B", powered, "cloud") == []  # no 1-year price shipped


def test_link_text_round_trips_and_names_what_it_cannot_read():
    changes = {**ISSUE_EDITS, ("offering", "Amazon Bedrock · Llama 3.1 8B Instruct", "usd_per_m_input"): 0.2,
               ("gpu", "A100 SXM 80GB", "server_usd"): 199000.0}
    text = costs.encode(changes)
    assert text.startswith("pue:1.3;electricity_usd_per_kwh:0.1;H100 SXM.cloud_usd_per_gpu_hour:3;")
    assert costs.decode(text) == (changes, [])
    # A data file's spelling of a GPU is the catalog's GPU; an unknown name or a value that is no number is named.
    assert costs.decode("H100_80GB_HBM3.server_usd:1")[0] == {("gpu", "H100 SXM", "server_usd"): 1.0}
    assert costs.decode("Z9000.server_usd:1;pue:abc;pue")[1] == ["Z9000.server_usd:1", "pue:abc", "pue"]


def test_money_as_the_issue_writes_it():
    assert [costs.money(v) for v in (595_000, 2.6, 595_000 / 900e6 * 1e3, 0.019833, None)] == \
        ["$595,000", "$2.60", "$0.661", "$0.0198", "n/a"]


def test_a_hosting_figure_edited_alone_keeps_the_panels_hosting_basis():
    # core.cost.merge reads a prices file giving only hosting_usd_per_kw_month as hosting per kW; in the panel the
    # "Hosting charged" control says the basis, so typing the per-kW rate must not switch it behind the user's back.
    shipped = cost.default_prices().site["hosting_basis"]
    edited = {("site", "", "hosting_usd_per_kw_month"): 500.0}
    prices = cost.apply_override(cost.default_prices(), costs.raw_override(edited), "the cost panel")
    assert prices.site["hosting_basis"] == shipped and prices.site["hosting_usd_per_kw_month"].value == 500.0
    chosen = cost.apply_override(cost.default_prices(), costs.raw_override(edited, "per_kw_month"), "the cost panel")
    assert chosen.site["hosting_basis"].value == "per_kw_month"
    assert chosen.site["hosting_basis"].source == costs.EDITED_SOURCE
