import math

import pytest

from core.errors import SizerError
from core.traffic import SECONDS_PER_YEAR, TrafficInputs, derive, direct


def test_course_example():
    # Notebook 2: 30 M calls × (10 min × 1 RAG call/min × 3 requests) ÷ (365 × 86 400 s) = 28.54; × 7 = 199.77.
    t = derive(TrafficInputs(30_000_000, 10, 1, 3, 7))
    assert SECONDS_PER_YEAR == 31_536_000
    assert t.requests_per_call == 30
    assert math.isclose(t.avg_req_per_s, 900_000_000 / 31_536_000, rel_tol=1e-12)
    assert round(t.avg_req_per_s, 1) == 28.5
    assert round(t.peak_req_per_s, 1) == 199.8
    steps = t.steps()
    assert "30 requests per call" in steps[0]
    assert "28.5 req/s on average" in steps[2]
    assert "199.8 req/s at peak" in steps[3]


def test_direct_peak_has_no_average():
    t = direct(200)
    assert t.peak_req_per_s == 200 and t.avg_req_per_s is None
    assert "200.0 req/s" in t.steps()[0]


@pytest.mark.parametrize("field", ["calls_per_year", "minutes_per_call", "rag_calls_per_minute",
                                   "llm_requests_per_rag_call", "peak_factor"])
@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "x"])
def test_bad_inputs_name_the_input(field, bad):
    values = {"calls_per_year": 1e6, "minutes_per_call": 5, "rag_calls_per_minute": 1,
              "llm_requests_per_rag_call": 2, "peak_factor": 3, field: bad}
    with pytest.raises(SizerError, match=field):
        derive(TrafficInputs(**values))


def test_peak_factor_below_one_is_rejected():
    with pytest.raises(SizerError, match="peak_factor"):
        derive(TrafficInputs(peak_factor=0.5))


@pytest.mark.parametrize("bad", [0, -5, float("nan")])
def test_bad_direct_peak(bad):
    with pytest.raises(SizerError, match="peak_req_per_s"):
        direct(bad)
