"""Saved scenarios: the current scenario kept under a name, up to six a session, for the Compare page, the PDF's
scenarios page and the workbook's Scenarios sheet.

A saved scenario keeps three things. The inputs as the engine reads them (ui.scenario.Scenario), so that its column
is sized again on whatever data is loaded now, and a scenario that data cannot answer says why. The link's values
(the URL's query parameters), so that each saved scenario is also a link that opens it anywhere. And the widget
values, so that "Load" brings it back into the sidebar in this session. They live in the session's state, so they
survive moving between pages, and they go with the session.
"""

from __future__ import annotations

import copy
import unicodedata
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from core import compare
from core.errors import SizerError
from core.sizing import Sizing
from ui import links, nav, scenario, view
from ui.data import Data, choices
from ui.data import current as current_data
from ui.text import md

MAX_SAVED = compare.MAX_SCENARIOS
MAX_NAME_CHARS = 60
SAVED = "_saved_scenarios"  # session key: list of Saved, in the order saved
NEXT_ID = "_saved_next_id"  # session key: the id the next saved scenario gets (ids are never reused)
MESSAGE = "_saved_message"  # session key: (kind, text) that the last save, load or removal left for the page
RENAME = "_saved_rename"  # session key: {id: why the name typed for it was not taken}
NAME, SAVE = "save_name", "save_scenario"  # widget keys of the save control
ASKED = "_save_asked"  # session key: the name the Save button was pressed with (saved in the page's run)


@dataclass(frozen=True)
class Saved:
    """One saved scenario: what it is called, what the engine sizes, the link that opens it, and the widget values
    that Load puts back."""

    id: int
    name: str
    scenario: scenario.Scenario
    params: tuple[tuple[str, str], ...]  # the link's query parameters (values that differ from the defaults)
    values: dict[str, object] = field(default_factory=dict)  # widget key → value, for Load
    fingerprint: str = ""  # the data it was saved with
    uploads: tuple[str, ...] = ()

    def link(self) -> str:
        """The address of the Answer page with this scenario's values: it opens the scenario anywhere (with the
        data's fingerprint when it was sized on uploads)."""
        query = urlencode(self.params)
        return f"{app_root()}?{query}" if query else app_root()


def saved() -> list[Saved]:
    return list(st.session_state.get(SAVED, []))


def _keep(items: list[Saved]) -> None:
    st.session_state[SAVED] = items


def app_root() -> str:
    """The app's own address (the Answer page), from the address this page was opened at; "/" when unknown."""
    url = st.context.url
    if not url:
        return "/"
    parts = urlsplit(url)
    segments = parts.path.rstrip("/").split("/")
    stems = {nav.url_path(script) for script, *_ in nav.PAGES}
    if segments and segments[-1] in stems:
        segments = segments[:-1]
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments) + "/", "", ""))


def clean_name(text: object) -> str:
    """One line of printable text, spaces collapsed."""
    raw = "" if text is None else str(text)
    return " ".join("".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in raw).split())


def name_problem(name: str, others: list[Saved]) -> str | None:
    """Why a name cannot be used (None when it can): too long, or another saved scenario's."""
    if len(name) > MAX_NAME_CHARS:
        return f"The name is too long: at most {MAX_NAME_CHARS} characters; it has {len(name)}."
    if any(s.name.casefold() == name.casefold() for s in others):
        return f"A saved scenario is called {md(name)} already: choose another name."
    return None


def default_name(sc: scenario.Scenario, taken: list[Saved]) -> str:
    """'H200 SXM, TTFT ≤ 300 ms (avg), 200 req/s': what tells this scenario apart, as a name for it."""
    assert sc.query is not None and sc.traffic is not None
    q = sc.query
    base = f"{', '.join(q.gpus) or 'Any GPU'}, {q.limits.describe()}, {sc.traffic.peak_req_per_s:,.0f} req/s"
    base = base[:MAX_NAME_CHARS]
    name, n = base, 1
    while name_problem(name, taken):
        n += 1
        name = f"{base[:MAX_NAME_CHARS - 5]} ({n})"
    return name


def snapshot_values() -> dict[str, object]:
    """The scenario's widget values as they are now: the course's inputs and every other value the URL carries."""
    keys = list(scenario.COURSE) + [k for k in st.query_params if k != links.DATA_PARAM and k not in scenario.COURSE]
    return {k: copy.deepcopy(st.session_state[k]) for k in keys if k in st.session_state}


def save(name: str, data: Data) -> tuple[str, str]:
    """Save the scenario the inputs describe now under `name` (blank: a name made from it). Returns the message for
    the page: ("success", …) or ("warning", why not)."""
    items = saved()
    if len(items) >= MAX_SAVED:
        return "warning", (f"{MAX_SAVED} scenarios are saved, the most a session keeps: remove one on the Compare page "
                           "to save another.")
    sc = scenario.current()
    if sc.problems or sc.query is None or sc.traffic is None:
        return "warning", "Nothing to save yet: " + md(" ".join(sc.problems) or "the scenario is incomplete") + "."
    if sc.stale:
        return "warning", ("Fix the inputs first: the figures shown use the last valid values, not what the inputs "
                           "say. " + md(" ".join(sc.stale)))
    params = tuple((k, v) for k in st.query_params for v in st.query_params.get_all(k))
    if data.uploads and not any(k == links.DATA_PARAM for k, _ in params):
        params += ((links.DATA_PARAM, data.fingerprint),)
    values = snapshot_values()
    same = next((s for s in items if s.values == values and s.fingerprint == data.fingerprint), None)
    if same is not None:
        return "warning", f"This scenario is saved already, as {md(same.name)}."
    name = clean_name(name) or default_name(sc, items)
    if problem := name_problem(name, items):
        return "warning", problem
    ident = int(st.session_state.get(NEXT_ID, 1))
    st.session_state[NEXT_ID] = ident + 1
    _keep([*items, Saved(ident, name, copy.deepcopy(sc), params, values, data.fingerprint, data.uploads)])
    left = MAX_SAVED - len(items) - 1
    return "success", (f"Saved {md(name)} ({len(items) + 1} of {MAX_SAVED}; "
                       + (f"room for {left} more)." if left else "no room for more)."))


def save_control(data: Data) -> None:
    """A name and the "Save this scenario" button; what happened is said beside it. The button only asks (its
    callback); the saving happens here, in the page's run after the scenario inputs are drawn, so that the link it
    keeps has every value the inputs show. A name that is not taken stays in its field."""
    if (asked := st.session_state.pop(ASKED, None)) is not None:
        st.session_state[MESSAGE] = save(asked, data)
        if st.session_state[MESSAGE][0] != "success":
            st.session_state[NAME] = asked
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input("Name for this scenario (optional)", key=NAME,
                    placeholder="for example: H200, TTFT 300 ms",
                    help="Blank: a name made from the GPUs, the limit and the traffic")
    right.button("Save this scenario", key=SAVE, on_click=_ask, icon=":material/bookmark_add:", width="stretch")
    said()


def _ask() -> None:
    st.session_state[ASKED] = st.session_state.get(NAME) or ""
    st.session_state[NAME] = ""


def said() -> None:
    """The message the last save, load or removal left, once."""
    kind, text = st.session_state.pop(MESSAGE, (None, ""))
    if kind == "success":
        st.success(text, icon=":material/bookmark_added:")
    elif kind:
        st.warning(text, icon=":material/bookmark:")


# --- sizing them -------------------------------------------------------------------------------------------------------

def answer(data: Data, item: Saved) -> Sizing | str:
    """The saved scenario sized on the data loaded now, or why it cannot be."""
    try:
        result = view.scenario_sizing(data, item.scenario)
    except SizerError as exc:
        return _plain(exc)
    return result if result is not None else "its inputs are incomplete"


def answers(data: Data, items: list[Saved] | None = None) -> list[tuple[str, Sizing | str]]:
    """(name, sizing or why not) for every saved scenario: what core.compare, the PDF and the workbook take."""
    return [(item.name, answer(data, item)) for item in (saved() if items is None else items)]


def other_data(data: Data, items: list[Saved]) -> list[Saved]:
    """Saved scenarios whose figures were made with other data than the data loaded now."""
    return [item for item in items if item.fingerprint and item.fingerprint != data.fingerprint]


# --- managing them ---------------------------------------------------------------------------------------------------

def remove(ident: int) -> None:
    items = saved()
    gone = next((s for s in items if s.id == ident), None)
    _keep([s for s in items if s.id != ident])
    if gone is not None:
        st.session_state[MESSAGE] = ("success", f"Removed {md(gone.name)}.")


def rename(ident: int) -> None:
    """The name field's callback: a valid name is taken at once; a bad one stays in the field, said beside it."""
    typed = clean_name(st.session_state.get(f"scenario_name_{ident}"))
    problems: dict[int, str] = st.session_state.setdefault(RENAME, {})
    problems.pop(ident, None)
    items = saved()
    if not typed:
        problems[ident] = "A saved scenario needs a name."
        return
    problem = name_problem(typed, [s for s in items if s.id != ident])
    if problem:
        problems[ident] = problem
        return
    _keep([replace(s, name=typed) if s.id == ident else s for s in items])


def load(ident: int) -> None:
    """Put the saved scenario's values back into the inputs (the button's callback, before the widgets are drawn).
    Values the data loaded now does not offer are left as they are, and said."""
    item = next((s for s in saved() if s.id == ident), None)
    if item is None:
        return
    offered = choices(current_data())
    model = item.values.get("model")
    if model is not None and model not in offered:
        st.session_state[MESSAGE] = ("warning", f"{md(item.name)} cannot be loaded: the data loaded now has no "
                                     f"{md(model)}. Load the data it was saved with on the Data page first.")
        return
    options = offered.get(str(model), {}) if model is not None else {}
    skipped = []
    for key, value in item.values.items():
        if key == "lengths" and value not in options.get("lengths", [value]):
            skipped.append(f"{value} tokens")
            continue
        kept = value
        if key in ("gpus", "tps", "precisions") and isinstance(value, list):
            kept = [v for v in value if v in options.get(key, value)]
            skipped += [str(v) for v in value if v not in kept]
        st.session_state[key] = copy.deepcopy(kept)
    note = f" (not in the data loaded now, left out: {md(', '.join(skipped))})" if skipped else ""
    st.session_state[MESSAGE] = ("success", f"Loaded {md(item.name)} into the scenario inputs{note}.")


def manage(items: list[Saved]) -> None:
    """Each saved scenario: its name (rename in place), its link, Load and Remove."""
    problems: dict[int, str] = st.session_state.get(RENAME, {})
    for item in items:
        with st.container(border=True, key=f"saved_{item.id}"):
            name, opened, loaded, removed = st.columns([4, 1.3, 1.3, 1.3], vertical_alignment="bottom")
            name.text_input("Name", value=item.name, key=f"scenario_name_{item.id}", on_change=rename,
                            args=(item.id,), label_visibility="collapsed",
                            help="Type a new name and press Enter to rename")
            opened.link_button("Open", item.link(), icon=":material/open_in_new:", width="stretch",
                               help="This scenario's link: opens it in a new tab (share it as any page address)")
            loaded.button("Load", key=f"load_{item.id}", on_click=load, args=(item.id,), icon=":material/upload:",
                          width="stretch", help="Put this scenario's values back into the scenario inputs")
            removed.button("Remove", key=f"remove_{item.id}", on_click=remove, args=(item.id,),
                           icon=":material/delete:", width="stretch")
            if item.id in problems:
                st.warning(f"{problems[item.id]} The scenario keeps the name {md(item.name)} meanwhile.",
                           icon=":material/edit_off:")


def _plain(message: object) -> str:
    """An engine message as plain text (a table cell, a document), first letter capital."""
    text = str(message)
    return text[:1].upper() + text[1:]
