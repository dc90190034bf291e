"""Match names as users type them ('llama3-8b', 'a100') to names as the data spells them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.errors import SizerError


def normalise(name: str) -> str:
    """Case, spaces, hyphens, dots, underscores and slashes do not distinguish names."""
    return re.sub(r"[\s\-._/]+", "", str(name).lower())


def match_name(query: str, available: Iterable[str], what: str) -> str:
    """The one available name equal to, or else uniquely containing, the query; otherwise an error listing them."""
    names = sorted(set(available))
    wanted = normalise(query)
    exact = [n for n in names if normalise(n) == wanted]
    if len(exact) == 1:
        return exact[0]
    found = [n for n in names if wanted and wanted in normalise(n)]
    if len(found) == 1:
        return found[0]
    listing = ", ".join(names) or "(none loaded)"
    if found:
        raise SizerError(f"{what} '{query}' is ambiguous: it matches {', '.join(found)}")
    raise SizerError(f"unknown {what} '{query}'; available: {listing}")
