"""What-if page (AppTest): its servers table and diamonds are the frontier search's solved points, so each modeled
configuration it draws gives the servers the engine (Answer, Sizing, CLI) gives that configuration alone."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import operating
from core.defaults import DEFAULT_TABLE
from core.frontier import Limits, Query
from core.sizing import size
from core.table import load_paths
from core.traffic import TrafficInputs, derive
from tests.app.conftest import APP, no_errors, plain, texts

pytestmark = pytest.mark.usefixtures("default_data")


@pytest.fixture(autouse=True)
def forget_solved():
    operating.clear_memo()


def _what_if(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("pages/what-if.py").run()
    no_errors(at)
    return at


def _servers_table(at: AppTest) -> pd.DataFrame | None:
    return next((d.value for d in at.dataframe if "servers_exact" in d.value), None)


def test_every_drawn_configuration_gives_the_engines_servers():
    # The page's defaults: H100 SXM, H200 SXM and B200 at TP1, 2, 4 and 8 in FP8, the sidebar's TTFT 300 ms average.
    at = _what_if()
    table = _servers_table(at)
    assert table is not None and len(table) >= 6
    engine = load_paths([DEFAULT_TABLE]).table
    peak = derive(TrafficInputs()).peak_req_per_s
    for _, row in table.iterrows():
        alone = size(engine, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=300), (row["gpu"],), (int(row["tp"]),),
                                   (row["precision"],)), derive(TrafficInputs())).best
        assert (alone["point"], alone["load"]) == ("solved", pytest.approx(row["load"], rel=1e-12))
        assert row["servers_exact"] == pytest.approx(alone["servers_exact"], rel=1e-12)
        assert row["servers_exact"] == pytest.approx(peak / row["prompts_per_s_per_server"], rel=1e-12)
    # Ranked as the Answer ranks: fewest whole servers, then exact servers, then GPUs.
    ranked = table.sort_values(["servers", "servers_exact", "gpus"], kind="stable")
    assert table["servers_exact"].tolist() == ranked["servers_exact"].tolist()
    assert "Diamonds: each curve's operating point solved to your limit" in texts(at)


def test_a_limit_nothing_meets_says_so_and_draws_no_diamond():
    at = _what_if(ttft="50", wi_gpus=["L40S"])
    assert _servers_table(at) is None
    said = texts(at)
    assert "None of these configurations meets your limit" in said and "Diamonds" not in said


def test_a_p95_limit_can_be_drawn_with_its_line():
    at = _what_if(ttft="750", stat="p95", wi_gpus=["H100 SXM"], wi_tps=["1"])
    assert "Your limit is on the p95: choose a p95 latency above to see it on the chart." in texts(at)
    at.selectbox(key="wi_x").set_value("ttft_ms_p95").run()
    no_errors(at)
    assert "Your limit is on the p95" not in texts(at)
    table = _servers_table(at)
    assert table is not None and len(table) == 1
    # The table shows the limited statistic: the solved point's p95 TTFT is the limit itself.
    assert table["ttft"].iloc[0] == pytest.approx(750, rel=1e-9)
    assert any("within TTFT ≤ 750 ms (p95), from the sidebar scenario" in plain(c.value) for c in at.caption)
