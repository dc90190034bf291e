"""Numbers in words a business reader repeats: nouns that agree with their count, small counts spelled out."""

from __future__ import annotations

import math

SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen")


def count(number: float | str, noun: str, plural: str | None = None) -> str:
    """'1 server', '2 servers', '4.81 servers': singular only for a count written as exactly 1."""
    text = number if isinstance(number, str) else f"{number:,}"
    return f"{text} {noun if text == '1' else plural or noun + 's'}"


def spelled(number: int) -> str:
    """'eight' for the small counts a sentence spells out, digits beyond."""
    return SMALL[number] if 0 <= number < len(SMALL) else f"{number:,}"


def significant(value: float, digits: int) -> float:
    """`value` rounded to `digits` significant figures: 362.4 → 360 at two."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def latency(ms: float, modeled: bool) -> str:
    """A latency as precisely as its data supports: a model estimate (errors of 10–50 %) to two significant figures,
    a measurement to 1 ms (to 0.1 ms below 10 ms, where inter-token latencies sit)."""
    if not math.isfinite(ms):
        return "n/a"
    if modeled:
        rounded = significant(ms, 2)
        return f"{rounded:,.0f}" if abs(rounded) >= 10 else f"{rounded:.2g}"
    return f"{ms:,.0f}" if abs(ms) >= 10 else f"{ms:.1f}"


def usd(value: float | None) -> str:
    """A sum of money as a quote writes it: whole dollars from $100 up, cents below (unit costs), n/a when unknown."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}${value:,.0f}" if value >= 100 else f"{sign}${value:,.2f}"
