"""Small drawing helpers the pages share: problems, the sizing call, provenance notes, tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core import catalog
from core.errors import SizerError
from core.perfmodel import accuracy_note
from core.sizing import Sizing, size
from core.table import LoadedData
from ui.scenario import Scenario

if TYPE_CHECKING:
    import altair as alt

TABLE_COLUMNS = {
    "gpu": st.column_config.TextColumn("GPU"), "tp": st.column_config.NumberColumn("TP"),
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
                                                   help="Whole servers × 8 GPUs × catalog price per GPU-hour × 730 h"),
    "point": st.column_config.TextColumn("Operating point"),
    "provenance": st.column_config.TextColumn("Source"),
}


def chart(spec: alt.TopLevelMixin) -> None:
    """Draw an Altair chart without re-validating its schema on every rerun (core's tests validate each chart)."""
    st.vega_lite_chart(spec.to_dict(validate=False), width="stretch")


def share_link() -> str | None:
    """This page's address with every scenario value that differs from the defaults (the bound inputs)."""
    from urllib.parse import urlencode, urlsplit

    base = st.context.url
    if not base:
        return None
    if not urlsplit(base).path:
        base += "/"
    pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return f"{base}?{urlencode(pairs)}" if pairs else base


def problems(sc: Scenario) -> bool:
    """Show what the user must fix; True when there is something."""
    for problem in sc.problems:
        st.warning(problem, icon=":material/warning:")
    return bool(sc.problems)


def sizing(loaded: LoadedData, sc: Scenario) -> Sizing | None:
    """Size the scenario; an impossible one is a message on the page, and the inputs stay as they are."""
    if sc.query is None or sc.traffic is None:
        return None
    try:
        return size(loaded.table, sc.query, sc.traffic, catalog.usd_per_gpu_hour(), sc.rank_by, sc.utilisation)
    except SizerError as exc:
        st.warning(str(exc)[:1].upper() + str(exc)[1:], icon=":material/warning:")
        return None


def nothing_meets(result: Sizing) -> None:
    miss = result.frontier.nearest_miss
    st.error("No configuration in the data meets these latency limits. "
             + (f"The nearest miss: {miss.describe().removeprefix('nearest miss: ')}. " if miss else "")
             + "Loosen the limit, allow another statistic, or add GPUs and precisions on the What-if page.",
             icon=":material/block:")


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
    return out[list(TABLE_COLUMNS)]
