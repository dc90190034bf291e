"""Match names as users type them ('llama3-8b', 'a100') to names as the data spells them."""

from __future__ import annotations

import re

from core.errors import SizerError


def normalise(name: str) -> str:
    """Case, spaces, hyphens, dots, underscores and slashes do not distinguish names."""
    return re.sub(r"[\s\-._/]+", "", str(name).lower())


def match_key(query: str, key_of: dict[str, str], what: str) -> str:
    """The key of the one name equal to, or else uniquely containing, the query (several spellings of one thing,
    H100_80GB_HBM3 and H100 SXM, are not ambiguous); otherwise an error that lists the names."""
    wanted = normalise(query)
    for found in ([n for n in key_of if normalise(n) == wanted], [n for n in key_of if wanted and wanted in normalise(n)]):
        keys = sorted({key_of[n] for n in found})
        if len(keys) == 1:
            return keys[0]
        if keys:
            raise SizerError(f"{what} '{query}' is ambiguous: it matches {', '.join(keys)}")
    listing = ", ".join(sorted(key_of)) or "(none loaded)"
    raise SizerError(f"unknown {what} '{query}'; available: {listing}")
