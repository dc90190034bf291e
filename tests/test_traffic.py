import math
import re

import pytest

from core.errors import SizerError
from core.inputs import WORDS
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
    with pytest.raises(SizerError, match=WORDS[field]) as caught:
        derive(TrafficInputs(**values))
    assert caught.value.fields == (field,)  # the CLI names it as a flag, the app in words


def test_peak_factor_below_one_is_rejected():
    with pytest.raises(SizerError, match="peak factor"):
        derive(TrafficInputs(peak_factor=0.5))


@pytest.mark.parametrize("bad", [0, -5, float("nan")])
def test_bad_direct_peak(bad):
    with pytest.raises(SizerError, match="peak requests per second") as caught:
        direct(bad)
    assert caught.value.message({"peak_req_per_s": "--peak-rps"}).startswith("--peak-rps must be")


@pytest.mark.parametrize("inputs", [
    TrafficInputs(calls_per_year=1e30),                                # issue 8: −9.2e18 servers and a negative cost
    TrafficInputs(calls_per_year=1e308, minutes_per_call=1e308),       # overflows to infinity
])
def test_traffic_out_of_range_is_an_error(inputs):
    with pytest.raises(SizerError, match="out of range") as caught:
        derive(inputs)
    assert "calls_per_year" in caught.value.fields and "peak_factor" in caught.value.fields


def test_direct_peak_out_of_range():
    with pytest.raises(SizerError, match="out of range"):
        direct(1e308)
    assert direct(1e-12).peak_req_per_s == 1e-12  # tiny is fine: it needs one server, not none


def test_steps_are_singular_for_one_and_plural_for_two():
    # Issue 7: "1 RAG calls per min".
    one = " ".join(derive(TrafficInputs(31_536_000, 1, 1, 1, 1)).steps())
    for needle in ("1 min per call", "1 RAG call per min", "1 LLM request per RAG call", "= 1 request per call",
                   "31.5 M calls per year"):
        assert needle in one, needle
    assert not re.search(r"(?<![\d.,])1 (calls|requests|RAG calls|LLM requests)\b", one), one
    two = " ".join(derive(TrafficInputs(2, 2, 2, 2, 2)).steps())
    for needle in ("2 min per call", "2 RAG calls per min", "2 LLM requests per RAG call", "= 8 requests per call",
                   "2 calls per year × 8 requests per call = 16 requests per year"):
        assert needle in two, needle
