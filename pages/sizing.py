"""Sizing: every configuration ranked, measured and interpolated points told apart, and the cost of latency."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from core import charts, document
from core.frontier import Query
from core.planning import Plan
from core.sizing import servers_by_limit
from core.traffic import Traffic
from ui import data, nav, planning, scenario, view
from ui.text import md, plural

nav.ensure_router()
st.title("Sizing")
st.caption("Every configuration that meets the latency limits (sidebar), ranked, with its likely range.")
loaded = data.current()
left, right = st.columns([1, 1], gap="medium")
with left:
    scenario.filter_inputs(loaded)
sc = scenario.current()


@st.cache_data(show_spinner="Sizing at every limit…", max_entries=128, ttl=data.CACHE_TTL)
def _cost_steps(key: str, scenario: str, _table: pd.DataFrame, _query: Query, _traffic: Traffic, _metric: str,
                _utilisation: float, _plan: Plan) -> pd.DataFrame:
    """Servers at 40 limits from 30 ms to 30 s; the swept limit is left out of the query, so moving it hits the
    cache. `key` is the data's content hash, `scenario` the content key of the rest (view.content_key). The plan's
    bursts and P(wait) apply; its ranges and growth do not (servers_by_limit leaves them out), nor are they passed."""
    limits = np.unique(np.round(np.geomspace(30, 30_000, 40)))
    return servers_by_limit(_table, _query, _traffic, list(limits), _metric, _utilisation, _plan)


@st.cache_data(show_spinner=False, max_entries=256, ttl=data.CACHE_TTL)
def _cost_chart(key: str, scenario: str, limit_ms: float | None, _steps: pd.DataFrame) -> dict:
    """The cost-of-latency chart's Vega-Lite spec, keyed like the steps it draws plus the user's limit: building the
    Altair chart costs more than the rest of the page's rerun after a slider move."""
    return charts.cost_of_latency(_steps, limit_ms).to_dict(validate=False)


def _highlight(frame: pd.DataFrame) -> pd.DataFrame:
    """Interpolated points on an amber background, so they never pass for measured ones."""
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    styles.loc[frame["point"] == "interpolated", :] = "background-color: rgba(255, 193, 7, 0.25)"
    return styles


with right:
    view.problems(sc)
    result = view.sizing(loaded, sc)
    if result is not None and result.best is not None:
        st.metric("Best", plural(int(result.best["servers"]), "server"),
                  help="Rank: whole servers, then exact, then GPUs")
        st.caption(f"{result.best['servers_exact']:.2f} servers exactly: {md(document.gpu_name(result.best))} · "
                   f"TP{int(result.best['tp'])} · {md(result.best['precision'])} at concurrency "
                   f"{result.best['load']:.3g}")
        planning.range_line(result.best, "The Answer page says how sure, and why.")
        view.dropped_beside(loaded, result.best)
if result is not None:
    for note in result.frontier.notes:
        st.caption(md(note))
    if result.best is None:
        view.nothing_meets(result)
    else:
        st.subheader("Every configuration, ranked")
        frame, columns = planning.options_table(result)
        styled = frame.style.apply(_highlight, axis=None) if (frame["point"] == "interpolated").any() else frame
        st.dataframe(styled, column_config=columns, hide_index=True, key="options_table")
        amber = ("Amber rows are interpolated to the exact limit between two benchmarked concurrencies. "
                 if (frame["point"] == "interpolated").any() else "")
        st.caption(f"{amber}The Operating point column says what each row is: a benchmarked concurrency (measured), "
                   "one interpolated between two, or one the performance model solved for your limit. Likely "
                   "from/to: the range of servers from the named sources of spread (the Answer page lists them); "
                   "Busy and P(wait): the open-loop check of the instances asked for.")
        view.provenance_caption(result.options)
        q = result.query
        metric = "ttft_ms" if q.limits.ttft_ms is not None or q.limits.e2e_ms is None else "e2e_ms"
        st.subheader("The cost of latency")
        swept = (replace(q, limits=replace(q.limits, **{metric: None})), result.traffic, metric, result.utilisation,
                 Plan(burst=sc.plan.burst, p_wait=sc.plan.p_wait, ranges=False))
        swept_key = view.content_key(*swept)
        steps = _cost_steps(loaded.key, swept_key, loaded.table, *swept)
        st.vega_lite_chart(_cost_chart(loaded.key, swept_key, getattr(q.limits, metric), steps), width="stretch")
        st.caption(f"Servers needed as the {'TTFT' if metric == 'ttft_ms' else 'end-to-end'} limit ({q.limits.stat}) "
                   "moves, other limits held; the red line is yours. Solid: whole servers; dashed: exact.")
if result is not None:
    planning.capacity_section(loaded, sc)
