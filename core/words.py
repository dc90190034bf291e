"""Numbers in words a business reader repeats: nouns that agree with their count, small counts spelled out."""

from __future__ import annotations

SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen")


def count(number: float | str, noun: str, plural: str | None = None) -> str:
    """'1 server', '2 servers', '4.81 servers': singular only for a count written as exactly 1."""
    text = number if isinstance(number, str) else f"{number:,}"
    return f"{text} {noun if text == '1' else plural or noun + 's'}"


def spelled(number: int) -> str:
    """'eight' for the small counts a sentence spells out, digits beyond."""
    return SMALL[number] if 0 <= number < len(SMALL) else f"{number:,}"
