"""Frontier page (AppTest): the limit is drawn on the statistic it is set on, and the best point is said in figures."""

from __future__ import annotations

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import operating
from tests.app.conftest import APP, no_errors, plain

pytestmark = pytest.mark.usefixtures("default_data")


def _frames(at: AppTest) -> list:
    chart = at.get("vega_lite_chart")[0].proto
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.datasets]


def test_a_p95_limit_is_drawn_with_the_chosen_point_on_it():
    operating.clear_memo()
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {"model": "Llama 3 8B", "lengths": "2000/200", "gpus": ["H100 SXM"], "tps": ["1"],
                       "precisions": ["fp8"], "ttft": "500", "stat": "p95"}.items():
        at.query_params[key] = value
    at.switch_page("pages/frontier.py").run()
    no_errors(at)
    assert not any(list(f.columns) == ["x"] for f in _frames(at))  # averages drawn: no limit line
    at.selectbox(key="x_scenario").set_value("ttft_ms_p95").run()
    no_errors(at)
    frames = _frames(at)
    assert any(list(f.columns) == ["x"] and f["x"].tolist() == [500.0] for f in frames)  # the limit's rule
    (chosen,) = [f for f in frames if "label" in f and "load" not in f]
    assert chosen["ttft_ms_p95"].tolist() == pytest.approx([500.0], rel=1e-9)  # the diamond sits on it
    said = [plain(c.value) for c in at.caption if plain(c.value).startswith("Best: H100 SXM · TP1 · fp8 (modeled)")]
    assert len(said) == 1 and "(solved to your limit by the performance model)" in said[0], said
