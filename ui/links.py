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
_CARRIED = "_url_carried"  # session key: the link's values, carried over the rerun that put snapped values in the URL
_SNAPPED = "_url_snapped"  # session key: what snapping a link's values did, said on the rerun
LABELS = {
    "model": "model", "lengths": "input/output tokens", "peak_direct": "give the peak directly",
    "peak_rps": "peak requests per second", "calls": "calls per year", "minutes": "minutes per call",
    "rag": "RAG calls per minute", "llm": "LLM requests per RAG call", "peak_factor": "peak factor",
    "ttft": "TTFT limit (ms)", "e2e": "end-to-end limit (ms)", "itl": "inter-token limit (ms)",
    "tps_user": "tokens/s per user",
    "stat": "statistic", "gpus": "GPU filter", "tps": "TP filter", "precisions": "precision filter",
    "rank": "rank by", "basis": "cost basis", "utilisation": "planned utilisation (%)", "interpolate": "interpolate",
    "view": "frontier view", "wi_model": "what-if model", "wi_gpus": "what-if GPUs", "wi_tps": "what-if TP",
    "wi_prec": "what-if precision", "wi_isl": "what-if input tokens", "wi_osl": "what-if output tokens",
    "wi_maxc": "what-if highest concurrency", "burst": "burst percentile (%)", "burst_window": "burst window (s)",
    "p_wait": "P(wait) target (%)", "spares": "spare servers", "growth": "growth per year (%)",
    "years": "growth horizon (years)", "pf_spread": "peak factor range (± %)", "min_spread": "minutes per call range (± %)",
    "have": "capacity question", "have_servers": "servers you have", "have_usd": "monthly budget (USD)",
}


def remember_url_values(page: st.Page | None = None, steps: dict[str, tuple[float, ...]] | None = None) -> None:
    """On a session's first run, note the link's values; widgets bound to the URL are seeded from them later in the
    run, and check_url_values says which they could not use. Later runs check nothing (the URL is then the app's).

    `steps`: the options of the select sliders, by key. A link's number between two steps (an old link's ttft=320,
    or 0 for "off") is snapped to the nearest step: the page is opened again with the snapped value in the URL (so
    the slider, the address bar and a link made from it agree), and a toast says what was snapped."""
    state = st.session_state
    if _SEEN in state:
        state[_PENDING] = state.pop(_CARRIED, {})
        for note in state.pop(_SNAPPED, []):
            st.toast(note, icon=":material/tune:")
        return
    state[_SEEN] = True
    state[_LINK_DATA] = st.query_params.get(DATA_PARAM)
    pending = {key: st.query_params.get_all(key) for key in st.query_params if key != DATA_PARAM}
    snapped, notes = {}, []
    for key, options in (steps or {}).items():
        if pending.get(key):
            text, note = snap(key, pending[key][-1], options)
            if text is not None:
                snapped[key] = text
                notes += [note] if note else []
    state[_PENDING] = pending
    if snapped and page is not None:
        state[_CARRIED] = pending | {key: [text] for key, text in snapped.items()}
        state[_SNAPPED] = notes
        params = [(key, snapped.get(key, value)) for key in st.query_params for value in st.query_params.get_all(key)]
        st.switch_page(page, query_params=params)


def step_text(value: object) -> str:
    """A select slider's step as it shows and as the URL carries it: 'off' for 0, else the plain number (300, 99.9)."""
    number = float(value)  # type: ignore[arg-type]
    return "off" if number == 0 else f"{number:g}"


def snap(key: str, raw: str, options: tuple[float, ...]) -> tuple[str | None, str | None]:
    """The step a link's number stands for, and the sentence saying so when it moved: (None, None) when the value is
    a step as written, or not a number the steps can stand for (then check_url_values says it was not used)."""
    shown = [step_text(o) for o in options]
    raw = raw.strip()
    if raw in shown:
        return None, None
    try:
        number = float(raw)
    except ValueError:
        return None, None
    if not math.isfinite(number) or number < 0:
        return None, None
    steps = [o for o in options if o > 0] if number > 0 else [o for o in options if o == 0]
    if not steps:
        return None, None
    nearest = min(steps, key=lambda o: (abs(o - number), o))
    where = ("lies between the steps of" if min(steps) <= number <= max(steps) else
             f"is outside the range ({md(step_text(min(steps)))} to {md(step_text(max(steps)))}) of")
    note = None if nearest == number else (
        f"The link's {md(key)}={md(raw)} {where} the {md(LABELS.get(key, key))} slider: using the nearest, "
        f"{md(step_text(nearest))}.")
    return step_text(nearest), note


def check_url_values(formats: dict[str, Callable[[object], object]] | None = None) -> None:
    """After bound widgets are drawn: a toast for every link value a widget did not take as given (not a number,
    out of range, not an option), naming the parameter and the value used instead. `formats`: the format_func of
    widgets whose URL value is the formatted option."""
    pending: dict[str, list[str]] = st.session_state.get(_PENDING) or {}
    for key in [k for k in pending if k in st.session_state]:
        raws, value = pending.pop(key), st.session_state[key]
        shown = (formats or {}).get(key)
        if not _accepted(raws, value, shown or str):
            used = (", ".join(_text(v, shown) for v in value) if isinstance(value, (list, tuple))
                    else _text(value, shown))
            st.toast(f"The link's {md(key)}={md(', '.join(raws))} is not a valid {md(LABELS.get(key, key))}: "
                     f"using {md(used or 'none')} instead.", icon=":material/link_off:")


def _text(value: object, shown: Callable[[object], object] | None) -> str:
    """A widget value as the page shows it: 300 rather than 300.0, an option by its label."""
    if value is None:
        return ""
    if shown is not None:
        return str(shown(value))
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1e4 else f"{value:g}"  # 30,000,000, 0.5
    return str(value)


def _accepted(raws: list[str], value: object, shown: Callable[[object], object]) -> bool:
    """Whether the widget's value is what the link asked for (a value equal to the default is dropped from the URL
    by Streamlit, yet accepted)."""
    if isinstance(value, (list, tuple)):
        return [str(shown(v)) for v in value] == raws
    raw = raws[-1].strip() if raws else ""
    if raw == str(shown(value)):
        return True
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
