"""The documents a sales engineer sends, on the Answer page (and the comparison's, on the Compare page): who the
quote is for and from, the PDF, the Excel workbook, the text quote, CSV and JSON, built when clicked; the scenario's
link in them only when the app's address is public; and the print layout, so that a printed page keeps its tables.

Downloads are built on click, on a thread of their own, outside the page's run: everything they need is gathered
and checked while the page is drawn, so a build never meets an invalid field.
"""

from __future__ import annotations

import html
import logging
import math
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

import numpy as np
import pandas as pd
import streamlit as st

from core import document
from core.document import PUBLIC_URL_ENV, QuoteInfo
from core.inputs import InputError
from core.quote import DataNote, quote_text, to_csv_text, to_json_text
from core.sizing import Sizing
from ui import data, links, scenarios, view
from ui.data import Data
from ui.text import md, plural

LOG = logging.getLogger(__name__)
PUBLIC_URL_SECRET = "public_url"  # .streamlit/secrets.toml (Community Cloud: the app's Secrets); else $SIZER_PUBLIC_URL
CUSTOMER, PREPARED_BY = "quote_customer", "quote_prepared_by"  # widget keys, kept for the session
WITH_SCENARIOS = "quote_with_scenarios"
FIELDS = {CUSTOMER: ("customer", "Customer / project"), PREPARED_BY: ("prepared_by", "Prepared by")}
PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Printing (Ctrl+P): no sidebar, navigation or controls; the page's full width; a table drawn on a canvas (which a
# printer cuts at the page's edge) replaced by its printable twin, a plain HTML table that wraps to the paper.
PRINT_CSS = """<style>
@media screen {
  [data-testid="stElementContainer"]:has(.sizer-print-only) { display: none !important; }
}
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stTopNav"],
  [data-testid="stToastContainer"], [data-testid="stBottom"], [data-testid="stTooltipIcon"],
  [data-testid="stElementContainer"]:has(.stButton, .stDownloadButton, .stLinkButton, .stPageLink, .stTextInput,
                                            .stCheckbox, .stFormSubmitButton),
  .st-key-sizer_documents, .st-key-sizer_save, .st-key-sizer_saved_list, [class*="st-key-saved_"],
  [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]):has(+ [data-testid="stElementContainer"] .sizer-print-only) {
    display: none !important;
  }
  [data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"] {
    max-width: none !important; padding: 0 !important; margin: 0 !important; overflow: visible !important;
  }
  [data-testid="stVegaLiteChart"], [data-testid="stTable"], table, [data-testid="stMetric"], [data-testid="stAlert"],
  .st-key-sizer_keep_together {
    break-inside: avoid;
  }
}
table.sizer-print-table { width: 100%; border-collapse: collapse; font-size: 8pt; line-height: 1.25; }
table.sizer-print-table th { text-align: left; border-bottom: 1px solid #999; padding: 2px 4px; vertical-align: bottom; }
table.sizer-print-table td { border-bottom: 1px solid #ddd; padding: 2px 4px; vertical-align: top; }
table.sizer-print-table td.num, table.sizer-print-table th.num { text-align: right; }
</style>"""


def print_css() -> None:
    st.html(PRINT_CSS)


# --- the fields and the link ------------------------------------------------------------------------------------------

def public_url() -> str | None:
    """The app's public address: `public_url` in the Streamlit secrets, else $SIZER_PUBLIC_URL (None: neither)."""
    try:
        value = st.secrets.get(PUBLIC_URL_SECRET)
    except FileNotFoundError:  # no secrets file: the usual case outside Community Cloud
        value = None
    except Exception:  # a malformed secrets file must not take the page down; the log says why
        LOG.warning("could not read %s from the Streamlit secrets", PUBLIC_URL_SECRET, exc_info=True)
        value = None
    text = str(value).strip() if value is not None else ""
    return text or os.environ.get(PUBLIC_URL_ENV, "").strip() or None


def scenario_link() -> str | None:
    """The current scenario on the Answer page: the app's address with the link's values (the data's fingerprint
    with uploads). None when the page's own address is unknown."""
    if not st.context.url:
        return None
    pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    root = scenarios.app_root()
    return f"{root}?{urlencode(pairs)}" if pairs else root


def field_problems() -> dict[str, str]:
    """Per field key, why its value cannot go into a document (QuoteInfo.checked's words)."""
    out = {}
    for key, (name, label) in FIELDS.items():
        try:
            QuoteInfo(**{name: st.session_state.get(key) or ""}).checked()
        except InputError as exc:
            out[key] = f"{label} {exc.problem}. The PDF, the workbook and the text quote wait until it is fixed."
    return out


def quote_info() -> QuoteInfo | None:
    """Who the quote is for and from, today, and the scenario's link (kept only when public); None while a field is
    invalid."""
    if field_problems():
        return None
    return QuoteInfo(customer=st.session_state.get(CUSTOMER) or "", prepared_by=st.session_state.get(PREPARED_BY) or "",
                     link=scenario_link(), public_url=public_url()).checked()


def fields() -> None:
    """Customer / project and prepared-by, kept for the session (every page's documents use them); a bad value is
    said under its field."""
    problems = field_problems()
    for column, (key, (_, label)) in zip(st.columns(2), FIELDS.items(), strict=True):
        with column:
            st.text_input(label, key=key, persist_state="session",
                          placeholder="ACME call centre" if key == CUSTOMER else "Your name",
                          help="Printed at the top of the PDF and the workbook")
            if key in problems:
                st.warning(md(problems[key]), icon=":material/edit_off:")


def link_note(info: QuoteInfo) -> None:
    shown = info.shown_link()
    if shown:
        st.caption(f"The documents link to this scenario at {md(shown)}.")
    elif info.link:
        host = urlsplit(info.link).hostname or "this address"
        st.caption(f"The documents carry no link: this app runs at a private address ({md(host)}), which a customer "
                   f"cannot open. Set `{PUBLIC_URL_SECRET}` in the app's secrets, or `{PUBLIC_URL_ENV}`, to its public "
                   "address and the documents link to the scenario there.")


# --- the documents ----------------------------------------------------------------------------------------------------

def data_note(loaded: Data) -> DataNote:
    """The files the numbers come from; with uploads, their names (the recipient must load the same files)."""
    return DataNote(files=tuple(loaded.files), uploads=tuple(loaded.uploads))


def file_stem(info: QuoteInfo | None, kind: str = "quote") -> str:
    """'sizing-quote-acme-call-centre-2025-06-01': the customer (ASCII letters and digits) and the date."""
    ascii_name = unicodedata.normalize("NFKD", info.customer if info else "").encode("ascii", "ignore").decode()
    customer = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return "-".join(x for x in ("sizing", kind, customer, document.today(info or QuoteInfo())) if x)


def builders(result: Sizing, loaded: Data, info: QuoteInfo | None,
             items: list[scenarios.Saved]) -> dict[str, Callable[[], bytes | str]]:
    """What each download builds when clicked. Everything is captured now (the builds run outside the page's run);
    the saved scenarios are sized at the click, on the data loaded now."""
    note, table = data_note(loaded), loaded.table

    def pdf() -> bytes:
        from core.quote_pdf import quote_pdf

        return quote_pdf(result, note, info, table, scenarios=scenarios.answers(loaded, items))

    def xlsx() -> bytes:
        from core.quote_xlsx import quote_xlsx

        return quote_xlsx(result, note, info, scenarios=scenarios.answers(loaded, items))

    return {"pdf": pdf, "xlsx": xlsx, "text": lambda: quote_text(result, note, info=info),
            "csv": lambda: to_csv_text(result), "json": lambda: to_json_text(result)}


def documents(loaded: Data, result: Sizing, stale: bool = False) -> None:
    """The Answer page's documents section: the fields, the five downloads, the share link, then saving the scenario
    for the Compare page. stale: an input is invalid and the figures are its last valid values', which no document
    may carry as if they were the inputs shown."""
    print_css()
    info = quote_info()
    with st.container(key="sizer_documents"):
        st.subheader("Quote and documents")
        fields()
        items = scenarios.saved()
        with_saved = bool(items) and st.toggle(
            f"Add the {plural(len(items), 'saved scenario')} side by side (a page of the PDF, a "
            "sheet of the workbook)", value=True, key=WITH_SCENARIOS, persist_state="session")
        build = builders(result, loaded, info, items if with_saved else [])
        stem, held = file_stem(info), info is None or stale
        wait = ("Fix the inputs first: the figures are for their last valid values" if stale
                else "Fix the field above first" if held else None)
        cols = st.columns(5)
        cols[0].download_button("Quote (PDF)", data=build["pdf"], file_name=f"{stem}.pdf", mime=PDF, on_click="ignore",
                                icon=":material/picture_as_pdf:", key="dl_pdf", width="stretch", disabled=held,
                                type="primary", help=wait or "The answer, the options, the chart, the cost with every "
                                "price, the traffic, the data and the method: two pages to send")
        cols[1].download_button("Workbook (Excel)", data=build["xlsx"], file_name=f"{stem}.xlsx", mime=XLSX,
                                on_click="ignore", icon=":material/table_view:", key="dl_xlsx", width="stretch",
                                disabled=held, help=wait or "Assumptions as cells, servers and costs as live formulas "
                                "over them, every option, where each number comes from")
        cols[2].download_button("Quote (text)", data=build["text"], file_name=f"{stem}.txt", mime="text/plain",
                                on_click="ignore", icon=":material/description:", key="dl_quote", width="stretch",
                                disabled=held, help=wait)
        cols[3].download_button("Options (CSV)", data=build["csv"], file_name="sizing-options.csv", mime="text/csv",
                                on_click="ignore", icon=":material/table:", key="dl_csv", width="stretch",
                                disabled=stale, help=wait if stale else None)
        cols[4].download_button("Options (JSON)", data=build["json"], file_name="sizing-options.json",
                                mime="application/json", on_click="ignore", icon=":material/data_object:",
                                key="dl_json", width="stretch", disabled=stale, help=wait if stale else None)
        if info is not None:
            link_note(info)
        link = links.share_link()
        if link:
            st.caption("Share this scenario: the link below (the page address) carries every input.")
            st.code(link, language=None)
    if loaded.uploads:
        st.warning(f"These numbers come from your uploads ({md(', '.join(loaded.uploads))}), data fingerprint "
                   f"{loaded.fingerprint}. The link carries the scenario and that fingerprint, not the files: "
                   "the recipient must load the same files on the Data page, or the combined table below (with "
                   "the embedded data switched off), to get these numbers. The documents say so too.",
                   icon=":material/attach_file:")
        st.download_button("Combined table to send along (CSV)", data=lambda: view.safe_csv(data.canonical(loaded)),
                           file_name=f"sizing-data-{loaded.fingerprint}.csv", mime="text/csv", on_click="ignore",
                           icon=":material/download:", key="dl_combined")
    print_parties(info)
    with st.container(key="sizer_save"):
        st.subheader("Compare scenarios")
        st.caption(f"Save this scenario, change the inputs, save again: up to {scenarios.MAX_SAVED} side by side on "
                   "the Compare page (the same traffic on H100, H200 and B200; TTFT 300 against 500 ms; this year "
                   "against in three years).")
        scenarios.save_control(loaded)
        count = len(scenarios.saved())
        if count:
            st.page_link("pages/compare.py", label=f"Compare the {plural(count, 'saved scenario')}",
                         icon=":material/compare_arrows:")


def comparison_downloads(loaded: Data, result: Sizing | None, items: list[scenarios.Saved]) -> None:
    """The Compare page's documents: the quote of the scenario in the inputs, with the saved ones side by side."""
    if result is None or not items:
        return
    info = quote_info()
    who = " · ".join(x for x in ((info.customer if info else ""), (f"prepared by {info.prepared_by}"
                                                                  if info and info.prepared_by else "")) if x)
    with st.container(key="sizer_documents"):
        st.subheader("Send it")
        if info is None:
            st.warning("A field of the quote (Answer page) is invalid: fix it there to download the documents.",
                       icon=":material/edit_off:")
        st.caption("The quote of the scenario in the inputs" + (f" ({md(who)})" if who else "")
                   + ", with these scenarios side by side; the customer and prepared-by fields are on the Answer page.")
        build = builders(result, loaded, info, items)
        stem = file_stem(info, "comparison")
        left, right = st.columns(2)
        left.download_button("Quote with the comparison (PDF)", data=build["pdf"], file_name=f"{stem}.pdf", mime=PDF,
                             on_click="ignore", icon=":material/picture_as_pdf:", key="dl_compare_pdf",
                             width="stretch", disabled=info is None, type="primary")
        right.download_button("Workbook with the comparison (Excel)", data=build["xlsx"], file_name=f"{stem}.xlsx",
                              mime=XLSX, on_click="ignore", icon=":material/table_view:", key="dl_compare_xlsx",
                              width="stretch", disabled=info is None)


# --- print ------------------------------------------------------------------------------------------------------------

def print_parties(info: QuoteInfo | None) -> None:
    """On paper only: who the page is for and from, the date, and the public link when there is one."""
    if info is None:
        return
    parts = [f"Customer / project: {info.customer}" if info.customer else "",
             f"Prepared by: {info.prepared_by}" if info.prepared_by else "", f"Date: {document.today(info)}",
             f"Scenario: {info.shown_link()}" if info.shown_link() else ""]
    st.html(f'<p class="sizer-print-only">{html.escape(" · ".join(p for p in parts if p))}</p>')


def print_table(frame: pd.DataFrame, column_config: Mapping[str, Mapping] | None = None) -> None:
    """The printable twin of the table drawn just before it: hidden on screen; on paper it stands in for the
    canvas table (which a printer cuts at the page's edge), with the same headers and number formats."""
    print_css()
    config = column_config or {}
    heads, numeric = [], []
    for column in frame.columns:
        spec = config.get(column) or {}
        heads.append(str(spec.get("label") or column))
        numeric.append(pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]))
    formats = [((config.get(c) or {}).get("type_config") or {}).get("format") for c in frame.columns]
    head = "".join(f'<th class="{"num" if n else ""}">{html.escape(h)}</th>' for h, n in zip(heads, numeric, strict=True))
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(f'<td class="{"num" if n else ""}">{html.escape(cell_text(v, f))}</td>'
                        for v, f, n in zip(values, formats, numeric, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    st.html(f'<div class="sizer-print-only"><table class="sizer-print-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


_PRINTF = re.compile(r"^(?P<before>[^%]*)%(?P<comma>,?)(?P<spec>(\.\d+)?[dfeg])(?P<after>.*)$")


def cell_text(value: object, fmt: str | None) -> str:
    """A value as the screen table shows it: printf-style formats ('%.2f', '$%,.0f'), '–' for a missing number."""
    if value is None or (isinstance(value, (float, np.floating)) and not math.isfinite(float(value))):
        return "–"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        found = _PRINTF.match(fmt or "")
        if found:
            spec = found["spec"]
            number = round(float(value)) if spec.endswith("d") else float(value)
            return f"{found['before']}{format(number, found['comma'] + spec)}{found['after']}"
        return f"{value:,}" if isinstance(value, (int, np.integer)) else f"{float(value):g}"
    return str(value)
