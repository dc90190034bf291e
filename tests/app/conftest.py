"""AppTest fixtures: a fresh cache per test, and the app started on its default data or on the course's nim.csv."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
PAGES = ["pages/answer.py", "pages/traffic.py", "pages/frontier.py", "pages/sizing.py", "pages/cost.py",
         "pages/what-if.py", "pages/data.py", "pages/guide.py", "pages/compare.py"]


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def default_data(monkeypatch):
    monkeypatch.delenv("SIZER_DATA_DIR", raising=False)


@pytest.fixture
def nim_dir(nim_csv, tmp_path, monkeypatch):
    """A data folder holding a temporary copy of the course's table (never committed)."""
    shutil.copy(nim_csv, tmp_path / "nim.csv")
    monkeypatch.setenv("SIZER_DATA_DIR", str(tmp_path))
    return tmp_path


def benchmark_csv(model: str, gpu: str = "H100 SXM", itl_ms: float = 10.0, nan_at: float | None = None) -> bytes:
    """A small canonical benchmark (this app's own CSV format): one TP1 FP8 curve at 2000/200 tokens, Little's law
    consistent. TTFT 40 ms × concurrency and an inter-token latency of `itl_ms` + 0.2 ms × concurrency; `nan_at`:
    the concurrency whose req/s is left empty (a row the importer drops)."""
    rows = []
    for c in (1, 2, 4, 8, 16, 32):
        ttft, itl = 40.0 * c, itl_ms + 0.2 * c
        e2e = ttft + 199 * itl
        rps = c / (e2e / 1000)
        rows.append({"model": model, "gpu": gpu, "tp": 1, "precision": "fp8", "engine": "vllm", "isl": 2000, "osl": 200,
                     "concurrency": c, "ttft_ms_avg": ttft, "itl_ms_avg": itl, "e2e_ms_avg": e2e,
                     "req_per_s": "" if c == nan_at else rps, "out_tok_per_s": rps * 200})
    return pd.DataFrame(rows).to_csv(index=False).encode()


def upload(at: AppTest, name: str, data: bytes, **labels) -> AppTest:
    """Add a file on the Data page as a user does: choose it, give the labels, press the button."""
    at.file_uploader[0].set_value((name, data, "application/octet-stream")).run()  # the file arrives: Add enabled
    for key, value in labels.items():
        widget = at.text_input(key=key) if key in ("upload_gpu", "upload_model") else (
            at.selectbox(key=key) if key == "upload_precision" else at.number_input(key=key))
        widget.set_value(value)
    at.button(key="upload_add").click().run()
    return at


def opened(params: dict[str, str | list[str]], page: str | None = None) -> AppTest:
    """A first visit by a link (to a page: a deep link, its url path being the file stem)."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def plain(markdown: str) -> str:
    """Markdown source as the reader sees it: backslash escapes and word joiners (ui.text.md) removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Everything the page wrote as Markdown (text, captions, headings, alerts), as the reader sees it."""
    parts = [e.value for kind in ("markdown", "caption", "subheader", "title", "info", "warning", "error", "success",
                                  "toast") for e in at.get(kind)]
    return plain("\n".join(parts))


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
