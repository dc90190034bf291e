"""Print the rerun time after a slider move (AppTest) on the Answer and Sizing pages, beside a page holding one
slider and nothing else measured in the same run (the floor: Streamlit's and AppTest's own cost of a rerun), and
the time from server start to the first interactive page in headless Chromium.

A move to a value the session has not seen sizes the scenario afresh (a cache miss); a move back to one it has seen
reads the content-keyed caches (ui.view.sized, ui.planning). Both are printed: the first for each value, then the
rest. The data is the embedded modeled table (every row modeled: the costliest range to compute)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_SLIDER = 'import streamlit as st\nst.select_slider("x", options=list(range(20)), value=0, key="x")\n'
TTFT_MOVES = (150.0, 200.0, 250.0, 300.0, 400.0, 500.0, 600.0, 750.0, 1000.0, 1500.0, 2000.0, 3000.0)
CALLS_MOVES = tuple(float(v) * 1e6 for v in (10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500))
ROUNDS = 3  # each value visited once cold, then ROUNDS - 1 times warm


def _moves(at, widget, key: str, values: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """Move one widget through `values` ROUNDS times; (first visits, later visits) in seconds."""
    cold, warm = [], []
    for round_ in range(ROUNDS):
        for value in values:
            widget(key=key).set_value(value)
            start = time.perf_counter()
            at.run()
            (cold if round_ == 0 else warm).append(time.perf_counter() - start)
            assert not at.exception, [e.value for e in at.exception]
    return cold, warm


def page_times(page: str | None, key: str, kind: str, values: tuple[float, ...]) -> tuple[list[float], list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    if page is None:  # the floor: one slider on a page of its own
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(ONE_SLIDER)
        at = AppTest.from_file(f.name, default_timeout=120)
        at.run()
        return _moves(at, at.select_slider, "x", values)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    if page != "pages/answer.py":
        at.switch_page(page).run()
    return _moves(at, getattr(at, kind), key, values)


def first_page_seconds() -> float:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        start = time.perf_counter()
        server = Server()
        try:
            page = browser.new_page()
            page.set_default_timeout(120_000)
            page.goto(server.url)
            wait_for_app(page)
            page.get_by_test_id("stMetricValue").first.wait_for()
            return time.perf_counter() - start
        finally:
            server.stop()
            browser.close()


def _ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:5.0f} ms, p90 {sorted(times)[int(len(times) * 0.9)] * 1000:5.0f} ms"


def main() -> None:
    floor_cold, floor_warm = page_times(None, "x", "select_slider", tuple(range(1, 13)))
    floor = statistics.median(floor_cold + floor_warm)
    print(f"one-slider page (the floor)            {_ms(floor_cold + floor_warm)} over {len(floor_cold + floor_warm)} moves")
    for page, key, kind, values in (("pages/answer.py", "ttft", "select_slider", TTFT_MOVES),
                                    ("pages/sizing.py", "ttft", "select_slider", TTFT_MOVES),
                                    ("pages/answer.py", "calls", "slider", CALLS_MOVES)):
        cold, warm = page_times(page, key, kind, values)
        name = f"{Path(page).stem}, {key} slider"
        print(f"{name:<24} all moves     {_ms(cold + warm)}; above the floor "
              f"{(statistics.median(cold + warm) - floor) * 1000:4.0f} ms")
        print(f"{'':<24} a new value   {_ms(cold)} ({len(cold)} moves: sized afresh)")
        print(f"{'':<24} a value seen  {_ms(warm)} ({len(warm)} moves: cached)")
    print(f"first page interactive after server start: {first_page_seconds():.1f} s")


if __name__ == "__main__":
    main()
