"""Planning beyond the course's one number, drawn: the answer's range and its sources, the tornado, the open-loop
check of the headroom, spares, growth, bursts in the traffic derivation, and the inverse question (what a fleet or a
budget carries). The engine is core.planning and core.uncertainty; this module only draws and caches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import charts, cost, planning, uncertainty
from core.cost import CostSettings
from core.errors import SizerError
from core.frontier import Query
from core.planning import Plan
from core.sizing import Sizing
from core.traffic import Traffic
from ui import cost as costs
from ui import links, view
from ui.data import CACHE_TTL, Data
from ui.scenario import Scenario
from ui.text import md, plural, sentence

RANGE_COLUMNS = {
    "servers_low": st.column_config.NumberColumn("Likely from", help="Servers, low end of the likely range"),
    "servers_high": st.column_config.NumberColumn("Likely to", help="Servers, high end of the likely range (empty: "
                                                                     "no upper bound)"),
    "utilisation": st.column_config.NumberColumn("Busy", format="percent",
                                                 help="How busy the instances run at peak (open-loop check)"),
    "p_wait": st.column_config.NumberColumn("P(wait)", format="percent",
                                            help="Chance that a request finds every instance busy (Erlang C)"),
    "servers_with_spares": st.column_config.NumberColumn("With spares", help="Servers + spares"),
}
CAPACITY_COLUMNS = {
    "gpu": st.column_config.TextColumn("GPU"), "tp": st.column_config.NumberColumn("TP"),
    "precision": st.column_config.TextColumn("Precision"),
    "peak_rps": st.column_config.NumberColumn("Peak req/s carried", format="%,.1f",
                                              help="The peak whose traffic (and burst) these servers carry within "
                                                   "the limits and headroom"),
    "calls_per_year": st.column_config.NumberColumn("Calls per year", format="%,.0f",
                                                    help="That peak through your call assumptions: ÷ peak factor × "
                                                         "seconds per year ÷ requests per call"),
    "servers": st.column_config.NumberColumn("Servers"),
    "usable_servers": st.column_config.NumberColumn("Serving", help="Servers less the spares"),
    "instances": st.column_config.NumberColumn("Instances"),
    "usd_per_month": st.column_config.NumberColumn(
        "USD / month", format="$%,.0f", help="Cloud rental of these servers: 8 GPUs × the cloud price per GPU-hour of "
                                             "your cost settings (Cost page) × 730 h"),
    "provenance": st.column_config.TextColumn("Source"),
}
HAVE = {"servers": "Servers", "budget": "USD / month"}


def pct(share: float, digits: int = 0) -> str:
    """0.934 → '93.4 %' (the app writes a space before %)."""
    return f"{share * 100:,.{digits}f} %"


# ---------------------------------------------------------------------------------------------------------- caches
def _tornado(data: Data, sc: Scenario) -> tuple[pd.DataFrame, dict]:
    costing = costs.settings(sc.query.model)
    prices = cost.usd_per_gpu_hour(costing.prices, costing.cloud_term)
    costing_key = costs.key(costing)
    args = (sc.query, sc.traffic, prices, sc.rank_by, sc.utilisation, sc.plan, costing, costing_key)
    scenario = view.content_key(sc.query, sc.traffic, sorted(prices.items()), sc.rank_by, sc.utilisation, sc.plan,
                                costing_key)
    return _tornado_cached(data.key, scenario, data.table, *args)


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL)
def _tornado_cached(key: str, scenario: str, _table: pd.DataFrame, _query: Query, _traffic: Traffic,
                    _prices: dict[str, float], _rank_by: str, _utilisation: float, _plan: Plan,
                    _costing: CostSettings, _costing_key: str) -> tuple[pd.DataFrame, dict]:
    """The tornado of the best option and its chart's Vega-Lite spec, cached on content like the sizing it starts
    from (`key`: the data's hash; `scenario`: the content key of the rest). Building the Altair chart costs more
    than the rest of the page: done once per scenario."""
    result = view.sized(key, _table, _query, _traffic, _prices, _rank_by, _utilisation, _plan, _costing,
                        _costing_key)
    swings = uncertainty.tornado(_table, result)
    return swings, charts.tornado(swings).to_dict(validate=False) if len(swings) else {}


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL)
def _years_chart(years: pd.DataFrame) -> dict:
    """The servers-per-year chart's spec, keyed on the (small) table itself."""
    return charts.servers_by_year(years).to_dict(validate=False)


def _capacity(data: Data, sc: Scenario, servers: int | None, usd_per_month: float | None) -> planning.Capacity:
    prices = costs.usd_per_gpu_hour()
    scenario = view.content_key(sc.query, servers, usd_per_month, sorted(prices.items()), sc.utilisation, sc.plan,
                                sc.traffic.inputs)
    return _capacity_cached(data.key, scenario, data.table, sc.query, servers, usd_per_month, prices, sc.utilisation,
                            sc.plan, sc.traffic)


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL)
def _capacity_cached(key: str, scenario: str, _table: pd.DataFrame, _query: Query, _servers: int | None,
                     _usd_per_month: float | None, _prices: dict[str, float], _utilisation: float, _plan: Plan,
                     _traffic: Traffic) -> planning.Capacity:
    """What the servers (or the budget) carry, cached on the data's hash and the content key of the rest."""
    return planning.capacity(_table, _query, servers=_servers, usd_per_month=_usd_per_month, usd_per_gpu_hour=_prices,
                             utilisation=_utilisation, plan=_plan, inputs=_traffic.inputs)


# ---------------------------------------------------------------------------------------------------- Answer page
def range_line(best: pd.Series, why: str = "How sure, and why, below.") -> None:
    """Right under the count: '5 servers (likely 4–6)', the exact range, and the flag where the data stops. `why`:
    where the sources of the range are told (below on the Answer page)."""
    servers = int(best["servers"])
    likely = planning.likely(best)
    low, high = best.get("servers_exact_low"), best.get("servers_exact_high")
    exact = ""
    if low is not None and high is not None and not pd.isna(low):
        top = f"{high:,.2f}" if math.isfinite(high) else "no upper bound"
        exact = f": from {low:,.2f} to {top} servers exactly, around {best['servers_exact']:,.2f}"
    if likely:
        count = f"**{plural(servers, 'server')} ({likely})**"
    elif exact:  # the whole range rounds up to the same count
        count = f"**{plural(servers, 'server')}** over the whole likely range"
    else:
        count = f"**{plural(servers, 'server')}** (no spread known)"
    st.markdown(f"{count}{exact}. {why}")
    if bool(best.get("data_edge", False)):
        st.warning("The data stops here: this configuration's best point is the highest concurrency benchmarked, so "
                   "its throughput may be higher (and the count lower) than the data can show. A run at a higher "
                   "concurrency would tell.", icon=":material/trending_up:")


def answer_details(data: Data, sc: Scenario, result: Sizing) -> None:
    """Below the answer: where the range comes from, which assumption moves the count most, the headroom checked as a
    queue, spares and growth."""
    best = result.best
    if best is None:
        return
    st.subheader("How sure is this answer?")
    _sources(best)
    _tornado_chart(data, sc, result)
    st.subheader("Headroom, spares and growth")
    _headroom(result)
    _growth(result)


def _sources(best: pd.Series) -> None:
    spread = best.get("spread") if isinstance(best.get("spread"), list) else []
    notes = [n for n in (best.get("range_notes") or []) if n != uncertainty.DATA_EDGE_NOTE]
    if not spread:
        st.markdown("No source of spread is known for this point (a single measured run that meets the limit at the "
                    "last concurrency that does, with no traffic range given).")
    else:
        st.markdown("Each source below recomputes the exact count at its low and high end; they are combined as "
                    "independent. The share says which one to pin down first.")
        rows = pd.DataFrame([{"source": s["source"], "share": 100 * float(s["share"]),
                              "low": s["servers_exact_low"], "high": s["servers_exact_high"], "detail": s["detail"]}
                             for s in spread]).sort_values("share", ascending=False, kind="stable")
        st.dataframe(rows, hide_index=True, key="spread_table", column_config={
            "source": st.column_config.TextColumn("Source of spread"),
            "share": st.column_config.ProgressColumn("Share", format="%.0f %%", min_value=0, max_value=100),
            "low": st.column_config.NumberColumn("Servers (exact) at its low end", format="%.2f"),
            "high": st.column_config.NumberColumn("… at its high end", format="%.2f",
                                                  help="Empty: nothing meets the limit at that end"),
            "detail": st.column_config.TextColumn("What was varied", width="large"),
        })
    for note in notes:
        st.caption(md(note))


def _tornado_chart(data: Data, sc: Scenario, result: Sizing) -> None:
    if sc.query is None or sc.traffic is None:
        return
    try:
        swings, spec = _tornado(data, sc)
    except SizerError as exc:
        st.warning(sentence(exc), icon=":material/warning:")
        return
    if swings.empty:
        return
    best = result.best
    st.markdown("**Which assumption moves the count most**")
    st.vega_lite_chart(spec, width="stretch")
    top = swings[swings["assumption"] == swings["assumption"].iloc[0]]
    ends = "; ".join(f"{'down' if r.side == 'lower' else 'up'} to {r.setting}: "
                     + (f"{r.servers_exact:,.2f} servers" if pd.notna(r.servers_exact) else "nothing meets the limit")
                     for r in top.itertuples())
    still = [a for a, rows in swings.groupby("assumption", sort=False) if (rows["swing"] == 0).all()]
    unmoved = f" Moving the {md(' or the '.join(still))} this far does not change the count." if still else ""
    st.caption(f"Each row moves one assumption down (blue) or up (orange), the others held, and sizes "
               f"{md(best.get('gpu_key', best['gpu']))} TP{int(best['tp'])} {md(best['precision'])} again; the black "
               f"line is today's answer, {best['servers_exact']:,.2f} servers exactly. Traffic assumptions move by "
               "your range or ±20 %, the latency limit by ±20 %, the lengths to the next ones in the data. The longest "
               f"bar is the assumption to check first: here the {md(top['assumption'].iloc[0])} ({md(ends)})."
               + unmoved)


def _headroom(result: Sizing) -> None:
    best, plan = result.best, result.plan or Plan()
    design = result.design
    u, p = float(best["utilisation"]), float(best["p_wait"])
    spares = int(plan.spares)
    rate = design.design_req_per_s if design else result.traffic.peak_req_per_s
    cols = st.columns(4)
    cols[0].metric("Sized for", f"{rate:,.1f} req/s",
                   help="The peak, raised to its burst percentile when a burst allowance is chosen (Traffic page)")
    cols[1].metric("Instances busy", pct(u), help="Offered load ÷ instances: the open-loop check")
    cols[2].metric("P(wait)", pct(p, 1), help="Erlang C: the chance that a request finds every instance busy")
    if spares:
        cols[3].metric("Servers with spares", f"{int(best['servers_with_spares'])}",
                       help="The sized count plus the spare servers (N + k); costs are for the sized count")
    how = (f"you asked for P(wait) ≤ {plan.p_wait * 100:g} %, and "
           f"{plural(int(best['instances']), 'instance')} is the fewest that meets it" if plan.p_wait is not None else
           f"planned at {pct(result.utilisation)} of the benchmarked throughput")
    st.markdown(f"**Open-loop check.** A benchmark keeps a fixed number of requests in flight; real users arrive at "
                f"random. Treated as a queue, the {plural(int(best['instances']), 'instance')} at "
                f"{best['req_per_s']:,.2f} req/s each run {pct(u)} busy at {rate:,.1f} req/s, and a request finds "
                f"them all busy and waits with probability {pct(p, 1)} (Erlang C); {how}.")
    if plan.p_wait is None and p > 0.2:
        st.caption("That wait is likely: to size the headroom from the queue instead of a guessed utilisation, choose "
                   "“Plan so that a request waits with probability at most” under Headroom in the sidebar.")
    if spares:
        st.markdown(f"**Spares.** {plural(int(best['servers']), 'server')} sized + {plural(spares, 'spare')} for "
                    f"failures and maintenance = **{plural(int(best['servers_with_spares']), 'server')}** to buy; the "
                    "cost figures are for the sized count.")


def _growth(result: Sizing) -> None:
    plan = result.plan or Plan()
    if plan.growth_per_year is None or result.by_year is None or result.by_year.empty:
        st.caption("Traffic growth: none given (set a growth per year under Headroom in the sidebar for servers per "
                   "year).")
        return
    years = result.by_year[result.by_year["option"] == 0].drop(columns="option")
    shown = years if plan.burst else years.drop(columns="design_rps")  # without bursts it repeats the peak
    best = result.best
    st.markdown(f"**Growth.** Traffic growing {pct(plan.growth_per_year)} a year: each year's peak is today's × "
                f"{1 + plan.growth_per_year:g}^year, sized on {md(best.get('gpu_key', best['gpu']))} TP{int(best['tp'])}"
                f" {md(best['precision'])} (today's choice) with the same headroom"
                + (" and burst allowance" if plan.burst else "") + ".")
    left, right = st.columns([1, 1])
    left.dataframe(shown, hide_index=True, key="growth_table", column_config={
        "year": st.column_config.NumberColumn("Year", help="0: today"),
        "peak_rps": st.column_config.NumberColumn("Peak req/s", format="%,.1f"),
        "design_rps": st.column_config.NumberColumn("Sized for", format="%,.1f"),
        "servers_exact": st.column_config.NumberColumn("Servers (exact)", format="%.2f"),
        "servers": st.column_config.NumberColumn("Servers"),
        "servers_with_spares": st.column_config.NumberColumn("With spares"),
    })
    with right:
        st.vega_lite_chart(_years_chart(years), width="stretch")


# ---------------------------------------------------------------------------------------------------- Sizing page
def options_table(result: Sizing) -> tuple[pd.DataFrame, dict]:
    """The ranked options with the range, the open-loop check and spares beside the course's columns."""
    frame = view.options_frame(result)
    extra = [c for c in RANGE_COLUMNS if c in result.options and (c != "servers_with_spares" or
                                                                   (result.plan and result.plan.spares))]
    at = frame.columns.get_loc("servers") + 1
    for offset, column in enumerate(c for c in extra if c.startswith("servers_") and c != "servers_with_spares"):
        frame.insert(at + offset, column, result.options[column].to_numpy())
    for column in (c for c in extra if not c.startswith("servers_") or c == "servers_with_spares"):
        frame[column] = result.options[column].to_numpy()
    return frame, view.TABLE_COLUMNS | RANGE_COLUMNS


def capacity_section(data: Data, sc: Scenario) -> None:
    """The inverse question: what the servers (or the budget) someone has carry, per configuration."""
    st.subheader("What does a fleet you have carry?")
    left, right = st.columns([1, 3], gap="medium")
    with left:
        have = st.segmented_control("I have", list(HAVE), format_func=HAVE.get, key="have", default="servers",
                                    bind="query-params") or "servers"
        if have == "budget":
            usd = st.number_input("USD per month", min_value=0.0, value=100_000.0, step=10_000.0, format="%.0f",
                                  key="have_usd", bind="query-params",
                                  help="Renting whole 8-GPU servers at the cloud price per GPU-hour of your cost settings "
                                       "(Cost page: its source and date, on-demand or reserved)")
            servers = None
        else:
            servers = int(st.number_input("Servers (8 GPUs each)", min_value=0, value=4, step=1, key="have_servers",
                                          bind="query-params"))
            usd = None
        links.check_url_values({"have": HAVE.get})
    if sc.query is None or sc.traffic is None:
        return
    try:
        cap = _capacity(data, sc, servers, usd)
    except SizerError as exc:
        left.warning(sentence(exc), icon=":material/error:")
        return
    with right:
        if cap.options.empty:
            st.info("No configuration meets the limits, so there is nothing to carry traffic within them.",
                    icon=":material/info:")
        else:
            frame = cap.options.assign(gpu=cap.options.get("gpu_key", cap.options["gpu"]))
            st.dataframe(frame[list(CAPACITY_COLUMNS)], column_config=CAPACITY_COLUMNS, hide_index=True,
                         key="capacity_table")
            best = cap.options.iloc[0]
            need = sc.traffic.peak_req_per_s
            kept = f", with {plural(sc.plan.spares, 'spare')} kept back" if sc.plan.spares else ""
            enough = "enough" if best["peak_rps"] >= need else "not enough"
            st.caption(
                f"Per configuration, within your limits and headroom"
                f"{', after the burst allowance' if sc.plan.burst else ''}"
                f"{kept}: the peak the "
                "servers carry and, through your call assumptions, the calls a year that peak means. The best, "
                f"{md(best.get('gpu_key', best['gpu']))} TP{int(best['tp'])} {md(best['precision'])}, carries "
                f"{best['peak_rps']:,.1f} req/s at peak: {enough} for your {need:,.1f}. This is the sizing read "
                "backwards: the servers the table above asks for carry at least your traffic.")
        for note in cap.notes:
            st.caption(md(note))
        if sc.traffic.inputs is None:
            st.caption("Calls per year need the call assumptions: give the peak through them (not directly) to see "
                       "them.")


# --------------------------------------------------------------------------------------------------- Traffic page
def design(traffic: Traffic, plan: Plan) -> planning.Design:
    """The rate the servers must carry: the peak, or its burst percentile (shown as a step of the derivation)."""
    return planning.design_at(traffic.peak_req_per_s, plan.burst)


def burst_words(d: planning.Design) -> str:
    if d.burst is None:
        return ("No burst allowance: the servers are sized for the peak as it is, the busy hour's average rate. "
                "Within that hour requests arrive at random; choose a burst percentile to size for a bad second "
                "instead, or a P(wait) target (sidebar, Headroom) to size the queue.")
    extra = d.design_req_per_s / d.peak_req_per_s - 1 if d.peak_req_per_s else np.nan
    return (f"The burst allowance adds {pct(extra, 1)} to the peak: {d.burst.percentile:g} % of "
            f"{d.burst.window_s:g}-second windows bring at most {d.design_req_per_s:,.1f} requests a "
            "second. Longer windows need less (queues absorb the rest), shorter ones more.")
