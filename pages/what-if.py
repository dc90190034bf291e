"""What-if: the calibrated model's curves for any catalog model, GPU, TP and precision, beside measurements."""

import numpy as np
import pandas as pd
import streamlit as st

from core import catalog, charts
from core.calibration import curves, errors, predict
from core.errors import SizerError
from core.frontier import Frontier, Query, search
from core.perfmodel import Config, Params, accuracy_note, calibration_report, sweep
from core.sizing import size_points
from core.table import add_derived, add_keys
from ui import cost as costs
from ui import data, links, nav, scenario, view
from ui.text import md, plural, sentence


def _solved(frame: pd.DataFrame, query: Query | None) -> tuple[Frontier | None, str | None]:
    """The operating points of these modeled curves solved for the sidebar's limits, by the search the Answer,
    Sizing and Frontier pages and the CLI use (so the same configuration gets the same point), or why there are none."""
    if query is None:
        return None, None
    try:
        return search(frame, query), None
    except SizerError as exc:
        return None, sentence(exc)


nav.ensure_router()
st.title("What-if")
st.caption(f"Curves from the performance model: {accuracy_note()}.")
models, gpus = list(catalog.models()), list(catalog.gpus())
c1, c2, c3, c4 = st.columns(4)
model = c1.selectbox("Model", models, index=0, key="wi_model", bind="query-params")
gpu_names = c2.multiselect("GPUs", gpus, default=["H100 SXM", "H200 SXM", "B200"], key="wi_gpus",
                           bind="query-params")
tps = c3.multiselect("TP", [1, 2, 4, 8], default=[1, 2, 4, 8], key="wi_tps", bind="query-params")
precisions = c4.multiselect("Precision", ["fp16", "fp8", "fp4"], default=["fp8"], key="wi_prec", bind="query-params")
c5, c6, c7 = st.columns(3)
isl = c5.number_input("Input tokens", min_value=1, max_value=200_000, value=2000, step=100, key="wi_isl",
                      bind="query-params")
osl = c6.number_input("Output tokens", min_value=1, max_value=100_000, value=200, step=50, key="wi_osl",
                      bind="query-params")
max_c = c7.select_slider("Highest concurrency", [16, 32, 64, 128, 256, 512], value=256, key="wi_maxc",
                         bind="query-params")
concurrency = np.unique(np.round(np.geomspace(1, max_c, 14)))
links.check_url_values()

frames, refused = [], []
for gpu_name in gpu_names:
    for tp in tps:
        for precision in precisions:
            try:
                frames.append(sweep(Config.from_names(model, gpu_name, tp, precision, isl, osl), concurrency))
            except SizerError as exc:
                refused.append(f"{gpu_name} · TP{tp} · {precision}: {exc}")
if refused:
    with st.expander(f"{plural(len(refused), 'combination')} not modeled, and why"):
        st.markdown("\n".join(f"- {md(r)}" for r in refused))
if not frames:
    st.warning("Nothing to draw: pick at least one GPU, TP and precision that can run this model.",
               icon=":material/warning:")
    st.stop()
modeled = add_derived(add_keys(pd.concat(frames, ignore_index=True)))
loaded = data.current()
measured = loaded.table[(loaded.table["provenance"] == "measured") & (loaded.table["model_key"] == model)
                        & (loaded.table["gpu_key"].isin(gpu_names)) & (loaded.table["isl"] == isl)
                        & (loaded.table["osl"] == osl)]
sc = scenario.current()
found, found_error = _solved(modeled, Query(model, isl, osl, sc.query.limits, interpolate=sc.query.interpolate)
                             if sc.query is not None and sc.traffic is not None else None)
chosen = sized = None
if found is not None and not found.points.empty:
    sized = size_points(found.points, sc.traffic.peak_req_per_s, costs.usd_per_gpu_hour(), sc.rank_by,
                        sc.utilisation)  # the servers each diamond's tooltip and the table below give
    chosen = sized.assign(label=charts.curve_label(sized))
    modeled = pd.concat([modeled, found.points.drop(columns=["point"])], ignore_index=True)  # on the line
both = pd.concat([modeled, measured], ignore_index=True)
both = both.assign(label=charts.curve_label(both))
c8, c9 = st.columns(2)
stat = sc.query.limits.stat if sc.query is not None else "avg"  # the limit's statistic can be drawn with its line
latencies = [f"{m}_{s}" for s in dict.fromkeys(("avg", stat)) for m in ("ttft_ms", "itl_ms", "e2e_ms")]
x = c8.selectbox("Latency (x, log scale)", latencies, format_func=charts.LABELS.get, key="wi_x")
y = c9.selectbox("Throughput (y)", charts.Y_METRICS, index=2, format_func=charts.LABELS.get, key="wi_y")
limit = None
if sc.query is not None and x.endswith(f"_{sc.query.limits.stat}"):
    limit = {"ttft_ms": sc.query.limits.ttft_ms, "e2e_ms": sc.query.limits.e2e_ms,
             "itl_ms": sc.query.limits.itl_ms}.get(x.rsplit("_", 1)[0])
view.chart(charts.frontier(both, x, y, limit, chosen, title=f"{model}, {isl} in → {osl} out"))
if chosen is not None:
    averages = "" if limit is not None else (
        f" Your limit is on the {stat}: choose a {stat} latency above to see it on the chart." if x.endswith("_avg")
        and stat != "avg" else " Your limit is on another latency: choose it above to see it on the chart.")
    st.caption(f"Diamonds: each curve's operating point solved to your limit ({md(sc.query.limits.describe())}) by the "
               f"performance model; the Answer, Sizing and Frontier pages and the CLI use the same points.{averages}")
if not measured.empty:
    st.caption("Curves without '(modeled)' are measured: compare them with the model's at the same configuration.")

if sc.query is not None and sc.traffic is not None:
    st.subheader("Servers for your traffic and limit, on these modeled curves")
    if found is None:
        st.warning(found_error, icon=":material/warning:")
    elif found.points.empty:
        st.info("None of these configurations meets your limit "
                + (f"({md(found.nearest_miss.describe())})" if found.nearest_miss else ""), icon=":material/info:")
    else:
        shown = sized.assign(gpu=sized["gpu_key"], ttft=sized[f"ttft_ms_{stat}"], e2e=sized[f"e2e_ms_{stat}"],
                             itl=sized[f"itl_ms_{stat}"])
        headers = {c: {**view.TABLE_COLUMNS[c], "label": f"{words} {stat} (ms)"} for c, words in  # the limit's stat
                   (("ttft", "TTFT"), ("e2e", "End-to-end"), ("itl", "Inter-token"))} if stat != "avg" else {}
        st.dataframe(shown[list(view.TABLE_COLUMNS)], column_config={**view.TABLE_COLUMNS, **headers},
                     hide_index=True, key="wi_servers")
        st.caption(f"{sc.traffic.peak_req_per_s:,.1f} peak req/s within {md(sc.query.limits.describe())}, from the "
                   "sidebar scenario; each point solved to the limit by the performance model.")

with st.expander("How accurate is the model?"):
    report = calibration_report() or {"points": 0, "source": "nothing (no calibration file)", "fitted": [],
                                      "errors": {}}
    rows = [{"metric": m, "median error %": e["median_pct"], "90th percentile %": e["p90_pct"]}
            for m, e in report["errors"].items()]
    st.markdown(f"Calibrated on {report['points']} measured points ({report['source']}), fitting "
                f"{len(report['fitted'])} parameters:")
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if "extrapolation" in report:
        ex = report["extrapolation"]
        st.markdown(f"Extrapolation check: calibrated on {ex['calibrated_on']}, predicting {ex['predicted']}:")
        st.dataframe(pd.DataFrame([{"metric": m, "median error %": e["median_pct"], "90th percentile %": e["p90_pct"]}
                                   for m, e in ex["errors"].items()]), hide_index=True)
    found_curves, _ = curves(loaded.table)
    if found_curves:
        compared = predict(found_curves, Params.load())
        metric = st.selectbox("Compare", ["req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg"],
                              format_func=charts.LABELS.get, key="wi_compare")
        view.chart(charts.modeled_vs_measured(compared, metric))
        e = errors(compared)[metric]
        st.caption(f"On the measured data loaded now: median error {e['median_pct']} %, 90th percentile "
                   f"{e['p90_pct']} %, over {e['points']} points.")
    else:
        st.caption("Load measured benchmarks (Data page; the course's nim.csv, say) to plot modeled against measured.")
