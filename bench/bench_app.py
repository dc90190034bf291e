"""Print the rerun time after a slider move (AppTest) on the Answer and Sizing pages, beside a page holding one
slider and nothing else, moved in between in the same run (the floor: Streamlit's and AppTest's own cost of a
rerun, under the same load), and the time from server start to the first interactive page in headless Chromium.
The target (issue 10): under 50 ms median on Answer and Sizing.

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


def _app(page: str | None):
    """A fresh AppTest on `page` (None: the one-slider floor page), caches cleared, first run done."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    if page is None:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(ONE_SLIDER)
        at = AppTest.from_file(f.name, default_timeout=120)
        return at.run()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    if page != "pages/answer.py":
        at.switch_page(page).run()
    return at


def _move(at, kind: str, key: str, value: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one move and its rerun. On a shared machine the wall time
    grows with other people's load; the CPU time much less, so both are printed."""
    getattr(at, kind)(key=key).set_value(value)
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert not at.exception, [e.value for e in at.exception]
    return wall, cpu


def page_times(page: str, key: str, kind: str, values: tuple[float, ...]) -> dict[str, list[tuple[float, float]]]:
    """Move one slider through `values` ROUNDS times, each move right after a move on the one-slider page, so that
    both see the same load on a shared machine. 'cold': first visits of a value; 'warm': later ones; 'floor': the
    one-slider page's moves made in between."""
    at, floor = _app(page), _app(None)
    times: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "floor": []}
    for round_ in range(ROUNDS):
        for i, value in enumerate(values):
            times["floor"].append(_move(floor, "select_slider", "x", (i + round_) % 19 + 1))
            times["cold" if round_ == 0 else "warm"].append(_move(at, kind, key, value))
    return times


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


def _ms(times: list[tuple[float, float]]) -> str:
    wall = sorted(w for w, _ in times)
    return (f"median {statistics.median(wall) * 1000:4.0f} ms (CPU {_cpu(times):3.0f}), "
            f"p90 {wall[int(len(wall) * 0.9)] * 1000:4.0f} ms")


def _cpu(times: list[tuple[float, float]]) -> float:
    return statistics.median(c for _, c in times) * 1000


def _wall(times: list[tuple[float, float]]) -> float:
    return statistics.median(w for w, _ in times) * 1000


def main() -> None:
    print(f"Rerun after a slider move (AppTest), {ROUNDS} rounds over each slider's values; the floor is a page "
          "holding one slider, moved between the page's moves")
    for page, key, kind, values in (("pages/answer.py", "ttft", "select_slider", TTFT_MOVES),
                                    ("pages/sizing.py", "ttft", "select_slider", TTFT_MOVES),
                                    ("pages/answer.py", "calls", "slider", CALLS_MOVES)):
        t = page_times(page, key, kind, values)
        moves = t["cold"] + t["warm"]
        name = f"{Path(page).stem}, {key} slider"
        print(f"{name:<24} all moves     {_ms(moves)}; the floor {_ms(t['floor'])}; above the floor "
              f"{_wall(moves) - _wall(t['floor']):3.0f} ms (CPU {_cpu(moves) - _cpu(t['floor']):3.0f})")
        print(f"{'':<24} a new value   {_ms(t['cold'])} ({len(t['cold'])} moves: sized afresh)")
        print(f"{'':<24} a value seen  {_ms(t['warm'])} ({len(t['warm'])} moves: cached)")
    print(f"first page interactive after server start: {first_page_seconds():.1f} s")


if __name__ == "__main__":
    main()
