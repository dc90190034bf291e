"""Print the median rerun time of the Sizing page after an input change (AppTest) and the time from server start
to the first interactive page in headless Chromium."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rerun_times(page: str = "pages/sizing.py", changes: int = 30) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page(page).run()
    times = []
    for i in range(changes):
        box = at.number_input(key="ttft")
        box.set_value(200.0 + 50 * (i % 8))
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception
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


def main() -> None:
    for page in ("pages/sizing.py", "pages/answer.py"):
        times = rerun_times(page)
        print(f"{page}: rerun after an input change, median {statistics.median(times) * 1000:.0f} ms, "
              f"p90 {sorted(times)[int(len(times) * 0.9)] * 1000:.0f} ms over {len(times)} changes")
    print(f"first page interactive after server start: {first_page_seconds():.1f} s")


if __name__ == "__main__":
    main()
