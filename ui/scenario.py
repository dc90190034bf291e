"""The scenario inputs every page shares, bound to the URL so that a link reproduces the scenario anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.errors import SizerError
from core.frontier import Limits, Query
from core.traffic import Traffic, TrafficInputs, derive, direct
from ui import links
from ui.data import Data, choices
from ui.data import current as current_data
from ui.text import md, plural

# The course's call-centre example (Notebook 2): the defaults, and the preset that restores them.
COURSE = {
    "model": "Llama 3 8B", "lengths": "2000/200", "peak_direct": False, "calls": 30_000_000.0, "minutes": 10.0,
    "rag": 1.0, "llm": 3.0, "peak_factor": 7.0, "peak_rps": 200.0, "ttft": 300.0, "e2e": 0.0, "tps_user": 0.0,
    "stat": "avg", "gpus": [], "tps": [], "precisions": [], "interpolate": False, "rank": "servers",
    "utilisation": 100,
}
COURSE_GPUS = ("H100 SXM",)  # the course sizes on DGX H100 (H100_80GB_HBM3 in its data)
STATS = ("avg", "p95")
OWNED = {"traffic": ("traffic",), "sizing": ("limits", "filters")}  # sections a page draws in its own body
LAST_TRAFFIC, LAST_LIMITS = "_last_traffic", "_last_limits"  # session keys: the last valid traffic and limits


@dataclass
class Scenario:
    """What the inputs say, turned into the engine's terms. `problems`: what the user must fix before anything can
    be sized; `stale`: inputs that are invalid now, while the figures use their last valid values."""

    query: Query | None = None
    traffic: Traffic | None = None
    rank_by: str = "servers"
    utilisation: float = 1.0
    problems: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def sidebar(page: str, data: Data) -> None:
    """Draw in the sidebar every section the current page does not draw itself."""
    own = OWNED.get(page, ())
    with st.sidebar:
        st.markdown("### Scenario")
        workload_inputs(data)
        for name, draw in (("traffic", traffic_inputs), ("limits", limit_inputs)):
            if name not in own:
                draw()
        if "filters" not in own:
            with st.expander("GPU, TP and precision filters"):
                filter_inputs(data)
        st.button("Load the course's call-centre example", on_click=load_course_example, icon=":material/school:",
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
             + "; every TP and precision; ranked by servers at 100 % of benchmarked throughput.",
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


def traffic_inputs(sliders: bool = False) -> None:
    st.toggle("Give the peak req/s directly", key="peak_direct", value=COURSE["peak_direct"], bind="query-params",
              help="Instead of deriving it from calls per year, minutes per call and the peak factor")
    if st.session_state.get("peak_direct", COURSE["peak_direct"]):
        st.number_input("Peak requests per second", min_value=0.0, value=COURSE["peak_rps"], step=10.0, format="%.1f",
                        key="peak_rps", bind="query-params")
    else:
        st.number_input("Calls per year", min_value=0.0, value=COURSE["calls"], step=1_000_000.0, format="%.0f",
                        key="calls", bind="query-params")
        number = st.slider if sliders else st.number_input
        number("Minutes per call", min_value=0.0, max_value=120.0, value=COURSE["minutes"], step=0.5, key="minutes",
               bind="query-params")
        number("RAG calls per minute", min_value=0.0, max_value=20.0, value=COURSE["rag"], step=0.5, key="rag",
               bind="query-params")
        number("LLM requests per RAG call", min_value=0.0, max_value=20.0, value=COURSE["llm"], step=1.0, key="llm",
               bind="query-params")
        number("Peak factor (peak ÷ average)", min_value=1.0, max_value=30.0, value=COURSE["peak_factor"], step=0.5,
               key="peak_factor", bind="query-params", help="How much busier the peak is than the yearly average")
    links.check_url_values()
    _beside(_traffic)


def limit_inputs() -> None:
    st.number_input("TTFT limit (ms, 0 = none)", min_value=0.0, value=COURSE["ttft"], step=50.0, format="%.0f", key="ttft",
                    bind="query-params", help="Time to first token: what a streaming user waits before text appears")
    st.number_input("End-to-end limit (ms, 0 = none)", min_value=0.0, value=COURSE["e2e"], step=500.0, format="%.0f", key="e2e",
                    bind="query-params", help="Time to the last token: what matters when another system waits")
    st.number_input("Tokens/s per user, at least (0 = none)", min_value=0.0, value=COURSE["tps_user"], step=5.0, format="%.0f",
                    key="tps_user", bind="query-params", help="Reading speed is roughly 5–10 tokens/s")
    st.segmented_control("Statistic", STATS, key="stat", default=COURSE["stat"], bind="query-params",
                         help="avg: the mean over requests; p95: 95 % of requests are at least this fast")
    links.check_url_values()
    _beside(_limits)


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
    st.slider("Plan at (% of benchmarked throughput)", min_value=50, max_value=100, value=COURSE["utilisation"],
              step=5, key="utilisation", bind="query-params",
              help="100 %: as benchmarked (the course). A fixed-concurrency benchmark overstates what bursty, open "
                   "arrivals get at the same latency; 80 % leaves 20 % headroom")
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


def _limits(s) -> Limits:
    limits = Limits(ttft_ms=_limit(s.get("ttft", COURSE["ttft"])), e2e_ms=_limit(s.get("e2e", COURSE["e2e"])),
                    min_tok_per_s_per_user=_limit(s.get("tps_user", COURSE["tps_user"])),
                    stat=s.get("stat") or COURSE["stat"])
    limits.checks()
    return limits


def current() -> Scenario:
    """Read the inputs; every problem becomes a sentence for the page, never an exception. Invalid traffic or limits
    fall back to the session's last valid ones (or the course's, when a link opened the session with invalid ones),
    so the page stays drawn while the user corrects an input, and says which figures it shows."""
    s = st.session_state
    out = Scenario(rank_by=s.get("rank") or COURSE["rank"], utilisation=s.get("utilisation", COURSE["utilisation"]) / 100)
    try:
        out.traffic = s[LAST_TRAFFIC] = _traffic(s)
    except SizerError as exc:
        out.traffic, which = (s[LAST_TRAFFIC], "the last valid") if LAST_TRAFFIC in s else (_traffic(COURSE), "the course's")
        out.stale.append(f"Traffic: {_plain(str(exc))}. Until it is fixed, the figures below are for {which} traffic, "
                         f"{out.traffic.peak_req_per_s:,.1f} req/s at peak.")
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
            f"{f', planned at {sc.utilisation:.0%} of benchmarked throughput' if sc.utilisation < 1 else ''}{narrowed}.")


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
