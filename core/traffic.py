"""Business traffic assumptions to average and peak LLM requests per second, with every step kept for display."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.inputs import InputError, amount, positive
from core.words import count

SECONDS_PER_YEAR = 365 * 24 * 60 * 60  # the course uses a 365-day year
# Beyond any fleet this calculator sizes (about 10,000 times the world's web searches): a larger peak is a typo or an
# attack, and its server count would not even be representable.
MAX_PEAK_REQ_PER_S = 1e9
BUSINESS_FIELDS = ("calls_per_year", "minutes_per_call", "rag_calls_per_minute", "llm_requests_per_rag_call",
                   "peak_factor")


@dataclass(frozen=True)
class TrafficInputs:
    """The call-centre assumptions of the course; defaults are its example."""

    calls_per_year: float = 30_000_000
    minutes_per_call: float = 10
    rag_calls_per_minute: float = 1
    llm_requests_per_rag_call: float = 3
    peak_factor: float = 7


@dataclass(frozen=True)
class Traffic:
    """Average and peak request rates, and how they were reached."""

    avg_req_per_s: float | None
    peak_req_per_s: float
    requests_per_call: float | None = None
    requests_per_year: float | None = None
    inputs: TrafficInputs | None = None

    def steps(self) -> list[str]:
        """The derivation as lines a business reader can follow."""
        if self.inputs is None:
            return [f"peak given directly: {self.peak_req_per_s:,.1f} req/s"]
        i = self.inputs
        per_call = count(_num(self.requests_per_call), "request")
        return [
            f"{_num(i.minutes_per_call)} min per call × {count(_num(i.rag_calls_per_minute), 'RAG call')} per min × "
            f"{count(_num(i.llm_requests_per_rag_call), 'LLM request')} per RAG call = {per_call} per call",
            f"{count(_big(i.calls_per_year), 'call')} per year × {per_call} per call = "
            f"{count(_big(self.requests_per_year), 'request')} per year",
            f"{count(_big(self.requests_per_year), 'request')} ÷ {_big(SECONDS_PER_YEAR)} s per year = "
            f"{self.avg_req_per_s or 0:,.1f} req/s on average",
            f"{self.avg_req_per_s or 0:,.1f} req/s × peak factor {_num(i.peak_factor)} = {self.peak_req_per_s:,.1f} req/s at peak",
        ]


def derive(inputs: TrafficInputs) -> Traffic:
    """calls/year × min/call × RAG calls/min × requests/RAG call ÷ s/year = average; × peak factor = peak."""
    for name in BUSINESS_FIELDS:
        positive(name, getattr(inputs, name))
    if inputs.peak_factor < 1:
        raise InputError("peak_factor", f"must be at least 1 (the peak is never below the average); got {inputs.peak_factor:g}")
    per_call = inputs.minutes_per_call * inputs.rag_calls_per_minute * inputs.llm_requests_per_rag_call
    per_year = inputs.calls_per_year * per_call
    avg = per_year / SECONDS_PER_YEAR
    peak = avg * inputs.peak_factor
    if not (math.isfinite(peak) and peak <= MAX_PEAK_REQ_PER_S):
        size = f"of {peak:,.3g} requests per second" if math.isfinite(peak) else "too large to count"
        raise InputError(BUSINESS_FIELDS, f"{{name}} give a peak {size}, beyond the {amount(MAX_PEAK_REQ_PER_S)} "
                                          "requests per second this calculator sizes: one of them is out of range",
                         joiner="and")
    return Traffic(avg, peak, per_call, per_year, inputs)


def direct(peak_req_per_s: float) -> Traffic:
    """Peak given as is; the average is then not known."""
    peak = positive("peak_req_per_s", peak_req_per_s, MAX_PEAK_REQ_PER_S, " requests per second")
    return Traffic(avg_req_per_s=None, peak_req_per_s=peak)


def _num(x: float | None) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if x is not None else "?"


def _big(x: float | None) -> str:
    if x is None:
        return "?"
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= size:
            return f"{x / size:,.1f}".rstrip("0").rstrip(".") + suffix
    return _num(x)
