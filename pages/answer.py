"""Landing page: the answer at a glance, the scenario in words, and a quote to send."""

import streamlit as st

from core import operating, quote
from ui import cost as costs
from ui import data, nav, planning, scenario, view
from ui import quote as quote_ui
from ui.text import md

nav.ensure_router()
st.title("How many servers?")
loaded = data.current()
sc = scenario.current()
if not view.problems(sc):
    result = view.sizing(loaded, sc)
    if result is not None:
        best = result.best
        if best is None:
            view.nothing_meets(result)
        else:
            st.subheader(md(quote.headline(result)))
            cols = st.columns(5)
            cols[0].metric("Servers (whole)", f"{int(best['servers'])}",
                           help="8-GPU servers, rounded up from the exact figure")
            cols[1].metric("Servers (exact)", f"{best['servers_exact']:.2f}",
                           help="Peak req/s ÷ prompts/s per server, as the NVIDIA sizing course computes it")
            cols[2].metric("GPUs", f"{int(best['gpus'])}", help="Instances × GPUs per instance")
            cols[3].metric("Instances", f"{int(best['instances'])}", help="Model copies: peak ÷ req/s per instance")
            costs.answer_metric(cols[4], result)
            planning.range_line(best)
            view.dropped_beside(loaded, best)
            st.markdown(scenario.describe(sc))
            kind = ("**measured** benchmark data" if best["provenance"] == "measured"
                    else "the **performance model** (an estimate; see the What-if page for its error)")
            ceiling = best["point"] == "solved" and not operating.limit_binds(best, sc.query.limits)
            where = {"interpolated": "interpolated to your limit between two benchmarked concurrencies",
                     "solved": "the most one copy holds at once in the performance model (its KV cache or the "
                               "engine's batch limit); your latency limit is not reached there" if ceiling
                     else "solved to your limit by the performance model",
                     "modeled": "a modeled concurrency level"}.get(best["point"], "a benchmarked concurrency level")
            limited = [c for c, _ in sc.query.limits.checks()] or [f"ttft_ms_{sc.query.limits.stat}"]
            names = {"ttft": "TTFT", "e2e": "end-to-end", "itl": "inter-token"}  # the latencies the limits bound
            at = ", ".join(f"{names[c.split('_')[0]]} {best[c]:,.{1 if c.startswith('itl') else 0}f} ms" for c in limited)
            st.info(f"Operating point: concurrency {best['load']:.3g} per instance ({where}), "
                    f"{best['prompts_per_s_per_server']:.2f} prompts/s per 8 GPUs, {at} ({sc.query.limits.stat}). "
                    f"Source: {kind}.",
                    icon=":material/info:")
            others = view.options_frame(result).iloc[1:6]
            if not others.empty:
                st.markdown("**Runners-up**")
                st.dataframe(others, column_config=view.TABLE_COLUMNS, hide_index=True)
                quote_ui.print_table(others, view.TABLE_COLUMNS)
            view.provenance_caption(result.options)
            planning.answer_details(loaded, sc, result)
        quote_ui.documents(loaded, result, stale=bool(sc.stale))
