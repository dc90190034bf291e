"""Links that reproduce a scenario: what a link's values did (a value the app could not use is said, never silently
replaced), the share link itself, and the fingerprint of the data its numbers came from."""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ui.text import md

DATA_PARAM = "data"  # the fingerprint of the data a link's numbers came from, when its session had uploads
_PENDING = "_url_pending"  # session key: the link's values not yet checked against the widgets they seed
_SEEN = "_url_seen"  # session key: set after the session's first run
_LINK_DATA = "_link_data"  # session key: the data fingerprint the link that opened the session carried
LABELS = {
    "model": "model", "lengths": "input/output tokens", "peak_direct": "give the peak directly",
    "peak_rps": "peak requests per second", "calls": "calls per year", "minutes": "minutes per call",
    "rag": "RAG calls per minute", "llm": "LLM requests per RAG call", "peak_factor": "peak factor",
    "ttft": "TTFT limit (ms)", "e2e": "end-to-end limit (ms)", "tps_user": "tokens/s per user",
    "stat": "statistic", "gpus": "GPU filter", "tps": "TP filter", "precisions": "precision filter",
    "rank": "rank by", "basis": "cost basis", "utilisation": "planned utilisation (%)", "interpolate": "interpolate",
    "view": "frontier view", "wi_model": "what-if model", "wi_gpus": "what-if GPUs", "wi_tps": "what-if TP",
    "wi_prec": "what-if precision", "wi_isl": "what-if input tokens", "wi_osl": "what-if output tokens",
    "wi_maxc": "what-if highest concurrency",
}


def remember_url_values() -> None:
    """On a session's first run, note the link's values; widgets bound to the URL are seeded from them later in the
    run, and check_url_values says which they could not use. Later runs check nothing (the URL is then the app's)."""
    if _SEEN in st.session_state:
        st.session_state[_PENDING] = {}
        return
    st.session_state[_SEEN] = True
    st.session_state[_LINK_DATA] = st.query_params.get(DATA_PARAM)
    st.session_state[_PENDING] = {key: st.query_params.get_all(key) for key in st.query_params
                                  if key != DATA_PARAM}


def check_url_values(formats: dict[str, Callable[[object], object]] | None = None) -> None:
    """After bound widgets are drawn: a toast for every link value a widget did not take as given (not a number,
    out of range, not an option), naming the parameter and the value used instead. `formats`: the format_func of
    widgets whose URL value is the formatted option."""
    pending: dict[str, list[str]] = st.session_state.get(_PENDING) or {}
    for key in [k for k in pending if k in st.session_state]:
        raws, value = pending.pop(key), st.session_state[key]
        shown = (formats or {}).get(key, str)
        if not _accepted(raws, value, shown):
            used = ", ".join(_text(v, shown) for v in value) if isinstance(value, (list, tuple)) else _text(value, shown)
            st.toast(f"The link's {md(key)}={md(', '.join(raws))} is not a valid {md(LABELS.get(key, key))}: "
                     f"using {md(used or 'none')} instead.", icon=":material/link_off:")


def _text(value: object, shown: Callable[[object], object]) -> str:
    """A widget value as the page shows it: 300 rather than 300.0, an option by its label."""
    if value is None:
        return ""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:g}"
    return str(shown(value))


def _accepted(raws: list[str], value: object, shown: Callable[[object], object]) -> bool:
    """Whether the widget's value is what the link asked for (a value equal to the default is dropped from the URL
    by Streamlit, yet accepted)."""
    if isinstance(value, (list, tuple)):
        return [str(shown(v)) for v in value] == raws
    raw = raws[-1].strip() if raws else ""
    if isinstance(value, bool):
        return raw.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return math.isclose(float(raw), float(value), rel_tol=1e-9)
        except ValueError:
            return False
    return raw == str(shown(value))


def sync_data_param(fingerprint: str, has_uploads: bool) -> str | None:
    """With uploads, the URL carries the data's fingerprint, so a link made from this session says which data its
    numbers came from. Returns the fingerprint of the link that opened the session while this session's data
    differs from it (None once the same data is loaded)."""
    if has_uploads and st.query_params.get(DATA_PARAM) != fingerprint:
        st.query_params[DATA_PARAM] = fingerprint
    wanted = st.session_state.get(_LINK_DATA)
    return wanted if wanted and wanted != fingerprint else None


def drop_data_param() -> None:
    if DATA_PARAM in st.query_params:
        del st.query_params[DATA_PARAM]


def share_link() -> str | None:
    """This page's address with every scenario value that differs from the defaults (the bound inputs), and the
    data fingerprint when the session has uploads."""
    base = st.context.url
    if not base:
        return None
    base = base.split("?", 1)[0]
    if not urlsplit(base).path:
        base += "/"
    pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return f"{base}?{urlencode(pairs)}" if pairs else base
