"""Frontier explorer: the course's latency-against-throughput plots, with the limit and each chosen point."""

import pandas as pd
import streamlit as st

from core import charts
from core.errors import SizerError
from core.frontier import select
from ui import data, links, nav, scenario, view
from ui.text import md, sentence

nav.ensure_router()
st.title("Frontier explorer")
STORIES = {
    "scenario": "Your scenario",
    "tp": "1×TP2 against 2×TP1",
    "lengths": "Throughput across lengths",
    "queue": "TTFT share (where the queue forms)",
    "fp8": "FP8 against FP16",
}
loaded = data.current()
table = loaded.table
sc = scenario.current()
story = st.segmented_control("View", list(STORIES), format_func=STORIES.get, key="view", default="scenario",
                             bind="query-params") or "scenario"
links.check_url_values({"view": STORIES.get})
model = st.session_state.get("model")
rows = table[table["model_key"] == model] if model else table.iloc[0:0]
gpus = sorted(rows["gpu_key"].dropna().unique())
if rows.empty:
    st.warning("No data is loaded for any model yet; add benchmark files on the Data page.", icon=":material/warning:")
    st.stop()

defaults = {  # (x, y, colour by) per story, as in Notebook 2
    "scenario": ("ttft_ms_avg", "prompts_per_s_per_server", ("gpu", "tp", "precision")),
    "tp": ("ttft_ms_avg", "prompts_per_s_per_server", ("tp",)),
    "lengths": ("e2e_ms_avg", "out_tok_per_s", ("isl",)),
    "queue": ("e2e_ms_avg", "ttft_share", ("isl",)),
    "fp8": ("ttft_ms_avg", "prompts_per_s_per_server", ("precision",)),
}
x_default, y_default, colour = defaults[story]
c1, c2, c3 = st.columns(3)
x = c1.selectbox("Latency (x, log scale)", charts.X_METRICS, index=charts.X_METRICS.index(x_default),
                 format_func=charts.LABELS.get, key=f"x_{story}")
y = c2.selectbox("Throughput (y)", charts.Y_METRICS, index=charts.Y_METRICS.index(y_default),
                 format_func=charts.LABELS.get, key=f"y_{story}")
gpu = None
if story != "scenario":
    preferred = next((g for g in gpus if g.startswith("H100")), gpus[0])
    gpu = c3.selectbox("GPU", gpus, index=gpus.index(preferred), key=f"gpu_{story}")

isl, osl = (int(v) for v in (st.session_state.get("lengths") or "2000/200").split("/"))
picked = rows
if story == "scenario":  # the rows the engine searches for this scenario
    picked = rows[(rows["isl"] == isl) & (rows["osl"] == osl)]
    if sc.query is not None:
        try:
            picked = table[select(table, sc.query)[0]]
        except SizerError as exc:
            st.warning(sentence(exc), icon=":material/warning:")
            st.stop()
else:
    picked = rows[rows["gpu_key"] == gpu]
    if story == "tp":  # the course: FP8, the longest input, all TPs
        precisions = set(picked["precision"])
        picked = picked[picked["precision"] == ("fp8" if "fp8" in precisions else min(precisions))]
        picked = picked[picked["isl"] == picked["isl"].max()]
        picked = picked[picked["osl"] == picked["osl"].min()]
    elif story in ("lengths", "queue"):
        tp = int(picked["tp"].min())
        picked = picked[(picked["tp"] == tp) & (picked["precision"] == sorted(picked["precision"].unique())[0])]
    elif story == "fp8":
        picked = picked[(picked["isl"] == isl) & (picked["osl"] == osl) & (picked["tp"] == picked["tp"].min())]

if picked.empty:
    st.info("The data has no curve for this view and filters.", icon=":material/info:")
    st.stop()
curves = picked.assign(label=charts.curve_label(picked, colour))
limit, chosen = None, None
if story == "scenario" and not view.problems(sc):
    result = view.sizing(loaded, sc)
    metric = x.rsplit("_", 1)[0]
    limit = {"ttft_ms": sc.query.limits.ttft_ms, "e2e_ms": sc.query.limits.e2e_ms,
             "itl_ms": sc.query.limits.itl_ms}.get(metric) if x.endswith(sc.query.limits.stat) else None
    if result is not None and not result.options.empty:
        chosen = result.options.assign(label=charts.curve_label(result.options, colour))
        if len(chosen) > 1:
            chosen = chosen.head(st.slider("Configurations shown (best first)", 1, len(chosen), min(8, len(chosen)),
                                           key="top_n"))
        curves = curves[curves["label"].isin(set(chosen["label"]))]
        solved = chosen[chosen["point"].eq("solved")]
        if not solved.empty:  # a point the model solved for the limit lies on its curve between two grid points
            curves = pd.concat([curves, solved[[c for c in curves.columns if c in solved] + ["point"]]],
                               ignore_index=True)
title = f"{model} · " + ("; ".join(sorted(set(curves["gpu_key"]))) if story == "scenario" else gpu)
view.chart(charts.frontier(curves, x, y, limit, chosen, title=title))
if chosen is not None and result is not None and result.best is not None:
    best = result.best  # the Answer's configuration and figure, said where its diamond is drawn
    st.caption(f"Best: {md(charts.curve_label(result.options.head(1), colour).iloc[0])} at concurrency "
               f"{best['load']:.3g} ({charts.POINT_WORDS.get(str(best['point']), str(best['point']))}), "
               f"{best['prompts_per_s_per_server']:.2f} prompts/s per 8 GPUs: {best['servers_exact']:.2f} servers "
               f"exactly for {sc.traffic.peak_req_per_s:,.1f} peak req/s, as on the Answer page.")
notes = {
    "scenario": "Each line is one configuration; points are concurrency levels, lowest at the left. The shaded "
                "band is the side of the limit that meets it; diamonds mark each configuration's chosen point "
                "(on a modeled curve, the point the performance model solves for your limit).",
    "tp": "TP2 halves latency at low load; two TP1 copies usually serve more prompts per 8 GPUs once the limit "
          "allows. The best choice depends on where your limit falls.",
    "lengths": "Output tokens per second depend strongly on the input and output lengths: quote throughput only "
               "with the lengths it was measured at.",
    "queue": "Where the TTFT share suddenly climbs towards 1, requests are queueing: past that knee, waiting time "
             "counts as time to first token.",
    "fp8": "FP8 delivers roughly twice the prompts per 8 GPUs at the same latency on Hopper-class GPUs.",
}
st.caption(notes[story])
modeled = picked["provenance"].eq("modeled").any()
if modeled:
    view.provenance_caption(picked)
with st.expander("The points behind the chart"):
    shown = curves.assign(point=curves["point"].fillna(curves["provenance"]) if "point" in curves else
                          curves["provenance"])  # a grid point is measured or modeled, as its curve
    cols = ["label", "load", x, y, "ttft_ms_avg", "e2e_ms_avg", "req_per_s", "point"]
    st.dataframe(pd.DataFrame(shown[list(dict.fromkeys(cols))]), hide_index=True,
                 column_config={"load": st.column_config.NumberColumn("concurrency", format="%.3g")})
