"""Landing page: the answer at a glance, the scenario in words, and a quote to send."""

import math

import streamlit as st

from core import quote
from ui import data, links, nav, scenario, view
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
            cost = best["usd_per_month"]
            cols[4].metric("Rental cost / month", f"${cost:,.0f}" if math.isfinite(cost) else "n/a",
                           help="Whole servers × 8 GPUs × the catalog's price per GPU-hour (see Data page) × 730 h")
            view.dropped_beside(loaded, best)
            st.markdown(scenario.describe(sc))
            kind = ("**measured** benchmark data" if best["provenance"] == "measured"
                    else "the **performance model** (an estimate; see the What-if page for its error)")
            where = {"interpolated": "interpolated to your limit between two benchmarked concurrencies",
                     "solved": "solved to your limit by the performance model",
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
            view.provenance_caption(result.options)
        link = links.share_link()
        note = view.data_note(loaded)
        cols = st.columns(3)
        cols[0].download_button("Quote (text)", data=lambda: quote.quote_text(result, note, link), file_name="sizing-quote.txt",
                                mime="text/plain", on_click="ignore", icon=":material/description:", key="dl_quote",
                                width="stretch")
        cols[1].download_button("Options (CSV)", data=lambda: quote.to_csv_text(result), file_name="sizing-options.csv",
                                mime="text/csv", on_click="ignore", icon=":material/table:", key="dl_csv",
                                width="stretch")
        cols[2].download_button("Options (JSON)", data=lambda: quote.to_json_text(result),
                                file_name="sizing-options.json", mime="application/json", on_click="ignore",
                                icon=":material/data_object:", key="dl_json", width="stretch")
        if link:
            st.caption("Share this scenario: the link below (the page address) carries every input.")
            st.code(link, language=None)
        if loaded.uploads:
            st.warning(f"These numbers come from your uploads ({md(', '.join(loaded.uploads))}), data fingerprint "
                       f"{loaded.fingerprint}. The link carries the scenario and that fingerprint, not the files: "
                       "the recipient must load the same files on the Data page, or the combined table below (with "
                       "the embedded data switched off), to get these numbers. The quote says so too.",
                       icon=":material/attach_file:")
            st.download_button("Combined table to send along (CSV)", data=lambda: view.safe_csv(data.canonical(loaded)),
                               file_name=f"sizing-data-{loaded.fingerprint}.csv", mime="text/csv", on_click="ignore",
                               icon=":material/download:", key="dl_combined")
