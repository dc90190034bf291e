"""Compare: the saved scenarios side by side (what differs highlighted), servers and cost per scenario in one chart,
and the quote with the comparison."""

import altair as alt
import pandas as pd
import streamlit as st

from core import charts, compare
from core.errors import SizerError
from ui import data, nav, quote, scenario, scenarios, view
from ui.text import md, plural

nav.ensure_router()
st.title("Compare scenarios")
quote.print_css()
loaded = data.current()
sc = scenario.current()
with st.container(key="sizer_save"):
    st.caption(f"Set a scenario in the sidebar and save it; change the GPUs, the limit or the traffic and save again. Up "
               f"to {scenarios.MAX_SAVED} scenarios stand side by side, each sized on the data loaded now.")
    if not view.problems(sc):
        scenarios.save_control(loaded)
    else:
        scenarios.said()
items = scenarios.saved()


def _highlight(frame: pd.DataFrame, differs: pd.Series) -> pd.DataFrame:
    """Rows where the scenarios differ: bold on a pale amber background."""
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    styles.loc[differs[differs].index, :] = "background-color: rgba(255, 193, 7, 0.22); font-weight: 600"
    return styles


if not items:
    st.info("No scenario saved yet. Save the scenario with “Save this scenario” above (or on the Answer page), change "
            "an input (the GPUs, the TTFT limit, calls per year), and save again to see them side by side.",
            icon=":material/compare_arrows:")
else:
    answers = scenarios.answers(loaded, items)
    frame = compare.compare_frame(answers)
    differs = compare.differing(frame)
    shown = frame.rename(columns=md).map(lambda v: md(v) if isinstance(v, str) else v)  # st.table draws Markdown
    st.table(shown.style.apply(_highlight, differs=differs, axis=None), alt="The saved scenarios side by side")
    different = list(differs[differs].index)
    if len(items) == 1:
        lead = ("One scenario so far: change an input (the GPUs, the TTFT limit, calls per year) and save again to see "
                "what differs. ")
    elif different:
        named = f" ({md(', '.join(different))})" if len(different) <= 5 else ""
        lead = f"Highlighted: the {plural(len(different), 'row')} where the scenarios differ{named}. "
    else:
        lead = "The scenarios give the same figures in every row. "
    st.caption(lead + "Costs: on-prem (owned), cloud (rented) and API (per token); the PDF lists every price with its "
               "source and date.")
    for name, given in answers:
        if isinstance(given, str):
            st.warning(f"{md(name)} cannot be answered with the data loaded now: {md(given)}", icon=":material/block:")
        elif given.best is None:
            st.warning(f"{md(name)}: no configuration in the data meets its latency limit; its column names the nearest "
                       "miss.", icon=":material/block:")
    for item in scenarios.other_data(loaded, items):
        st.caption(f"{md(item.name)} was saved with other data (fingerprint {item.fingerprint}; now "
                   f"{loaded.fingerprint}): its column is sized on the data loaded now.")
    points = compare.compare_points(answers)
    if len(points):
        with st.container(key="sizer_keep_together"):
            st.subheader("Servers and cost per scenario")
            servers, cost = charts.scenarios(points).hconcat  # side by side on a wide screen, stacked on a phone
            cost.encoding.y.axis = alt.Axis(labelLimit=220)  # (in the PDF it shares the servers panel's labels)
            for column, panel in zip(st.columns(2), (servers, cost), strict=True):
                with column:  # as wide as the column; as high as the panel asks (the theme's "fit" would squash it)
                    view.chart(panel.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))
            st.caption("Servers: whole 8-GPU servers per scenario, the black line the likely range (none drawn when "
                       "the range is that one count). Cost per year: owning the servers, renting them in the cloud, or paying an "
                       "API per token.")
    with st.container(key="sizer_saved_list"):
        st.subheader("Saved scenarios")
        scenarios.manage(items)
    try:
        result = view.scenario_sizing(loaded, sc)
    except SizerError:  # the inputs' own problem is said in the sidebar's pages; the comparison stands
        result = None
    quote.comparison_downloads(loaded, result, items)
