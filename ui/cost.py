"""The cost a session works with: the shipped prices with this session's edits, the costing options, and the link
parameters that carry both.

Three kinds of state, each where it survives a page switch: the cost basis is the sidebar's "Cost basis" (bound to the
URL by Streamlit, ui.scenario); the options are widgets of the Cost page's panel kept for the session
(persist_state="session"); the edited prices are a plain session value, a mapping of (table, name, key) to the value
typed. Edits are validated by core.cost.apply_override before they count: a bad value is a message beside the panel
and the costs keep the last valid prices. Every run, the frame (ui.nav) writes the options and the edits into the
URL as short parameters, so a link from any page carries them; the data editors themselves cannot be bound.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from core import catalog, cost, document
from core.errors import SizerError
from core.sizing import Sizing
from ui.text import md, plural

# Widget keys of the panel's options (kept for the session) and the link parameters that carry them.
POWER, HOURS, RENT, TERM, OFFERING, HOSTING = ("cost_opt_power", "cost_opt_hours", "cost_opt_rent", "cost_opt_term",
                                               "cost_opt_api", "cost_opt_hosting")
PARAMS = {POWER: "cost_power", HOURS: "cost_hours", RENT: "cost_rent", TERM: "cost_term", OFFERING: "cost_api",
          HOSTING: "cost_hosting"}
PRICES_PARAM = "prices"  # the edited prices, "key:value;…" (see encode)
MAX_PRICES_PARAM = 1200  # characters; longer edits stay in the session and its prices file, not in the link
BASIS_KEY = "basis"  # the sidebar's cost basis (ui.scenario), bound to the URL
BASIS_LABELS = {"on-prem": "onprem", "cloud": "cloud", "API": "api"}  # as the sidebar shows them → core's names
BASIS_SHORT = {"onprem": "on-prem", "cloud": "cloud", "api": "API"}
RENT_WORDS = {"servers": "Whole servers", "gpus": "GPUs in use"}
TERM_WORDS = {"on_demand": "On-demand", "1yr": "1 year", "3yr": "3 years"}
FIRST_OFFERING = ""  # the API offering option meaning "the price sheet's first for the model"
HOSTING_WORDS = {"per_server_year": "Per server and year", "per_kw_month": "Per kW and month"}

_EDITS = "_cost_edits"        # session: {(table, name, key): value} the user's valid edits
_VERSION = "_cost_editor_v"   # session: the editors' key suffix, moved on after each accepted edit (a fresh editor)
_PROBLEM = "_cost_problem"    # session: why the pending edit was not applied (None when there is none)
_URL_READ = "_cost_url_read"  # session: the link's cost parameters were read (first run only)
_TOO_LONG = "_cost_too_long"  # session: the edits were too long for the link this run
EDITED_SOURCE = "your figure, edited in the app's cost panel"
EDITED_AS_OF = "as edited"

# The editors: rows and columns fixed by the shipped price sheet, so that an edit's row number always means the same.
SITE_KEYS = ("depreciation_years", "cost_of_capital", "hosting_usd_per_server_year", "hosting_usd_per_kw_month",
             "licence_usd_per_gpu_year", "electricity_usd_per_kwh", "pue", "power_load", "rack_kw_limit",
             "rack_units_per_rack")
SITE_NAMES = {**document.PRICE_NAMES, "cost_of_capital": "Cost of capital (0.08 = 8 %/yr)",
              "power_load": "Average power draw (1 = full)"}
GPU_COLUMNS = {"server_usd": "Server (8 GPUs), $", "server_kw": "Server power, kW", "rack_units": "Rack units",
               "cloud_usd_per_gpu_hour": "Cloud on-demand, $/GPU-h", "cloud_usd_per_gpu_hour_1yr": "Cloud 1-yr, $/GPU-h",
               "cloud_usd_per_gpu_hour_3yr": "Cloud 3-yr, $/GPU-h"}
API_COLUMNS = {"usd_per_m_input": "Input, $ per 1M tokens", "usd_per_m_output": "Output, $ per 1M tokens"}
OWN_API = "Your own per-token prices (replace any offering)"
EDITORS = ("site", "gpus", "api")


# --- the session's prices and settings -----------------------------------------------------------------------------------

def edits() -> dict[tuple[str, str, str], float]:
    return dict(st.session_state.get(_EDITS, {}))


def raw_override(changes: Mapping[tuple[str, str, str], object], hosting: str | None = None) -> dict[str, object]:
    """Edits in the shape of a prices file (core.cost.parse), each value saying it was edited here."""
    raw: dict[str, dict] = {}

    def put(table: dict, key: str, value: object) -> None:
        table[key] = value
        table.setdefault("source", {})[key] = EDITED_SOURCE
        table.setdefault("as_of", {})[key] = EDITED_AS_OF

    for (kind, name, key), value in changes.items():
        if kind == "site":
            put(raw.setdefault("site", {}), key, value)
        elif kind == "gpu":
            put(raw.setdefault("gpu", {}).setdefault(name, {}), key, value)
        elif kind == "api":
            put(raw.setdefault("api", {}), key, value)
        else:
            put(raw.setdefault("api", {}).setdefault("offerings", {}).setdefault(name, {}), key, value)
    if hosting is not None:
        put(raw.setdefault("site", {}), "hosting_basis", hosting)
    elif any(kind == "site" and key_.startswith("hosting_usd_") for kind, _, key_ in changes):
        # A hosting figure typed alone would switch the basis to its own (core.cost.merge); the panel's "Hosting
        # charged" says the basis, so it stays the price sheet's until that control changes it.
        shipped = cost.default_prices().site.get("hosting_basis")
        if shipped is not None:
            site = raw.setdefault("site", {})
            site["hosting_basis"] = shipped.value
            site.setdefault("source", {})["hosting_basis"] = shipped.source
            site.setdefault("as_of", {})["hosting_basis"] = shipped.as_of
    return raw


def _hosting_choice() -> str | None:
    """The panel's hosting basis when it differs from the price sheet's."""
    chosen = st.session_state.get(HOSTING)
    shipped = cost.default_prices().site.get("hosting_basis")
    return chosen if chosen and (shipped is None or chosen != shipped.value) else None


def prices() -> cost.Prices:
    """The shipped prices with this session's valid edits (they were checked when accepted)."""
    changes, hosting = edits(), _hosting_choice()
    if not changes and hosting is None:
        return cost.default_prices()
    try:
        return cost.apply_override(cost.default_prices(), raw_override(changes, hosting), "the cost panel")
    except SizerError:  # cannot happen for accepted edits; never let it cost the page
        st.session_state[_EDITS] = {}
        return cost.default_prices()


def basis() -> str:
    return BASIS_LABELS.get(st.session_state.get(BASIS_KEY) or "on-prem", "onprem")


def offerings_for(model: str | None, sheet: cost.Prices | None = None) -> list[str]:
    """The named API offerings of this model (the price sheet's order)."""
    sheet = sheet or prices()
    wanted = catalog.resolve_model(model) if model else None
    out = []
    for name, entry in sheet.offerings.items():
        found = catalog.resolve_model(str(entry["model"].value))
        if model and ((found and wanted and found.name == wanted.name) or str(entry["model"].value) == model):
            out.append(name)
    return out


def settings(model: str | None = None) -> cost.CostSettings:
    """How this session costs: its prices, the sidebar's basis and the panel's options. A chosen API offering counts
    only for the model it serves (another model falls back to that model's first offering)."""
    s = st.session_state
    sheet = prices()
    offering = s.get(OFFERING) or None
    if offering not in offerings_for(model, sheet):
        offering = None
    hours = s.get(HOURS, 24.0)
    return cost.CostSettings(sheet, basis(), bool(s.get(POWER, False)),
                             float(hours) if isinstance(hours, (int, float)) and 0 < hours <= 24 else 24.0,
                             s.get(RENT) or "servers", s.get(TERM) or "on_demand", offering)


def key(settings_: cost.CostSettings) -> str:
    """A content key for caches: the prices' digest and every choice (never an object's id)."""
    parts = [settings_.prices.digest(), settings_.basis, settings_.include_power, settings_.peak_hours_per_day,
             settings_.rent, settings_.cloud_term, settings_.api_offering]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def usd_per_gpu_hour() -> dict[str, float]:
    """Cloud prices per GPU-hour for the session's prices and cloud term (the options' monthly rental column)."""
    s = settings()
    return cost.usd_per_gpu_hour(s.prices, s.cloud_term)


# --- the link: read once, written every run ------------------------------------------------------------------------------

def follow_url() -> None:
    """The frame's call: on a session's first run take the link's cost values (a toast for each one not usable),
    then apply a pending edit from the Cost page's panel, then write the options and edits into the URL."""
    s = st.session_state
    if _URL_READ not in s:
        s[_URL_READ] = True
        _read_link()
    commit_edits()
    _write_link()


def _options_from_link() -> dict[str, object]:
    """The link's option values, checked; a toast names each one not usable and what is used instead."""
    checks = {
        POWER: (lambda v: {"1": True, "true": True, "0": False, "false": False}[v.lower()], "include power (1 or 0)",
                "left out"),
        HOURS: (lambda v: _hours(float(v)), "peak hours per day (above 0, at most 24)", "24"),
        RENT: (lambda v: _one_of(v, RENT_WORDS), "cloud rental (servers or gpus)", "whole servers"),
        TERM: (lambda v: _one_of(v, TERM_WORDS), "cloud term (on_demand, 1yr or 3yr)", "on-demand"),
        OFFERING: (lambda v: _one_of(v, cost.default_prices().offerings), "API offering", "the model's first"),
        HOSTING: (lambda v: _one_of(v, HOSTING_WORDS), "hosting basis (per_server_year or per_kw_month)",
                  "the price sheet's"),
    }
    out = {}
    for widget, (parse, what, instead) in checks.items():
        raw = st.query_params.get(PARAMS[widget])
        if raw is None:
            continue
        try:
            out[widget] = parse(raw)
        except (KeyError, ValueError, TypeError):
            st.toast(f"The link's {PARAMS[widget]}={md(raw)} is not a valid {what}: using {instead} instead.",
                     icon=":material/link_off:")
    return out


def _hours(value: float) -> float:
    if not (math.isfinite(value) and 0 < value <= 24):
        raise ValueError(value)
    return value


def _one_of(value: str, allowed: Mapping[str, object]) -> str:
    if value not in allowed:
        raise KeyError(value)
    return value


def _read_link() -> None:
    s = st.session_state
    for widget, value in _options_from_link().items():
        s[widget] = value
    text = st.query_params.get(PRICES_PARAM)
    if not text:
        return
    changes, bad = decode(text)
    hosting = s.get(HOSTING) if s.get(HOSTING) != _shipped_hosting() else None
    kept = {}
    for entry, value in changes.items():  # each on its own: a value out of range, a key no table has
        try:
            cost.apply_override(cost.default_prices(), raw_override({entry: value}), "the link")
        except SizerError as exc:
            if "needs both" not in str(exc):  # half of a pair is judged with the other half, below
                bad.append(f"{encode({entry: value})} ({_reason(exc)})")
                continue
        kept[entry] = value
    try:
        cost.apply_override(cost.default_prices(), raw_override(kept, hosting), "the link")
    except SizerError as exc:
        bad.append(_reason(exc))
        kept = {}
    s[_EDITS] = kept
    if bad:
        st.toast(f"The link's prices could not all be used: {md('; '.join(bad))}. "
                 + ("Using the others, with the shipped figures for these." if kept else "Using the shipped prices."),
                 icon=":material/link_off:")


def _shipped_hosting() -> object:
    figure = cost.default_prices().site.get("hosting_basis")
    return figure.value if figure else None


def encode(changes: Mapping[tuple[str, str, str], object]) -> str:
    """Edits as one short text: site keys bare, the rest after their GPU, offering or "api" and a dot, e.g.
    "pue:1.3;H100 SXM.server_usd:320000;api.usd_per_m_input:1" (names never hold ':' or ';')."""
    parts = []
    for (kind, name, key_), value in changes.items():
        where = "" if kind == "site" else "api." if kind == "api" else f"{name}."
        parts.append(f"{where}{key_}:{_number_text(value)}")
    return ";".join(parts)


def decode(text: str) -> tuple[dict[tuple[str, str, str], float], list[str]]:
    """The edits a link's text names, and the entries it could not read (each as given)."""
    sheet = cost.default_prices()
    changes: dict[tuple[str, str, str], float] = {}
    bad = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name_key, sep, value_text = part.rpartition(":")
        where, _, key_ = name_key.rpartition(".")
        try:
            value = float(value_text)
        except ValueError:
            value = math.nan
        if not sep or not math.isfinite(value):
            bad.append(part)
        elif not where:
            changes[("site", "", key_)] = value
        elif where == "api":
            changes[("api", "", key_)] = value
        elif catalog.resolve_gpu(where) is not None or where in sheet.gpus:
            found = sheet.gpu_entry(where)
            changes[("gpu", found[0] if found else where, key_)] = value
        elif where in sheet.offerings:
            changes[("offering", where, key_)] = value
        else:
            bad.append(part)
    return changes, bad


def _number_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.12g}"


def _write_link() -> None:
    s = st.session_state
    wanted: dict[str, str] = {}
    for widget, param in PARAMS.items():
        value = s.get(widget)
        default = {POWER: False, HOURS: 24.0, RENT: "servers", TERM: "on_demand", OFFERING: FIRST_OFFERING,
                   HOSTING: _shipped_hosting()}[widget]
        if value is None or value == default:
            continue
        wanted[param] = ("1" if value else "0") if widget == POWER else _number_text(value) if widget == HOURS \
            else str(value)
    text = encode(edits())
    s[_TOO_LONG] = len(text) > MAX_PRICES_PARAM
    if text and not s[_TOO_LONG]:
        wanted[PRICES_PARAM] = text
    for param in (*PARAMS.values(), PRICES_PARAM):
        if param in wanted:
            if st.query_params.get(param) != wanted[param]:
                st.query_params[param] = wanted[param]
        elif param in st.query_params:
            del st.query_params[param]


# --- the editors ---------------------------------------------------------------------------------------------------------

def _editor_key(which: str) -> str:
    return f"cost_edit_{which}_{st.session_state.get(_VERSION, 0)}"


def _cells(which: str) -> list[list[tuple[str, str, str] | None]]:
    """Per editor row, per editable column: the price that cell is (None: not editable)."""
    sheet = cost.default_prices()
    if which == "site":
        return [[("site", "", k)] for k in SITE_KEYS]
    if which == "gpus":
        return [[("gpu", name, k) for k in GPU_COLUMNS] for name in sheet.gpus]
    return [[("api", "", k) for k in API_COLUMNS]] + [[("offering", name, k) for k in API_COLUMNS]
                                                      for name in sheet.offerings]


def _editable_columns(which: str) -> list[str]:
    return ["Value"] if which == "site" else list(GPU_COLUMNS.values()) if which == "gpus" else list(API_COLUMNS.values())


def _value(sheet: cost.Prices, cell: tuple[str, str, str]) -> float | None:
    kind, name, key_ = cell
    table = (sheet.site if kind == "site" else sheet.gpus.get(name, {}) if kind == "gpu"
             else sheet.api if kind == "api" else sheet.offerings.get(name, {}))
    figure = table.get(key_)
    return float(figure.value) if figure is not None and not isinstance(figure.value, str) else None  # type: ignore[arg-type]


def _pending(which: str) -> dict[tuple[str, str, str], float | None]:
    """The cells the user changed in one editor since it was drawn (None: a cell emptied)."""
    state = st.session_state.get(_editor_key(which))
    if not isinstance(state, Mapping):
        return {}
    cells, columns = _cells(which), _editable_columns(which)
    out: dict[tuple[str, str, str], float | None] = {}
    for row, changed in (state.get("edited_rows") or {}).items():
        try:
            row_cells = cells[int(row)]
        except (ValueError, IndexError):
            continue
        for column, value in (changed or {}).items():
            if column in columns:
                number = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
                out[row_cells[columns.index(column)]] = number
    return out


def commit_edits() -> None:
    """Apply the panel's pending edits when they are valid (the editors then start afresh from the new prices); when
    not, keep the prices and say why, leaving the edit in the editor to be corrected."""
    s = st.session_state
    pending: dict[tuple[str, str, str], float | None] = {}
    for which in EDITORS:
        pending.update(_pending(which))
    s[_PROBLEM] = None
    if not pending:
        return
    shipped = cost.default_prices()
    candidate = edits()
    for cell, value in pending.items():
        was = _value(shipped, cell)
        if value is None or (was is not None and _is_number(value) and math.isclose(float(value), was)):
            candidate.pop(cell, None)  # emptied, or back at the shipped figure: the shipped figure again
        else:
            candidate[cell] = value  # text or a number out of range: core.cost says what it wants, below
    try:
        cost.apply_override(shipped, raw_override(candidate, _hosting_choice()), "the cost panel")
    except SizerError as exc:
        s[_PROBLEM] = _problem(pending, candidate, exc)
        return
    s[_EDITS] = {cell: float(v) for cell, v in candidate.items()}  # type: ignore[arg-type]
    s[_VERSION] = s.get(_VERSION, 0) + 1


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _problem(pending: Mapping, candidate: Mapping, exc: SizerError) -> str:
    """The first pending cell that is wrong on its own, in words; else what the edits together lack."""
    for cell, value in pending.items():
        if value is None:
            continue
        try:
            cost.apply_override(cost.default_prices(), raw_override({cell: value}), "the cost panel")
        except SizerError as one:
            if "needs both" not in str(one):  # half of a pair: judged with the other half
                return f"{cell_name(cell)}: {_reason(one)}"
    return _reason(exc)


def _reason(exc: SizerError) -> str:
    text = str(exc)
    if "needs both usd_per_m_input and usd_per_m_output" in text:
        return "your own per-token prices need both the input and the output price"
    for marker in (" must be ", " has no "):
        if marker in text:
            return text[text.index(marker) + 1:]
    return text


def cell_name(cell: tuple[str, str, str]) -> str:
    kind, name, key_ = cell
    if kind == "site":
        return SITE_NAMES.get(key_, key_)
    if kind == "gpu":
        return f"{name}, {GPU_COLUMNS.get(key_, key_)}"
    where = "your own API prices" if kind == "api" else name
    return f"{where}, {API_COLUMNS.get(key_, key_)}"


def _frame(which: str, sheet: cost.Prices) -> pd.DataFrame:
    """An editor's table: fixed rows, the current prices (shipped with accepted edits) in the editable columns."""
    shipped = cost.default_prices()
    if which == "site":
        rows = []
        for key_ in SITE_KEYS:
            figure = sheet.site.get(key_)
            rows.append({"Price": SITE_NAMES.get(key_, key_), "Value": _value(sheet, ("site", "", key_)),
                         "Source": figure.source if figure else "no sourced figure: enter yours",
                         "As of": figure.as_of if figure else ""})
        return pd.DataFrame(rows)
    if which == "gpus":
        return pd.DataFrame([{"GPU": name, **{col: _value(sheet, ("gpu", name, k)) for k, col in GPU_COLUMNS.items()}}
                             for name in shipped.gpus])
    rows = [{"Offering": OWN_API, "Model": "any",
             **{col: _value(sheet, ("api", "", k)) for k, col in API_COLUMNS.items()}}]
    rows += [{"Offering": name, "Model": str(entry["model"].value),
              **{col: _value(sheet, ("offering", name, k)) for k, col in API_COLUMNS.items()}}
             for name, entry in shipped.offerings.items()]
    return pd.DataFrame(rows)


def _number_column(label: str, help_: str | None = None, fmt: str | None = None, width: int | None = None) -> object:
    return st.column_config.NumberColumn(label, help=help_, format=fmt, min_value=None, width=width)


def panel(model: str | None) -> None:
    """The Cost page's panel: the options, then the prices in three editors; edits apply when valid."""
    s = st.session_state
    sheet = prices()
    choices = offerings_for(model, sheet)
    # Defaults go into the session before the widgets exist (a link may have set some): no widget gets both.
    for widget, default in ((POWER, False), (HOURS, 24.0), (RENT, "servers"), (TERM, "on_demand"),
                            (OFFERING, FIRST_OFFERING),
                            (HOSTING, _shipped_hosting() or "per_server_year")):
        if widget not in s:
            s[widget] = default
    if s[OFFERING] not in [FIRST_OFFERING, *choices]:
        s[OFFERING] = FIRST_OFFERING
    c1, c2, c3 = st.columns(3)
    with c1:
        st.toggle("Include power in on-prem", key=POWER, persist_state="session",
                  help="Electricity (server kW × PUE × 8,760 h × $/kWh) added to the on-prem cost. Off: NVIDIA's TCO "
                       "method, where hosting covers it; the power cost is then listed apart")
        st.segmented_control("Hosting charged", list(HOSTING_WORDS), format_func=HOSTING_WORDS.get, key=HOSTING,
                             required=True, persist_state="session",
                             help="Per server and year (NVIDIA's TCO method), or per kW of server power and month "
                                  "(colocation)")
    with c2:
        st.segmented_control("Rent in the cloud", list(RENT_WORDS), format_func=RENT_WORDS.get, key=RENT,
                             required=True, persist_state="session",
                             help="Whole 8-GPU servers (what clouds rent for NVLink systems), or only the GPUs the "
                                  "model copies use")
        st.segmented_control("Cloud term", list(TERM_WORDS), format_func=TERM_WORDS.get, key=TERM, required=True,
                             persist_state="session",
                             help="Which cloud price per GPU-hour: on-demand, or reserved for 1 or 3 years (where the "
                                  "price sheet has one: enter yours under 'Servers and cloud, per GPU')")
    with c3:
        st.slider("Peak hours per day (cloud)", min_value=1.0, max_value=24.0, step=0.5, key=HOURS,
                  persist_state="session", format="%g h",
                  help="The cloud fleet is sized for the peak this many hours a day and for the average traffic the "
                       "rest (an upper bound: the quiet hours are below the average). 24: the peak fleet all day")
        st.selectbox("API offering", [FIRST_OFFERING, *choices], key=OFFERING, persist_state="session",
                     format_func=lambda o: o or "The price sheet's first for this model",
                     help="Which per-token offering to compare with. Your own per-token prices, when you give both "
                          "below, replace any offering")
    if problem := s.get(_PROBLEM):
        st.warning(f"That edit is not applied: {md(problem)}. The costs use the last valid prices until it is "
                   "corrected.", icon=":material/error:")
    site, gpus, api = st.tabs(["Site and method", "Servers and cloud, per GPU", "API per token"])
    with site:
        st.data_editor(_frame("site", sheet), key=_editor_key("site"), hide_index=True, num_rows="fixed",
                       disabled=["Price", "Source", "As of"], width="stretch", placeholder="",
                       alt="Site and method prices, editable, with sources",
                       column_config={"Price": st.column_config.TextColumn("Price", width=240),
                                      "Value": _number_column("Value"),
                                      "Source": st.column_config.TextColumn("Source", width="large")})
    with gpus:
        st.data_editor(_frame("gpus", sheet), key=_editor_key("gpus"), hide_index=True, num_rows="fixed",
                       disabled=["GPU"], width="stretch", placeholder="", alt="Server and cloud prices per GPU, editable",
                       column_config={col: _number_column(col) for col in GPU_COLUMNS.values()})
        st.caption("An empty cell has no sourced figure: enter yours to price it. Sources are listed under "
                   "'Every price used'.")
    with api:
        st.data_editor(_frame("api", sheet), key=_editor_key("api"), hide_index=True, num_rows="fixed",
                       disabled=["Offering", "Model"], width="stretch", placeholder="",
                       alt="API prices per 1M tokens, editable",
                       column_order=["Offering", *API_COLUMNS.values(), "Model"],  # the prices in sight on a phone
                       column_config={"Offering": st.column_config.TextColumn("Offering", width=170),
                                      "Model": st.column_config.TextColumn("Model", width="small"),
                                      **{col: _number_column(col, help_=col, width=140) for col in API_COLUMNS.values()}})
    changed = edits()
    cols = st.columns([1, 1, 2])
    cols[0].button("Back to the shipped prices", on_click=reset, icon=":material/restart_alt:", key="cost_reset",
                   disabled=not changed and _hosting_choice() is None and not s.get(_PROBLEM), width="stretch",
                   help="Every price as shipped, and any edit not applied cleared from the tables")
    cols[1].download_button("Your prices (TOML)", data=lambda: cost.override_toml(raw_override(changed, _hosting_choice())),
                            file_name="my-prices.toml", mime="application/toml", on_click="ignore", key="cost_toml",
                            icon=":material/download:", disabled=not changed and _hosting_choice() is None,
                            width="stretch", help="The edited prices as a file for the command line's --prices")
    cols[2].caption(link_note(changed))


def problem() -> str | None:
    """Why the panel's pending edit is not applied (None when there is none)."""
    return st.session_state.get(_PROBLEM)


def reset() -> None:
    s = st.session_state
    s[_EDITS] = {}
    s[_PROBLEM] = None
    s[_VERSION] = s.get(_VERSION, 0) + 1
    if _shipped_hosting() in HOSTING_WORDS:
        s[HOSTING] = _shipped_hosting()


def link_note(changed: Mapping) -> str:
    """What the page address carries of the cost, and what it does not."""
    carried = "The page address carries the cost basis and these options"
    if not changed:
        return carried + "; edit a price and it carries that too."
    if st.session_state.get(_TOO_LONG):
        return (f"{carried}, but not your {plural(len(changed), 'edited price')}: too many for a link. Download them "
                "(TOML) to keep them; the command line reads the file with --prices.")
    return (f"{carried}, and your {plural(len(changed), 'edited price')}. It does not carry uploaded benchmark files, "
            "and a price file used on the command line is not part of it.")


# --- drawing the cost -------------------------------------------------------------------------------------------------------

def money(value: float | None) -> str:
    """Whole dollars from $100 up, cents from $1, three significant figures below ($0.661 per 1k prompts)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.3f}" if abs(value) >= 0.1 else f"${value:.3g}" if value else "$0"


def app_words(text: str) -> str:
    """The engine's words as the app's user reads them: they name the command line's prices file and its tables."""
    return text.replace("in a --prices file", "in the cost panel (Cost page)")


def figures_help(result: Sizing, basis_: str) -> list[str]:
    """The chosen option's cost on one basis: its arithmetic, then every price it rests on with source and date."""
    settings_ = result.costing
    best = result.best
    if settings_ is None or best is None:
        return []
    title = document.BASIS_TITLES[basis_]
    lines = [app_words(line) for line in document.cost_lines(result) if line.startswith(title)]
    for row in cost.basis_figures(settings_.prices, str(best["gpu"]), result.frontier.model, settings_, basis_):
        name = document.PRICE_NAMES.get(str(row["key"]), str(row["key"]))
        section = str(row["section"])
        if section.startswith("gpu."):
            name = f"{section[4:].strip(chr(34))} {name}"
        elif section.startswith("api.offerings."):
            name = f"{section.split('.', 2)[2].strip(chr(34))}: {name}"
        lines.append(f"{name}: {document.price_value(str(row['key']), row['value'])} — {row['source']} "
                     f"({row['as_of']})")
    return lines


def answer_metric(column, result: Sizing) -> None:
    """The Answer page's cost: the chosen fleet on the basis the user picked, its sources in the help, and the way to
    the Cost page."""
    best, settings_ = result.best, result.costing
    if best is None or settings_ is None:
        return
    basis_ = settings_.basis
    yearly = best.get(f"{basis_}_usd_per_year")
    yearly = float(yearly) if yearly is not None and not pd.isna(yearly) else None
    missing = [app_words(m) for m in str(best.get("cost_missing") or "").split("; ") if m]
    lines = figures_help(result, basis_) if yearly is not None else [f"Not priced: {m}" for m in missing]
    per_k = best.get(f"{basis_}_usd_per_1k_prompts")
    extra = (f"{money(yearly / 12)} a month" if yearly is not None else "") + (
        f", {money(float(per_k))} per 1,000 prompts" if per_k is not None and not pd.isna(per_k) else "")
    help_ = "\n\n".join(md(line) for line in ([extra] if extra else []) + lines
                        + ["The other bases, power, the break-even and every price on the Cost page."])
    column.metric(f"Cost a year ({BASIS_SHORT[basis_]})", money(yearly), help=help_)
    column.page_link("pages/cost.py", label="Cost on every basis", icon=":material/payments:")


def price_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Price rows (core.cost's section, key, value, source, as_of) as a person reads them: what it applies to, the
    price in words, its value with its unit, where it comes from and when."""
    out = []
    for row in rows:
        section, key_ = str(row["section"]), str(row["key"])
        if key_ == "model":
            continue
        applies = ("Site and method" if section == "site" else section[4:].strip('"') if section.startswith("gpu.")
                   else "Your own API prices" if section == "api" else section.split(".", 2)[2].strip('"'))
        name = SITE_NAMES.get(key_) if section == "site" else GPU_COLUMNS.get(key_) or API_COLUMNS.get(key_)
        out.append({"Applies to": applies, "Price": name or document.PRICE_NAMES.get(key_, key_),
                    "Value": document.price_value(key_, row["value"]), "Source": str(row["source"]),
                    "As of": str(row["as_of"])})
    return pd.DataFrame(out, columns=["Applies to", "Price", "Value", "Source", "As of"])
