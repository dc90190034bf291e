"""Small drawing helpers the pages share: problems, the sizing call, provenance notes, tables."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core import cost
from core.cost import CostSettings
from core.errors import SizerError
from core.frontier import Query
from core.perfmodel import accuracy_note
from core.planning import Plan
from core.sizing import Sizing, size
from core.traffic import Traffic
from ui.data import CACHE_TTL, Data
from ui.scenario import Scenario
from ui.text import md, plural, sentence

if TYPE_CHECKING:
    import altair as alt

TABLE_COLUMNS = {
    "gpu": st.column_config.TextColumn("GPU", width=110), "tp": st.column_config.NumberColumn("TP"),
    "precision": st.column_config.TextColumn("Precision"),
    "load": st.column_config.NumberColumn("Concurrency", format="%.1f"),
    "ttft": st.column_config.NumberColumn("TTFT (ms)", format="%.0f"),
    "e2e": st.column_config.NumberColumn("End-to-end (ms)", format="%.0f"),
    "itl": st.column_config.NumberColumn("Inter-token (ms)", format="%.1f"),
    "prompts_per_s_per_server": st.column_config.NumberColumn("Prompts/s per 8 GPUs", format="%.2f"),
    "servers_exact": st.column_config.NumberColumn("Servers (exact)", format="%.2f"),
    "servers": st.column_config.NumberColumn("Servers"),
    "instances": st.column_config.NumberColumn("Instances"),
    "gpus": st.column_config.NumberColumn("GPUs"),
    "usd_per_month": st.column_config.NumberColumn("USD / month", format="$%,.0f",
                                                   help="A year's cost on the sidebar's cost basis ÷ 12 (every price, "
                                                        "its source and the other bases on the Cost page); on the "
                                                        "What-if page: cloud rental, whole servers × 8 GPUs × $/GPU-hour "
                                                        "× 730 h"),
    "point": st.column_config.TextColumn("Operating point"),
    "provenance": st.column_config.TextColumn("Source"),
}


def chart(spec: alt.TopLevelMixin) -> None:
    """Draw an Altair chart without re-validating its schema on every rerun (core's tests validate each chart)."""
    st.vega_lite_chart(spec.to_dict(validate=False), width="stretch")


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV text a spreadsheet opens safely (text cells that would start a formula neutralised), built on click."""
    from core.exports import csv_text

    return csv_text(frame)


def problems(sc: Scenario) -> bool:
    """Show what the user must fix (True when the page cannot size anything), and which inputs are invalid while
    the figures use their last valid values."""
    for problem in sc.problems:
        st.warning(md(problem), icon=":material/warning:")
    for note in sc.stale:
        st.warning(md(note), icon=":material/history:")
    return bool(sc.problems)


def sizing(data: Data, sc: Scenario) -> Sizing | None:
    """Size the scenario; an impossible one is a message on the page, and the inputs stay as they are."""
    try:
        return scenario_sizing(data, sc)
    except SizerError as exc:
        st.warning(sentence(exc), icon=":material/warning:")
        return None


def content_key(*values: object) -> str:
    """One key for the values a cache is keyed on: the repr of frozen dataclasses, numbers, strings and sorted dicts
    is exact and complete. Streamlit would hash them field by field on every rerun (tens of ms on a page that calls
    a few caches); this is one sha256 of one string."""
    return hashlib.sha256(repr(values).encode()).hexdigest()


def scenario_sizing(data: Data, sc: Scenario) -> Sizing | None:
    """The engine's answer to the scenario at the session's prices (None while its inputs are incomplete); raises
    SizerError when the data cannot answer it. The one sizing call every page shares, the Compare page's saved
    scenarios included."""
    if sc.query is None or sc.traffic is None:
        return None
    from ui import cost as costs

    costing = costs.settings(sc.query.model)
    return sized(data.key, data.table, sc.query, sc.traffic, cost.usd_per_gpu_hour(costing.prices, costing.cloud_term),
                 sc.rank_by, sc.utilisation, sc.plan, costing, costs.key(costing))


def sized(key: str, table: pd.DataFrame, query: Query, traffic: Traffic, prices: dict[str, float], rank_by: str,
          utilisation: float, plan: Plan, costing: CostSettings, costing_key: str) -> Sizing:
    """core.sizing.size, cached on content: `key` is the data's hash, `costing_key` the prices' (ui.cost.key), the
    rest are values. A slider moved back to a value seen before costs no sizing; each caller gets its own copy."""
    scenario = content_key(query, traffic, sorted(prices.items()), rank_by, utilisation, plan, costing_key)
    return _sized(key, scenario, table, query, traffic, prices, rank_by, utilisation, plan, costing)


@st.cache_data(show_spinner=False, max_entries=256, ttl=CACHE_TTL)
def _sized(key: str, scenario: str, _table: pd.DataFrame, _query: Query, _traffic: Traffic, _prices: dict[str, float],
           _rank_by: str, _utilisation: float, _plan: Plan, _costing: CostSettings) -> Sizing:
    """Keyed on the data's hash and the scenario's content key only (the arguments after them are what they hash)."""
    return size(_table, _query, _traffic, _prices, _rank_by, _utilisation, costing=_costing, plan=_plan)


def nothing_meets(result: Sizing) -> None:
    miss = result.frontier.nearest_miss
    st.error("No configuration in the data meets these latency limits. "
             + (f"The nearest miss: {md(miss.describe().removeprefix('nearest miss: '))}. " if miss else "")
             + "Loosen the limit, allow another statistic, or add GPUs and precisions on the What-if page.",
             icon=":material/block:")


def dropped_beside(data: Data, best: pd.Series) -> None:
    """Rows left out of the files this answer's measurements come from: they might have changed it."""
    if best.get("provenance") != "measured":
        return
    sources = {s.strip() for s in str(best.get("source") or "").split(";") if s.strip()}
    dropped = [d for d in data.dropped if d.source in sources]
    if not dropped:
        return
    files = ", ".join(sorted({d.source for d in dropped}))
    st.warning(f"{plural(len(dropped), 'row')} of {md(files)}, the file this configuration's measurements come "
               "from, could not be read and were left out (for example row "
               f"{dropped[0].row}, {md(dropped[0].column)}: {md(dropped[0].reason)}). With them the answer might "
               "differ: check the file.", icon=":material/rule:")
    st.page_link("pages/data.py", label="The validation report on the Data page", icon=":material/database:")


def provenance_caption(options: pd.DataFrame) -> None:
    kinds = set(options["provenance"]) if not options.empty else set()
    if "modeled" in kinds:
        st.caption(f"Rows and curves marked *modeled* are {accuracy_note()}. Measured data you load replaces them "
                   "for the configurations it covers.")
    if "measured" in kinds:
        st.caption("Rows marked *measured* come from the loaded benchmark files (Data page).")


def options_frame(result: Sizing) -> pd.DataFrame:
    stat = result.query.limits.stat
    out = result.options.copy()
    out["ttft"], out["e2e"], out["itl"] = out[f"ttft_ms_{stat}"], out[f"e2e_ms_{stat}"], out[f"itl_ms_{stat}"]
    if "gpu_key" in out:  # the catalog's name (the filter's), whatever the file called the GPU
        out["gpu"] = out["gpu_key"].fillna(out["gpu"])
    if "cost_usd_per_month" in out:  # costed: the month's cost on the chosen basis, not a rental at a hidden price
        out["usd_per_month"] = out["cost_usd_per_month"]
    return out[list(TABLE_COLUMNS)]
