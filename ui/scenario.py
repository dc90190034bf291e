"""The scenario inputs every page shares, bound to the URL so that a link reproduces the scenario anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.errors import SizerError
from core.frontier import Limits, Query
from core.planning import BURST_PERCENTILES, BURST_WINDOWS_S, Burst, Plan
from core.traffic import Traffic, TrafficInputs, derive, direct
from ui import links
from ui.data import Data, choices
from ui.data import current as current_data
from ui.text import md, plural

# The course's call-centre example (Notebook 2): the defaults, and the preset that restores them.
COURSE = {
    "model": "Llama 3 8B", "lengths": "2000/200", "peak_direct": False, "calls": 30_000_000.0, "minutes": 10.0,
    "rag": 1.0, "llm": 3.0, "peak_factor": 7.0, "peak_rps": 200.0, "ttft": 300.0, "e2e": 0.0, "itl": 0.0,
    "tps_user": 0.0, "stat": "avg", "gpus": [], "tps": [], "precisions": [], "interpolate": False, "rank": "servers",
    "utilisation": 100, "burst": 0.0, "burst_window": 1.0, "p_wait": 0.0, "spares": 0, "growth": 0, "years": 3,
    "pf_spread": 0.0, "min_spread": 0.0,
}
COURSE_GPUS = ("H100 SXM",)  # the course sizes on DGX H100 (H100_80GB_HBM3 in its data)
STATS = ("avg", "p95")
OWNED = {"traffic": ("traffic",), "sizing": ("filters",)}  # sections a page draws in its own body
LAST_TRAFFIC, LAST_LIMITS, LAST_PLAN = "_last_traffic", "_last_limits", "_last_plan"  # session keys: last valid ones

# The select sliders' steps (0: off). A link's number between two steps snaps to the nearest (ui.links.snap).
STEPS: dict[str, tuple[float, ...]] = {
    "ttft": (0.0, 50.0, 75.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0, 600.0, 750.0, 1000.0, 1500.0, 2000.0,
             3000.0, 5000.0, 7500.0, 10000.0),
    "e2e": (0.0, 500.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 5000.0, 7500.0, 10000.0, 15000.0, 20000.0, 30000.0,
            60000.0),
    "itl": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 75.0, 100.0, 150.0, 200.0),
    "tps_user": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 75.0, 100.0, 150.0, 200.0),
    "burst": (0.0, *BURST_PERCENTILES),
    "burst_window": BURST_WINDOWS_S,
    "p_wait": (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0),
    "pf_spread": (0.0, 10.0, 20.0, 30.0, 50.0),
    "min_spread": (0.0, 10.0, 20.0, 30.0, 50.0),
}
FORMATS = dict.fromkeys(STEPS, links.step_text)
# Traffic assumptions: (key, label, min, max, step, the exact box's format, help). Sliders in the sidebar, boxes to
# type exact values on the Traffic page; the same range for both, so a value typed there is one the slider shows.
TRAFFIC_FIELDS = (
    ("calls", "Calls per year", 0.0, 1e9, 1e6, "%.0f", "Conversations a year that reach the assistant"),
    ("minutes", "Minutes per call", 0.0, 120.0, 0.5, "%.1f", None),
    ("rag", "RAG calls per minute", 0.0, 20.0, 0.5, "%.1f", "Retrieval-augmented lookups per minute of a call"),
    ("llm", "LLM requests per RAG call", 0.0, 20.0, 1.0, "%.1f", None),
    ("peak_factor", "Peak factor (peak ÷ average)", 1.0, 30.0, 0.5, "%.1f",
     "How much busier the busiest hour is than the yearly average"),
)
PEAK_RPS_MAX = 50_000.0


@dataclass
class Scenario:
    """What the inputs say, turned into the engine's terms. `problems`: what the user must fix before anything can
    be sized; `stale`: inputs that are invalid now, while the figures use their last valid values."""

    query: Query | None = None
    traffic: Traffic | None = None
    rank_by: str = "servers"
    utilisation: float = 1.0
    plan: Plan = field(default_factory=Plan)
    problems: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def sidebar(page: str, data: Data) -> None:
    """Draw in the sidebar every section the current page does not draw itself."""
    own = OWNED.get(page, ())
    with st.sidebar:
        st.markdown("### Scenario")
        workload_inputs(data)
        limit_inputs()  # the sliders people move most, first
        if "traffic" not in own:
            traffic_inputs()
        if "filters" not in own:
            with st.expander("GPU, TP and precision filters"):
                filter_inputs(data)
        with st.expander("Headroom, range, spares and growth"):
            planning_inputs()
        st.button("Load the course's call-centre example", on_click=load_course_example, icon=":material/school:", key="course_example",
                  help="30 M calls a year, 10 min each, 1 RAG call per minute, 3 LLM requests per RAG call, peak ×7; "
                       "Llama 3 8B, 2000 in / 200 out, TTFT ≤ 300 ms, on H100", width="stretch")


def load_course_example() -> None:
    """Every course input, the GPU filter included; a toast says what was set."""
    offered = choices(current_data())
    values = dict(COURSE)
    model = offered.get(COURSE["model"])
    if model is None:
        values.pop("model")
        values.pop("lengths")
    elif COURSE["lengths"] not in model["lengths"]:
        values.pop("lengths")
    gpus = [g for g in COURSE_GPUS if model is not None and g in model["gpus"]]
    values["gpus"] = gpus
    for key, value in values.items():
        st.session_state[key] = value
    missing = "" if model is not None else f" (the loaded data has no {COURSE['model']}: model unchanged)"
    st.toast(f"Loaded the course's call-centre example{missing}: {COURSE['model']}, 2000 in / 200 out; 30 M calls a "
             "year × 10 min × 1 RAG call per min × 3 LLM requests, peak ×7; TTFT ≤ 300 ms (avg); GPUs: "
             + (", ".join(gpus) if gpus else "all (the data has no H100 for this model)")
             + "; every TP and precision; ranked by servers at 100 % of benchmarked throughput; no burst "
             "allowance, P(wait) target, range, spares or growth.",
             icon=":material/school:")


def workload_inputs(data: Data) -> None:
    offered = choices(data)
    models = list(offered)
    default = COURSE["model"] if COURSE["model"] in models else (models[0] if models else None)
    model = st.selectbox("Model", models, index=models.index(default) if default else None, key="model",
                         bind="query-params", help="Models in the loaded data (catalog names where known)")
    options = offered[model]["lengths"] if model in offered else []
    st.selectbox("Input / output tokens", options,
                 index=options.index(COURSE["lengths"]) if COURSE["lengths"] in options else (0 if options else None),
                 key="lengths", bind="query-params",
                 help="Input/output tokens per request, as the data has them for this model; the What-if page "
                      "models any other")
    links.check_url_values()


def traffic_inputs(exact: bool = False) -> None:
    """The traffic assumptions: sliders (the sidebar), or boxes that take exact values (the Traffic page); then the
    burst allowance, which turns the peak into the rate the servers must carry."""
    st.toggle("Give the peak req/s directly", key="peak_direct", value=COURSE["peak_direct"], bind="query-params",
              help="Instead of deriving it from calls per year, minutes per call and the peak factor")
    if st.session_state.get("peak_direct", COURSE["peak_direct"]):
        fields = (("peak_rps", "Peak requests per second", 0.0, PEAK_RPS_MAX, 10.0, "%.1f", None),)
    else:
        fields = TRAFFIC_FIELDS
    state = st.session_state
    for key, label, low, high, step, box, tip in fields:
        # A slider on one page is a box on another: a new widget, which would start at its default. Handing it the
        # value the other one left (as a value set by the app, with no default beside it) keeps the user's figure.
        if key in state:
            state[key] = state[key]
        start = {} if key in state else {"value": COURSE[key]}
        if exact:
            value = st.number_input(label, min_value=low, max_value=high, step=step, format=box, key=key,
                                    bind="query-params", help=tip, **start)
            if key == "calls" and value is not None:  # a box has no thousands separators: say it as people read it
                st.caption(f"{value:,.0f} calls a year")
        else:
            st.slider(label, min_value=low, max_value=high, step=step, format="localized", key=key, **start,
                      bind="query-params", help=(tip + ". " if tip else "") + "Exact values: type them on the "
                      "Traffic page")
    burst = st.select_slider(
        "Burst allowance (percentile)", STEPS["burst"], value=COURSE["burst"], format_func=links.step_text,
        key="burst", bind="query-params",
        help="The peak factor gives the busy hour's average rate; within it requests arrive at random, so some "
             "seconds bring more. 99: size for the number of requests that 99 % of windows stay under (Poisson), "
             "not for the average")
    st.select_slider("Burst window (seconds)", STEPS["burst_window"], value=COURSE["burst_window"],
                     format_func=links.step_text, key="burst_window", bind="query-params", disabled=not burst,
                     help="How long a burst the servers must absorb: short windows need more allowance than long "
                          "ones (queues smooth out longer bursts)")
    links.check_url_values(FORMATS)
    _beside(_traffic)


def limit_inputs() -> None:
    """The latency limits as sliders over sensible steps, off first."""
    for key, label, tip in (
        ("ttft", "TTFT limit (ms)", "Time to first token: what a streaming user waits before text appears"),
        ("e2e", "End-to-end limit (ms)", "Time to the last token: what matters when another system waits"),
        ("itl", "Inter-token limit (ms)", "The gap between two tokens once the answer streams; 1000 ÷ this = "
                                          "tokens per second per user"),
        ("tps_user", "Tokens/s per user, at least", "Reading speed is roughly 5–10 tokens/s; the same limit as an "
                                                    "inter-token one (1000 ÷ tokens/s ms)"),
    ):
        st.select_slider(label, STEPS[key], value=COURSE[key], format_func=links.step_text, key=key,
                         bind="query-params", help=tip)
    st.segmented_control("Statistic", STATS, key="stat", default=COURSE["stat"], bind="query-params",
                         help="avg: the mean over requests; p95: 95 % of requests are at least this fast")
    links.check_url_values(FORMATS)
    _beside(_limits)


def planning_inputs() -> None:
    """Headroom (a P(wait) target, or a plain utilisation), the traffic's range, spares and growth."""
    s = st.session_state
    waiting = st.select_slider(
        "Plan so that a request waits with probability at most (%)", STEPS["p_wait"], value=COURSE["p_wait"],
        format_func=links.step_text, key="p_wait", bind="query-params",
        help="Headroom from the queue, not a guess: the fewest instances for which a request finds them all busy "
             "at most this often (Erlang C). Off: plan at the utilisation below")
    st.slider("Plan at (% of benchmarked throughput)", min_value=50, max_value=100, value=COURSE["utilisation"],
              step=5, key="utilisation", bind="query-params", disabled=bool(waiting),
              help="100 %: as benchmarked (the course). A fixed-concurrency benchmark overstates what bursty, open "
                   "arrivals get at the same latency; 80 % leaves 20 % headroom. Unused while a P(wait) target "
                   "chooses the headroom")
    direct_peak = bool(s.get("peak_direct", COURSE["peak_direct"]))
    for key, label in (("pf_spread", "The peak factor could be off by (± %)"),
                       ("min_spread", "Minutes per call could be off by (± %)")):
        st.select_slider(label, STEPS[key], value=COURSE[key], format_func=links.step_text, key=key,
                         bind="query-params", disabled=direct_peak,
                         help="Widens the answer's likely range and the tornado's bar for this assumption"
                              + (" (only for a derived peak, not one given directly)" if direct_peak else ""))
    st.number_input("Spare servers (N + k)", min_value=0, max_value=1000, value=COURSE["spares"], step=1,
                    key="spares", bind="query-params",
                    help="Servers for failures and maintenance, shown apart from the sized count")
    growth = st.slider("Traffic growth per year (%)", min_value=-50, max_value=300, value=COURSE["growth"], step=5,
                       key="growth", bind="query-params", help="0: no growth. Else servers for each year ahead")
    st.slider("Growth horizon (years)", min_value=1, max_value=10, value=COURSE["years"], key="years",
              bind="query-params", disabled=not growth)
    links.check_url_values(FORMATS)
    _beside(lambda state: _plan(state, _traffic_or_none(state)))


def filter_inputs(data: Data) -> None:
    offered = choices(data).get(st.session_state.get("model") or "", {})
    st.multiselect("GPUs (none = all)", offered.get("gpus", []), key="gpus", bind="query-params")
    st.multiselect("TP (none = all)", offered.get("tps", []), key="tps", bind="query-params")
    st.multiselect("Precision (none = all)", offered.get("precisions", []), key="precisions", bind="query-params")
    st.segmented_control("Rank by", ["servers", "cost"], key="rank", default=COURSE["rank"], bind="query-params",
                         help="servers: fewest servers (the course's question); cost: lowest yearly cost on the cost "
                              "basis below (prices, sources and options on the Cost page)")
    st.segmented_control("Cost basis", ["on-prem", "cloud", "API"], key="basis", default="on-prem", required=True,
                         bind="query-params", help="Which cost ranks and which the Answer page shows: owning the "
                                                   "servers (TCO), renting GPUs in the cloud, or paying an API per token")
    st.toggle("Interpolate to the exact limit", key="interpolate", bind="query-params",
              help="Also consider the point between the last measured concurrency that meets the limit and the "
                   "first that fails, linear in concurrency, never beyond the measured range")
    links.check_url_values()


def _beside(read) -> None:
    """The problem with a group of inputs, right under them (the page keeps the last valid values meanwhile)."""
    try:
        read(st.session_state)
    except SizerError as exc:
        st.warning(md(_plain(str(exc))), icon=":material/error:")


def _traffic(s) -> Traffic:
    if s.get("peak_direct", COURSE["peak_direct"]):
        return direct(s.get("peak_rps", COURSE["peak_rps"]))
    return derive(TrafficInputs(s.get("calls", COURSE["calls"]), s.get("minutes", COURSE["minutes"]),
                                s.get("rag", COURSE["rag"]), s.get("llm", COURSE["llm"]),
                                s.get("peak_factor", COURSE["peak_factor"])))


def _traffic_or_none(s) -> Traffic | None:
    try:
        return _traffic(s)
    except SizerError:
        return None


def _plan(s, traffic: Traffic | None) -> Plan:
    """The planning inputs as the engine's Plan; the traffic's ranges are ± a share of the values given (only for a
    derived peak)."""
    burst = float(s.get("burst", COURSE["burst"]) or 0)
    p_wait = float(s.get("p_wait", COURSE["p_wait"]) or 0)
    growth = int(s.get("growth", COURSE["growth"]) or 0)
    inputs = traffic.inputs if traffic is not None else None
    ranges: dict[str, tuple[float, float]] = {}
    for key, attr, floor in (("pf_spread", "peak_factor", 1.0), ("min_spread", "minutes_per_call", 0.0)):
        share = float(s.get(key, COURSE[key]) or 0) / 100
        if share and inputs is not None:
            value = getattr(inputs, attr)
            ranges[f"{attr}_range"] = (max(floor, value * (1 - share)), value * (1 + share))
    return Plan(burst=Burst(burst, float(s.get("burst_window", COURSE["burst_window"]))) if burst else None,
                p_wait=p_wait / 100 if p_wait else None, spares=int(s.get("spares", COURSE["spares"]) or 0),
                growth_per_year=growth / 100 if growth else None,
                years=int(s.get("years", COURSE["years"])) if growth else 0, **ranges)


def _limits(s) -> Limits:
    limits = Limits(ttft_ms=_limit(s.get("ttft", COURSE["ttft"])), e2e_ms=_limit(s.get("e2e", COURSE["e2e"])),
                    itl_ms=_limit(s.get("itl", COURSE["itl"])), min_tok_per_s_per_user=_limit(s.get("tps_user", COURSE["tps_user"])),
                    stat=s.get("stat") or COURSE["stat"])
    limits.checks()
    return limits


def current() -> Scenario:
    """Read the inputs; every problem becomes a sentence for the page, never an exception. Invalid traffic or limits
    fall back to the session's last valid ones (or the course's, when a link opened the session with invalid ones),
    so the page stays drawn while the user corrects an input, and says which figures it shows."""
    s = st.session_state
    waiting = bool(s.get("p_wait", COURSE["p_wait"]))  # a P(wait) target chooses the headroom instead
    out = Scenario(rank_by=s.get("rank") or COURSE["rank"],
                   utilisation=1.0 if waiting else s.get("utilisation", COURSE["utilisation"]) / 100)
    try:
        out.traffic = s[LAST_TRAFFIC] = _traffic(s)
    except SizerError as exc:
        out.traffic, which = (s[LAST_TRAFFIC], "the last valid") if LAST_TRAFFIC in s else (_traffic(COURSE), "the course's")
        out.stale.append(f"Traffic: {_plain(str(exc))}. Until it is fixed, the figures below are for {which} traffic, "
                         f"{out.traffic.peak_req_per_s:,.1f} req/s at peak.")
    try:
        out.plan = s[LAST_PLAN] = _plan(s, out.traffic)
    except SizerError as exc:
        out.plan, which = (s[LAST_PLAN], "the last valid") if LAST_PLAN in s else (Plan(), "the course's")
        out.stale.append(f"Planning: {_plain(str(exc))}. Until it is fixed, the figures below use {which} planning "
                         "choices.")
    model, lengths = s.get("model"), s.get("lengths")
    if not model or not lengths:
        out.problems.append("Choose a model and input/output lengths (no data is loaded for any model yet)")
        return out
    try:
        limits = s[LAST_LIMITS] = _limits(s)
    except SizerError as exc:
        limits, which = (s[LAST_LIMITS], "the last valid") if LAST_LIMITS in s else (_limits(COURSE), "the course's")
        out.stale.append(f"Latency: {_plain(str(exc))}. Until it is fixed, the figures below are for {which} limit, "
                         f"{limits.describe()}.")
    isl, osl = (int(x) for x in lengths.split("/"))
    out.query = Query(model, isl, osl, limits, tuple(s.get("gpus") or ()), tuple(s.get("tps") or ()),
                      tuple(s.get("precisions") or ()), bool(s.get("interpolate", False)))
    return out


def describe(sc: Scenario) -> str:
    """The scenario in one paragraph of plain words (Markdown; the names in it escaped)."""
    if sc.query is None or sc.traffic is None:
        return ""
    q = sc.query
    filters = [f"GPUs {', '.join(q.gpus)}" if q.gpus else "", f"TP {', '.join(map(str, q.tps))}" if q.tps else "",
               f"precision {', '.join(q.precisions)}" if q.precisions else ""]
    narrowed = "; only " + md(", ".join(f for f in filters if f)) if any(filters) else ""
    return (f"**{md(q.model)}**, {plural(q.isl, 'input token')} → {plural(q.osl, 'output token')} per request, "
            f"**{sc.traffic.peak_req_per_s:,.1f} req/s at peak**, limit {md(q.limits.describe())}"
            f"{', interpolated operating points allowed' if q.interpolate else ''}"
            f"{f', planned at {sc.utilisation:.0%} of benchmarked throughput' if sc.utilisation < 1 else ''}"
            f"{_planned(sc.plan)}{narrowed}.")


def _planned(plan: Plan) -> str:
    """The planning choices beyond the course, as clauses of the scenario's sentence."""
    parts = []
    if plan.burst is not None:
        parts.append(f"sized for the {plan.burst.percentile:g} % burst over {plural(plan.burst.window_s, 'second')}")
    if plan.p_wait is not None:
        parts.append(f"headroom for P(wait) ≤ {plan.p_wait * 100:g} %")
    if plan.spares:
        parts.append(f"plus {plural(plan.spares, 'spare server')}")
    if plan.growth_per_year is not None:
        parts.append(f"traffic growing {plan.growth_per_year * 100:g} % a year for {plural(plan.years, 'year')}")
    return "".join(f", {p}" for p in parts)


def _limit(value: object) -> float | None:
    """0 (or empty) means no limit on that metric."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _plain(message: str) -> str:
    names = {"calls_per_year": "calls per year", "minutes_per_call": "minutes per call",
             "rag_calls_per_minute": "RAG calls per minute", "llm_requests_per_rag_call": "LLM requests per RAG call",
             "peak_factor": "peak factor", "peak_req_per_s": "peak requests per second"}
    for code, words in names.items():
        message = message.replace(code, words)
    return message[:1].upper() + message[1:]
