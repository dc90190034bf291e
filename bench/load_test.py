"""Bounded load test on loopback: browser sessions (some uploading their own benchmark file) change inputs against
one `streamlit run`, opening new sessions as old ones close, until the time is up.

Every answer a session reads is checked against the engine's for that session's own data, so a session that saw
another's upload counts as a wrong answer. The server's RSS is sampled throughout and once more after the sessions
have gone. Exit status 1 when an answer was wrong, a session saw an exception or failed, or memory kept growing
(the peak of the last third of the run above the peak of the middle third by more than the tolerance).

    python bench/load_test.py --sessions 20 --uploads 10 --seconds 180
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.frontier import Limits, Query  # noqa: E402
from core.importers import read_benchmark  # noqa: E402
from core.sizing import size  # noqa: E402
from core.table import DEFAULT_BENCHMARK_DIR, combine, load_paths  # noqa: E402
from core.traffic import TrafficInputs, derive  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

TTFTS = (200.0, 300.0, 500.0, 1000.0)
GPUS = ("H100 SXM", "H200 SXM", "A100 SXM 80GB", "B200", "L40S")
CONCURRENCY = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass
class Report:
    correct: int = 0
    wrong: list = field(default_factory=list)
    exceptions: int = 0
    failed: list = field(default_factory=list)
    sessions: int = 0
    uploads: int = 0
    rss: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds since start, MB, active sessions)


def upload_file(session: int, rows: int) -> tuple[str, bytes]:
    """A benchmark of this session's own model, in this app's CSV format: curves for several GPUs and TPs, numbers
    that differ from every other session's (latency scaled by the session number), about `rows` rows."""
    model = f"Load Model {session}"
    records = []
    scale = 1.0 + 0.05 * session
    configs = [(g, tp, i) for i, (g, tp) in enumerate((g, tp) for tp in (1, 2, 4, 8) for g in GPUS)]
    repeat = max(1, rows // (len(configs) * len(CONCURRENCY)))
    for gpu, tp, k in configs:
        for run in range(repeat):
            for c in CONCURRENCY:
                ttft = scale * (30.0 + 12.0 * c) / tp ** 0.5 * (1 + 0.1 * k)
                itl = scale * (8.0 + 0.15 * c) / tp ** 0.7
                e2e = ttft + 199 * itl
                rps = c / (e2e / 1000) * (1 + 0.001 * run)
                records.append({"model": model, "gpu": gpu, "tp": tp, "precision": "fp8", "engine": "vllm",
                                "isl": 2000, "osl": 200 + 200 * run, "concurrency": c, "ttft_ms_avg": ttft,
                                "itl_ms_avg": itl, "e2e_ms_avg": e2e, "req_per_s": rps, "out_tok_per_s": rps * 200})
    buffer = io.StringIO()
    pd.DataFrame(records).to_csv(buffer, index=False)
    return model, buffer.getvalue().encode()


class Expected:
    """The engine's answer for a session's data, minutes per call and TTFT limit, as the Answer page prints it."""

    def __init__(self) -> None:
        self.default = load_paths([DEFAULT_BENCHMARK_DIR]).table
        self.tables: dict[str, pd.DataFrame] = {}
        self.known: dict[tuple[str, float, float], str] = {}

    def add(self, model: str, data: bytes) -> None:
        self.tables[model] = combine([read_benchmark(data, "nim.csv")]).table

    def servers_exact(self, model: str, minutes: float, ttft: float) -> str:
        if (model, minutes, ttft) not in self.known:
            table = self.tables.get(model, self.default)
            best = size(table, Query(model, 2000, 200, Limits(ttft_ms=ttft)),
                        derive(TrafficInputs(minutes_per_call=minutes))).best
            self.known[model, minutes, ttft] = f"{best['servers_exact']:.2f}"
        return self.known[model, minutes, ttft]


async def settle(page) -> None:
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    await asyncio.sleep(0.2)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")


async def add_upload(page, url: str, name: str, data: bytes) -> None:
    await page.goto(f"{url}/data")
    await settle(page)
    await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    await page.get_by_test_id("stFileChip").filter(has_text=name).wait_for()
    await settle(page)
    await page.locator(".st-key-upload_add button").click()
    await settle(page)
    await page.get_by_text(f"Added {name}").wait_for()
    await page.locator(".st-key-use_default_toggle label").first.click()  # size on the upload alone
    await settle(page)
    await page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Answer").click()
    await settle(page)


async def one_session(browser, url: str, worker: int, args, expected: Expected, deadline: float,
                      report: Report) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(180_000)
    minutes = 4.0 + worker % 12
    model = "Llama 3 8B"
    try:
        if worker < args.uploads:
            model, data = upload_file(worker, args.upload_rows)
            await add_upload(page, url, "nim.csv", data)  # every upload has the same name, not the same content
            report.uploads += 1
            box = page.locator(".st-key-minutes input")
            await box.fill(f"{minutes:g}")
            await box.press("Enter")
        else:
            await page.goto(f"{url}/?minutes={minutes:g}")
        await settle(page)
        report.sessions += 1
        end = min(deadline, time.time() + args.session_seconds)
        step = 0
        while time.time() < end:
            ttft = TTFTS[(worker + step) % len(TTFTS)]
            box = page.locator(".st-key-ttft input")
            await box.fill(f"{ttft:g}")
            await box.press("Enter")
            await settle(page)
            if await page.get_by_test_id("stException").count():
                report.exceptions += 1
            want = expected.servers_exact(model, minutes, ttft)
            metric = page.get_by_test_id("stMetric").filter(has_text="Servers (exact)").get_by_test_id("stMetricValue")
            main = page.locator("[data-testid='stMain']")
            value, named = "", False
            for _ in range(60):  # the rerun may not have started when the last one reported notRunning
                value = (await metric.inner_text()).strip()
                named = model in (await main.inner_text()).replace("\u2060", "")  # this session's model, no other
                if value == want and named:
                    break
                await asyncio.sleep(0.25)
            if value == want and named:
                report.correct += 1
            else:
                report.wrong.append((worker, model, minutes, ttft, value, want, named))
            step += 1
    except Exception as exc:  # a failed session is a finding, reported below
        report.failed.append(f"session of worker {worker}: {exc!r}"[:300])
    finally:
        await context.close()


async def worker_loop(browser, url: str, worker: int, args, expected: Expected, deadline: float,
                      report: Report) -> None:
    """One simulated visitor after another until the time is up (sessions open, work, close)."""
    while time.time() < deadline - 5:
        await one_session(browser, url, worker, args, expected, deadline, report)


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def active_sessions(url: str) -> str:
    try:
        text = urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5).read().decode()
    except OSError:
        return "?"
    match = re.search(r"^active_sessions\S*\s+(\d+)", text, re.M)
    return match.group(1) if match else "?"


async def sample(pid: int, url: str, start: float, stop: asyncio.Event, report: Report, every_s: float) -> None:
    while not stop.is_set():
        sessions = await asyncio.to_thread(active_sessions, url)
        report.rss.append((time.time() - start, rss_mb(pid), sessions))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


def settled(samples: list[tuple[float, float, str]], tolerance: float, floor_mb: float) -> tuple[bool, str]:
    """Memory settles when the peak of the last third of the load is within the tolerance of the middle third's."""
    values = [mb for _, mb, _ in samples]
    if len(values) < 6:
        return False, "too few samples to judge (run longer)"
    third = len(values) // 3
    middle, last = max(values[third:2 * third]), max(values[2 * third:])
    grew = last - middle
    ok = grew <= max(tolerance * middle, floor_mb)
    return ok, (f"peak {middle:.0f} MB in the middle third, {last:.0f} MB in the last third "
                f"({'+' if grew >= 0 else ''}{grew:.0f} MB; allowed {max(tolerance * middle, floor_mb):.0f} MB)")


async def main(args) -> int:
    from playwright.async_api import async_playwright

    expected = Expected()
    for worker in range(args.uploads):
        expected.add(*upload_file(worker, args.upload_rows))
    server = Server(env={"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(args.disconnect_ttl)})
    report = Report()
    start = time.time()
    stop = asyncio.Event()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            warm = await browser.new_page()
            await warm.goto(server.url)
            await settle(warm)
            await warm.close()
            before = rss_mb(server.proc.pid)
            sampler = asyncio.create_task(sample(server.proc.pid, server.url, start, stop, report, args.sample_s))
            deadline = time.time() + args.seconds
            await asyncio.wait_for(asyncio.gather(*(worker_loop(browser, server.url, w, args, expected, deadline,
                                                                report) for w in range(args.sessions))),
                                   timeout=args.seconds + 300)
            load_samples = list(report.rss)
            await browser.close()
        gone = time.time() + args.disconnect_ttl + 60
        while time.time() < gone and active_sessions(server.url) not in ("0", "?"):
            await asyncio.sleep(2)
        await asyncio.sleep(5)
        stop.set()
        await sampler
        after = rss_mb(server.proc.pid)
        ok_memory, memory_note = settled(load_samples, args.tolerance, args.floor_mb)
        print(f"{args.sessions} concurrent visitors × {args.seconds} s, {report.sessions} sessions opened "
              f"({report.uploads} with an upload of about {args.upload_rows:,} rows, all named nim.csv): "
              f"{report.correct} correct answers, {len(report.wrong)} wrong, {report.exceptions} exceptions, "
              f"{len(report.failed)} failed sessions")
        print("server RSS over time (s, MB, active sessions):")
        step = max(1, len(report.rss) // 20)
        for t, mb, sessions in report.rss[::step] + report.rss[-1:]:
            print(f"  {t:6.0f} s  {mb:7.0f} MB  {sessions:>3} sessions")
        print(f"server RSS: {before:.0f} MB before, peak {max(mb for _, mb, _ in report.rss):.0f} MB, "
              f"{after:.0f} MB after the sessions had gone (active now {active_sessions(server.url)})")
        print(f"memory {'settles' if ok_memory else 'KEEPS GROWING'}: {memory_note}")
        for item in report.wrong[:5] + report.failed[:5]:
            print("  ", item)
        tracebacks = server.tracebacks()
        print("tracebacks in the server log:", "yes" if tracebacks else "none")
        passed = ok_memory and not report.wrong and not report.exceptions and not report.failed and not tracebacks
        print("PASS" if passed else "FAIL")
        return 0 if passed else 1
    finally:
        stop.set()
        server.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent visitors (default 10)")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load lasts (default 60)")
    parser.add_argument("--uploads", type=int, default=0,
                        help="how many of the visitors upload their own file first (default 0)")
    parser.add_argument("--upload-rows", type=int, default=5_000, help="rows in each uploaded file (default 5,000)")
    parser.add_argument("--session-seconds", type=int, default=60,
                        help="a visitor closes its session after this long and opens a new one (default 60)")
    parser.add_argument("--sample-s", type=float, default=1.0, help="RSS sampling interval (default 1 s)")
    parser.add_argument("--disconnect-ttl", type=int, default=15,
                        help="server.disconnectedSessionTTL for the run (default 15 s; Streamlit's is 120)")
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed growth, last third over middle")
    parser.add_argument("--floor-mb", type=float, default=40.0, help="growth always allowed, in MB (default 40)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 10 <= args.seconds <= 1800 or not 0 <= args.uploads <= args.sessions:
        parser.error("sessions 1–50, seconds 10–1800, uploads 0–sessions (a bounded test on loopback)")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
