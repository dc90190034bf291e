"""The page registry and the one piece of Streamlit plumbing a `pages/` folder beside st.navigation needs."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# (script, title, Material icon, url path, tooltip)
PAGES = (
    ("pages/answer.py", "Answer", ":material/dns:", "answer", "How many servers, at a glance"),
    ("pages/traffic.py", "Traffic", ":material/call:", "traffic", "From business assumptions to peak requests/s"),
    ("pages/frontier.py", "Frontier", ":material/show_chart:", "frontier", "Latency against throughput, per configuration"),
    ("pages/sizing.py", "Sizing", ":material/calculate:", "sizing", "Every configuration ranked, and the cost of latency"),
    ("pages/what_if.py", "What-if", ":material/science:", "what-if", "Modeled curves for GPUs and models nobody measured"),
    ("pages/data.py", "Data", ":material/database:", "data", "What is loaded; upload your own benchmarks"),
    ("pages/guide.py", "Guide", ":material/menu_book:", "guide", "The metrics and the math in plain words"),
)


def pages() -> list[st.Page]:
    return [st.Page(script, title=title, icon=icon, url_path=path, default=i == 0)
            for i, (script, title, icon, path, _tip) in enumerate(PAGES)]


def frame(url_path: str) -> st.Page:
    """What the router draws around every page: page set-up, the declared navigation and the scenario sidebar."""
    from ui import data, scenario

    st.set_page_config(page_title="LLM Inference Sizer", page_icon=":material/dns:", layout="wide")
    page = st.navigation(pages(), position="top")
    scenario.sidebar(url_path or page.url_path, data.current())
    return page


def ensure_router(url_path: str) -> None:
    """On a freshly started server Streamlit runs a deep-linked file from pages/ by itself (its legacy multipage
    mode, which lists raw file names) until some session calls st.navigation. Draw the router's frame here then;
    calling st.navigation also ends that mode for every later run."""
    if PagesManager.uses_pages_directory:
        frame(url_path)
