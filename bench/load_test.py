"""Bounded load test on loopback: 10 browser sessions change inputs for a minute against one `streamlit run`.
Checks that no session sees an exception, that each gets its own correct answer, and that memory settles."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.frontier import Limits, Query  # noqa: E402
from core.sizing import size  # noqa: E402
from core.table import DEFAULT_BENCHMARK_DIR, load_paths  # noqa: E402
from core.traffic import TrafficInputs, derive  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

SESSIONS = 10
SECONDS = 60
TTFTS = (200.0, 300.0, 500.0, 1000.0)
TABLE = load_paths([DEFAULT_BENCHMARK_DIR]).table


def expected(minutes: float, ttft: float) -> str:
    traffic = derive(TrafficInputs(minutes_per_call=minutes))
    best = size(TABLE, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=ttft)), traffic).best
    return f"{best['servers_exact']:.2f}"


async def settle(page) -> None:
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    await asyncio.sleep(0.2)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")


async def session(browser, url: str, index: int, deadline: float, report: dict) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(120_000)
    minutes = 4.0 + index
    try:
        await page.goto(f"{url}/?minutes={minutes:g}")
        await settle(page)
        step = 0
        while time.time() < deadline:
            ttft = TTFTS[(index + step) % len(TTFTS)]
            box = page.locator(".st-key-ttft input")
            await box.fill(f"{ttft:g}")
            await box.press("Enter")
            await settle(page)
            if await page.get_by_test_id("stException").count():
                report["exceptions"] += 1
            want = expected(minutes, ttft)
            metric = page.get_by_test_id("stMetric").filter(has_text="Servers (exact)").get_by_test_id("stMetricValue")
            value = ""
            for _ in range(60):  # the rerun may not have started when the last one reported notRunning
                value = (await metric.inner_text()).strip()
                if value == want:
                    break
                await asyncio.sleep(0.25)
            if value == want:
                report["correct"] += 1
            else:
                report["wrong"].append((index, minutes, ttft, value, want))
            step += 1
    except Exception as exc:  # a failed session is a finding, reported below
        report["failed"].append(f"session {index}: {exc!r}"[:300])
    finally:
        await context.close()


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def active_sessions(url: str) -> str:
    text = urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5).read().decode()
    match = re.search(r"^active_sessions\S*\s+(\d+)", text, re.M)
    return match.group(1) if match else "?"


async def main() -> None:
    from playwright.async_api import async_playwright

    server = Server()
    report: dict = {"correct": 0, "wrong": [], "exceptions": 0, "failed": []}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            warm = await browser.new_page()
            await warm.goto(server.url)
            await settle(warm)
            await warm.close()
            before = rss_mb(server.proc.pid)
            deadline = time.time() + SECONDS
            await asyncio.wait_for(asyncio.gather(*(session(browser, server.url, i, deadline, report)
                                                    for i in range(SESSIONS))), timeout=SECONDS + 240)
            peak = rss_mb(server.proc.pid)
            await browser.close()
        time.sleep(15)
        after = rss_mb(server.proc.pid)
        print(f"{SESSIONS} sessions × {SECONDS} s: {report['correct']} correct answers, {len(report['wrong'])} wrong, "
              f"{report['exceptions']} exceptions, {len(report['failed'])} failed sessions")
        print(f"server RSS: {before:.0f} MB before, {peak:.0f} MB at the end of the load, {after:.0f} MB 15 s later; "
              f"active sessions now {active_sessions(server.url)}")
        for item in report["wrong"][:5] + report["failed"][:5]:
            print("  ", item)
        print("tracebacks in the server log:", "yes" if server.tracebacks() else "none")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
