"""Business traffic assumptions to average and peak LLM requests per second, with every step kept for display."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import SizerError

SECONDS_PER_YEAR = 365 * 24 * 60 * 60  # the course uses a 365-day year


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
        return [
            f"{_num(i.minutes_per_call)} min per call × {_num(i.rag_calls_per_minute)} RAG calls per min × "
            f"{_num(i.llm_requests_per_rag_call)} LLM requests per RAG call = {_num(self.requests_per_call)} requests per call",
            f"{_big(i.calls_per_year)} calls per year × {_num(self.requests_per_call)} requests per call = "
            f"{_big(self.requests_per_year)} requests per year",
            f"{_big(self.requests_per_year)} requests ÷ {_big(SECONDS_PER_YEAR)} s per year = "
            f"{self.avg_req_per_s or 0:,.1f} req/s on average",
            f"{self.avg_req_per_s or 0:,.1f} req/s × peak factor {_num(i.peak_factor)} = {self.peak_req_per_s:,.1f} req/s at peak",
        ]


def derive(inputs: TrafficInputs) -> Traffic:
    """calls/year × min/call × RAG calls/min × requests/RAG call ÷ s/year = average; × peak factor = peak."""
    for name in ("calls_per_year", "minutes_per_call", "rag_calls_per_minute", "llm_requests_per_rag_call",
                 "peak_factor"):
        _check_positive(name, getattr(inputs, name))
    if inputs.peak_factor < 1:
        raise SizerError(f"peak_factor must be at least 1 (the peak is never below the average); got {inputs.peak_factor:g}")
    per_call = inputs.minutes_per_call * inputs.rag_calls_per_minute * inputs.llm_requests_per_rag_call
    per_year = inputs.calls_per_year * per_call
    avg = per_year / SECONDS_PER_YEAR
    return Traffic(avg, avg * inputs.peak_factor, per_call, per_year, inputs)


def direct(peak_req_per_s: float) -> Traffic:
    """Peak given as is; the average is then not known."""
    _check_positive("peak_req_per_s", peak_req_per_s)
    return Traffic(avg_req_per_s=None, peak_req_per_s=float(peak_req_per_s))


def _check_positive(name: str, value: float) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SizerError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SizerError(f"{name} must be a positive number; got {value!r}")


def _num(x: float | None) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if x is not None else "?"


def _big(x: float | None) -> str:
    if x is None:
        return "?"
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= size:
            return f"{x / size:,.1f}".rstrip("0").rstrip(".") + suffix
    return _num(x)
