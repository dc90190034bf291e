"""A user's input that cannot be used, named by its field, so that each front end names it as its user knows it:
the CLI as the flag typed (`--peak-rps`), the app in words ("peak requests per second")."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from core.errors import SizerError

# The words the app (and str() of an error) uses; the CLI passes its flags instead.
WORDS: dict[str, str] = {
    "calls_per_year": "calls per year",
    "minutes_per_call": "minutes per call",
    "rag_calls_per_minute": "RAG calls per minute",
    "llm_requests_per_rag_call": "LLM requests per RAG call",
    "peak_factor": "peak factor",
    "peak_req_per_s": "peak requests per second",
    "utilisation": "planned utilisation",
    "rank_by": "ranking",
    "isl": "input length",
    "osl": "output length",
    "ttft_ms": "TTFT limit",
    "e2e_ms": "end-to-end limit",
    "itl_ms": "inter-token limit",
    "min_tok_per_s_per_user": "tokens/s per user",
    "stat": "statistic",
}


class InputError(SizerError):
    """`problem` is a sentence about the fields: "{name}" marks where their names go (else they lead it)."""

    def __init__(self, fields: str | tuple[str, ...], problem: str, joiner: str = "or") -> None:
        self.fields = (fields,) if isinstance(fields, str) else tuple(fields)
        self.problem = problem
        self.joiner = joiner
        super().__init__(self.message())

    def message(self, labels: Mapping[str, str] | None = None) -> str:
        """The message with each field named by `labels` (a CLI's flags), else in words."""
        names = [(labels or {}).get(f) or WORDS.get(f, f) for f in self.fields]
        joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {self.joiner} {names[-1]}"
        template = self.problem if "{name}" in self.problem else "{name} " + self.problem
        return template.replace("{name}", joined)  # not str.format: values in the problem may hold braces


MAX_COUNT = 2.0**53  # beyond this a float no longer holds every whole number: a count could be off without a sign


def countable(what: str, counts: object) -> None:
    """Counts (servers, copies) must be finite and below MAX_COUNT, so that a whole number cast from them is exact:
    only absurd inputs (a growth compounding for decades, a budget of 1e30 USD) break that."""
    values = np.asarray(counts, dtype="float64")
    if not np.all(np.isfinite(values) & (values < MAX_COUNT)):
        raise SizerError(f"{what} would exceed {amount(MAX_COUNT)}, more than can be counted exactly: check the "
                         "inputs for a value far out of range")


def finite_or_none(value: object) -> float | None:
    """A number a document or table can print, or None for text, None, NaN and infinities (a missing figure)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def show(value: object) -> str:
    """A value as a person writes it: 1e+308, -1, 0.5, 'abc'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    return str(value) if isinstance(value, int) else f"{value:g}"


def amount(value: float) -> str:
    """A bound as a person writes it: 1,000,000,000 or 0.01."""
    return f"{int(value):,}" if value == int(value) and abs(value) < 1e16 else f"{value:g}"


def number(field: str, value: object) -> float:
    """A finite number, or an error naming the field."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InputError(field, f"must be a number; got {show(value)}") from None
    if not math.isfinite(out):
        raise InputError(field, f"must be a positive number; got {show(value)}")
    return out


def positive(field: str, value: object, maximum: float | None = None, unit: str = "") -> float:
    """A positive number, at most `maximum` (beyond it the input is out of range)."""
    out = number(field, value)
    if out <= 0:
        raise InputError(field, f"must be a positive number; got {show(value)}")
    if maximum is not None and out > maximum:
        raise InputError(field, f"is out of range: at most {amount(maximum)}{unit}; got {show(value)}")
    return out


def whole(field: str, value: object, low: int, high: int, unit: str) -> int:
    """A whole number from low to high, e.g. tokens per request."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        out = math.nan
    if not (math.isfinite(out) and out == round(out) and low <= out <= high):
        raise InputError(field, f"must be a whole number of {unit} from {low:,} to {high:,}; got {show(value)}")
    return int(out)
