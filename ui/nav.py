"""The page registry, the router's frame, and the one piece of Streamlit plumbing a `pages/` folder needs.

Streamlit knows a page by two names here. Until some session calls st.navigation, a freshly started server runs
its legacy multipage mode, which knows each file in pages/ by its file stem and runs a deep-linked file by itself;
after that, the declared navigation knows each page by its url path, and the default page by "" only. So the url
path of every page *is* its file stem (one name in both modes), and the declared navigation also answers to the
default page's stem, redirecting to "/". ensure_router, the first line of every page, turns a legacy run into a
router's run, so a page draws the same widgets (the same widget ids) on the first request as on every later one.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# (script, title, Material icon, tooltip); the url path is the file stem. The first page is the default ("/").
PAGES = (
    ("pages/answer.py", "Answer", ":material/dns:", "How many servers, at a glance"),
    ("pages/traffic.py", "Traffic", ":material/call:", "From business assumptions to peak requests/s"),
    ("pages/frontier.py", "Frontier", ":material/show_chart:", "Latency against throughput, per configuration"),
    ("pages/sizing.py", "Sizing", ":material/calculate:", "Every configuration ranked, and the cost of latency"),
    ("pages/cost.py", "Cost", ":material/payments:", "On-prem, cloud and API side by side; power; break-even"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:", "Saved scenarios side by side"),
    ("pages/what-if.py", "What-if", ":material/science:", "Modeled curves for GPUs and models nobody measured"),
    ("pages/data.py", "Data", ":material/database:", "What is loaded; upload your own benchmarks"),
    ("pages/guide.py", "Guide", ":material/menu_book:", "The metrics and the math in plain words"),
)


def url_path(script: str) -> str:
    return Path(script).stem


# Names the legacy mode knows that the declared navigation does not: the default page's stem (it lives at "/").
ALIASES = {url_path(PAGES[0][0]): ""}


def pages() -> list[st.Page]:
    """The declared pages, then a hidden page for every alias, which redirects to the page it names."""
    declared = [st.Page(script, title=title, icon=icon, url_path=ALIASES.get(url_path(script), url_path(script)),
                        default=i == 0, help=tip) for i, (script, title, icon, tip) in enumerate(PAGES)]
    by_path = {page.url_path: page for page in declared}
    return declared + [st.Page(_redirect(by_path[target]), title=by_path[target].title, url_path=alias,
                               visibility="hidden") for alias, target in ALIASES.items()]


def _redirect(target: st.Page):
    def redirect() -> None:
        params = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
        st.switch_page(target, query_params=params)

    return redirect


def frame() -> st.Page:
    """What the router draws around every page: page set-up, the declared navigation and the scenario sidebar."""
    from ui import cost, data, links, scenario
    from ui.text import md

    st.set_page_config(page_title="LLM Inference Sizer", page_icon=":material/dns:", layout="wide")
    page = st.navigation(pages(), position="top")
    if page.url_path in ALIASES:
        return page
    links.remember_url_values(page, scenario.STEPS)
    if problem := data.folder_problem():
        st.error(problem, icon=":material/folder_off:")
    current = data.current()
    if other := links.sync_data_param(current.fingerprint, bool(current.uploads)):
        st.warning(f"The link you opened was made with other data (fingerprint {md(other)}; yours is "
                   f"{current.fingerprint}): its sender had uploaded benchmark files. The figures here come from your "
                   "data; load the same files on the Data page to see the sender's numbers.", icon=":material/dataset:")
    scenario.sidebar(page.url_path, current)
    cost.follow_url()  # the cost options and edited prices: from a link on the first run, into the URL every run
    return page


def ensure_router() -> None:
    """On a freshly started server Streamlit runs a deep-linked file from pages/ by itself (its legacy multipage
    mode) until some session calls st.navigation. Call it (which ends that mode for every later run and resolves
    this address among the declared pages), then rerun: the rerun is the router's, with the same page, the same
    URL and the same widget ids as every later run. Nothing is drawn before, so nothing is lost."""
    if PagesManager.uses_pages_directory:
        st.navigation(pages(), position="top")
        st.rerun()
