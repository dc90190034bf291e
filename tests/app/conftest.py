"""AppTest fixtures: a fresh cache per test, and the app started on its default data or on the course's nim.csv."""

from __future__ import annotations

import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
PAGES = ["pages/answer.py", "pages/traffic.py", "pages/frontier.py", "pages/sizing.py", "pages/what_if.py",
         "pages/data.py", "pages/guide.py"]


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


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
