"""Traffic: business assumptions to average and peak requests per second, then the rate sized for, every step shown."""

import altair as alt
import pandas as pd
import streamlit as st

from core import document
from ui import data, nav, planning, scenario, view
from ui.text import md, plural

nav.ensure_router()
st.title("Traffic")
st.caption("From business assumptions to the load the servers must carry. Every step is shown. Type exact values "
           "here; the other pages offer the same assumptions as sliders.")
left, right = st.columns([2, 3], gap="large")
with left:
    scenario.traffic_inputs(exact=True)
sc = scenario.current()
with right:
    if not view.problems(sc) or sc.traffic is not None:
        t = sc.traffic
        if t is not None:
            d = planning.design(t, sc.plan)
            cols = st.columns(3)
            cols[0].metric("Average", f"{t.avg_req_per_s:,.1f} req/s" if t.avg_req_per_s is not None else "not given")
            cols[1].metric("Peak", f"{t.peak_req_per_s:,.1f} req/s")
            cols[2].metric("Sized for", f"{d.design_req_per_s:,.1f} req/s",
                           help="The peak, raised to the burst percentile when a burst allowance is chosen")
            st.markdown("**How we got there**")
            steps = [*t.steps(), *d.steps()]
            st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1)))
            st.caption(planning.burst_words(d))
            loads = [("Average", t.avg_req_per_s), ("Peak", t.peak_req_per_s), ("Sized for", d.design_req_per_s)]
            bars = pd.DataFrame([{"load": name, "req_per_s": value} for name, value in loads if value is not None])
            chart = alt.Chart(bars).mark_bar().encode(
                x=alt.X("req_per_s:Q", title="LLM requests per second"),
                y=alt.Y("load:N", title=None, sort=list(bars["load"])),
                color=alt.Color("load:N", legend=None), tooltip=[alt.Tooltip("req_per_s:Q", format=",.1f")],
            ).properties(height=50 * len(bars))
            view.chart(chart)
            st.caption("The course sizes for the peak: capacity must carry the busiest moment, not the average. "
                       "Say which window the peak factor refers to (hour, minute): short bursts need a larger one, "
                       "or a burst allowance.")
            result = view.sizing(data.current(), sc) if sc.query is not None else None
            if result is not None and result.best is not None:
                st.success(f"At this load, with your latency limit: **{plural(int(result.best['servers']), 'server')}** "
                           f"({result.best['servers_exact']:.2f} exactly) of {md(document.gpu_name(result.best))}. Details on the "
                           "Answer and Sizing pages.", icon=":material/dns:")
