"""Text that goes into Markdown: user strings escaped, counts in singular or plural, messages as sentences."""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all stops links, emphasis,
# Streamlit's :colour[…] and :icon: directives and $…$ maths. GFM also turns bare https://…, www.… and a@b.c into
# links after the escapes are resolved: an invisible word joiner after ':', '@' and 'www' breaks those patterns.
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_AUTOLINK = re.compile(r"(:|@|(?i:www)(?=\.))")
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """A user string (a model or file name from an upload, a value from the URL) as literal Markdown text."""
    text = " ".join(str(value).split())  # no line breaks: a name cannot open a heading, list or table
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(r"\1" + WORD_JOINER, text))


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """'1 server', '2 servers', '0 servers'; the count as a whole number with thousands separators."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,.0f} {word}"


def sentence(message: object) -> str:
    """An error message as a sentence shown to a user: first letter capital, user strings in it escaped."""
    text = str(message)
    return md(text[:1].upper() + text[1:])
