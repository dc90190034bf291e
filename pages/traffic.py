"""Traffic: business assumptions to average and peak requests per second, every step shown."""

import altair as alt
import pandas as pd
import streamlit as st

from ui import data, nav, scenario, view
from ui.text import md, plural

nav.ensure_router()
st.title("Traffic")
st.caption("From business assumptions to the peak load the servers must carry. Every step is shown.")
left, right = st.columns([2, 3], gap="large")
with left:
    scenario.traffic_inputs(sliders=True)
sc = scenario.current()
with right:
    if not view.problems(sc) or sc.traffic is not None:
        t = sc.traffic
        if t is not None:
            cols = st.columns(2)
            cols[0].metric("Average", f"{t.avg_req_per_s:,.1f} req/s" if t.avg_req_per_s is not None else "not given")
            cols[1].metric("Peak", f"{t.peak_req_per_s:,.1f} req/s")
            st.markdown("**How we got there**")
            st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(t.steps(), 1)))
            if t.inputs is not None:
                bars = pd.DataFrame({"load": ["Average", "Peak"], "req_per_s": [t.avg_req_per_s, t.peak_req_per_s]})
                chart = alt.Chart(bars).mark_bar().encode(
                    x=alt.X("req_per_s:Q", title="LLM requests per second"), y=alt.Y("load:N", title=None),
                    color=alt.Color("load:N", legend=None), tooltip=[alt.Tooltip("req_per_s:Q", format=",.1f")],
                ).properties(height=140)
                view.chart(chart)
                st.caption("The course sizes for the peak: capacity must carry the busiest moment, not the average. "
                           "Say which window the peak factor refers to (hour, minute): short bursts need a larger one.")
            result = view.sizing(data.current(), sc) if sc.query is not None else None
            if result is not None and result.best is not None:
                st.success(f"At this peak, with your latency limit: **{plural(int(result.best['servers']), 'server')}** "
                           f"({result.best['servers_exact']:.2f} exactly) of {md(result.best['gpu'])}. Details on the "
                           "Answer and Sizing pages.", icon=":material/dns:")
