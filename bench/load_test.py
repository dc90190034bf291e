"""Bounded load test on loopback: browser sessions, some uploading their own benchmark file, change inputs against
one `streamlit run`, in rounds: every visitor opens a session, works in it for a while and closes it, then the
next round starts. Each round does the same work, so the server's memory after each round can be compared.

Every answer a session reads is checked against the engine's for that session's own data, so a session that saw
another's upload counts as a wrong answer. The server's RSS is sampled throughout. Exit status 1 when an answer was
wrong, a session saw an exception or failed, or memory kept growing (the peak of the last round above the peak of
the second, the first being the warm-up, by more than the tolerance).

    python bench/load_test.py --sessions 20 --uploads 10 --seconds 360 --rounds 3
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
from playwright.async_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.frontier import Limits, Query  # noqa: E402
from core.importers import read_benchmark  # noqa: E402
from core.sizing import size  # noqa: E402
from core.table import DEFAULT_BENCHMARK_DIR, combine, load_paths  # noqa: E402
from core.traffic import TrafficInputs, derive  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402
from ui.scenario import STEPS  # noqa: E402

TTFTS = (200.0, 300.0, 500.0, 1000.0)
FAILURES = ROOT / "artifacts" / "load-test-failures"
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
    add_retries: int = 0  # "Add to the data" pressed again because the file was still on its way
    rss: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds since start, MB, active sessions)
    round_peaks: list[float] = field(default_factory=list)  # MB


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


async def add_upload(page, url: str, name: str, data: bytes, rows: int, report: Report) -> None:
    await page.goto(f"{url}/data")
    await settle(page)
    await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    await page.get_by_test_id("stFileChip").filter(has_text=name).wait_for()
    await settle(page)
    arrived_by = time.time() + 180
    kept = page.get_by_test_id("stMarkdown").filter(has_text="Your uploads this session:")
    said = page.get_by_test_id("stAlert").filter(has_text=re.compile("Not added|Choose"))
    while True:  # as a person would: press again while the file is still on its way, or when nothing happened
        await page.locator(".st-key-upload_add button").click()
        await settle(page)
        with contextlib.suppress(PlaywrightTimeout):
            await kept.or_(said).first.wait_for(timeout=30_000)
        if await kept.count():
            break
        text = (await said.first.inner_text(timeout=1_000)).replace("\u2060", "") if await said.count() else ""
        if "Not added" in text:
            raise RuntimeError(f"upload refused: {text}")
        if time.time() > arrived_by:
            raise RuntimeError("the file had not reached the server after 3 minutes")
        report.add_retries += 1
        await asyncio.sleep(2)
    toggle = page.locator(".st-key-use_default_toggle input")
    counted = page.get_by_test_id("stMetric").filter(has_text="Rows").get_by_test_id("stMetricValue")
    for _ in range(5):  # size on the upload alone, until the server says so (the Data page counts its rows alone)
        if await toggle.is_checked():
            await page.locator(".st-key-use_default_toggle label").first.click()
            await settle(page)
        with contextlib.suppress(PlaywrightTimeout):
            await page.get_by_test_id("stMetric").filter(has_text="Rows").filter(
                has=page.get_by_text(f"{rows:,}", exact=True)).wait_for(timeout=20_000)
        if (await counted.inner_text()).strip() == f"{rows:,}":
            break
    heading = page.get_by_role("heading", level=1).filter(has_text="How many servers?")
    for _ in range(5):
        await page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Answer").click()
        await settle(page)
        with contextlib.suppress(PlaywrightTimeout):
            await heading.wait_for(timeout=30_000)
            break


async def press(page, key: str, target: float) -> None:
    """Move a slider as a person does with the keyboard, one arrow key at a time, looking at the thumb after each
    rerun (a key pressed while the page reruns can be lost, as it is for a person): until the slider's value (a
    select_slider's: the step's index) is the target."""
    thumb = page.locator(f".st-key-{key} input[type='range']")
    for _ in range(100):
        now = float(await thumb.get_attribute("value"))
        if abs(now - target) < 1e-9:
            return
        await thumb.focus()
        await thumb.press("ArrowRight" if target > now else "ArrowLeft")
        await settle(page)
    raise RuntimeError(f"the {key} slider did not reach {target:g}")


async def one_session(browser, url: str, worker: int, args, expected: Expected, end: float,
                      report: Report) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(180_000)
    minutes = 4.0 + worker % 12
    model = "Llama 3 8B"
    try:
        if worker < args.uploads:
            model, data = upload_file(worker, args.upload_rows)
            # every upload has the same name, not the same content
            await add_upload(page, url, "nim.csv", data, len(expected.tables[model]), report)
            report.uploads += 1
            await press(page, "minutes", minutes)
        else:
            await page.goto(f"{url}/?minutes={minutes:g}")
        await settle(page)
        report.sessions += 1
        step = 0
        while time.time() < end:
            ttft = TTFTS[(worker + step) % len(TTFTS)]
            await press(page, "ttft", STEPS["ttft"].index(ttft))
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
            await asyncio.sleep(args.think_s)  # a person reads the answer before the next change
    except Exception as exc:  # a failed session is a finding, reported below (with what its page showed)
        report.failed.append(f"session of worker {worker}: {exc!r}"[:300])
        FAILURES.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(FAILURES / f"worker{worker}-{int(time.time())}.png"))
    finally:
        await context.close()


async def one_round(browser, url: str, args, expected: Expected, report: Report) -> None:
    """Every visitor opens a session (a second apart, as a room arrives), works until the round ends, and leaves."""
    seconds = args.seconds / args.rounds
    start = time.time()

    async def visitor(worker: int) -> None:
        await asyncio.sleep(worker)
        await one_session(browser, url, worker, args, expected, start + seconds, report)

    await asyncio.wait_for(asyncio.gather(*(visitor(w) for w in range(args.sessions))), timeout=seconds + 600)


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


def settled(peaks: list[float], tolerance: float, floor_mb: float) -> tuple[bool, str]:
    """Memory settles when the last round's peak is within the tolerance of the second round's (the first round
    warms up: imports, the folder's table, the first caches)."""
    if len(peaks) < 3:
        return False, "fewer than 3 rounds: nothing to judge (use --rounds 3 or more)"
    grew, allowed = peaks[-1] - peaks[1], max(tolerance * peaks[1], floor_mb)
    rounds = ", ".join(f"{p:.0f}" for p in peaks)
    return grew <= allowed, (f"peak per round {rounds} MB: the last {'+' if grew >= 0 else ''}{grew:.0f} MB over the "
                             f"second (allowed {allowed:.0f} MB)")


async def main(args) -> int:
    from playwright.async_api import async_playwright

    expected = Expected()
    for worker in range(args.uploads):
        expected.add(*upload_file(worker, args.upload_rows))
    extra = dict(item.split("=", 1) for item in args.server_env)
    server = Server(env={"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(args.disconnect_ttl), **extra})
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
            for _ in range(args.rounds):
                first = len(report.rss)
                await one_round(browser, server.url, args, expected, report)
                report.round_peaks.append(max((mb for _, mb, _ in report.rss[first:]), default=rss_mb(server.proc.pid)))
            await browser.close()
        gone = time.time() + args.disconnect_ttl + 60
        while time.time() < gone and active_sessions(server.url) not in ("0", "?"):
            await asyncio.sleep(2)
        await asyncio.sleep(5)
        stop.set()
        await sampler
        after = rss_mb(server.proc.pid)
        ok_memory, memory_note = settled(report.round_peaks, args.tolerance, args.floor_mb)
        print(f"{args.sessions} concurrent visitors, {args.rounds} rounds of {args.seconds / args.rounds:.0f} s: "
              f"{report.sessions} sessions opened "
              f"({report.uploads} with an upload of about {args.upload_rows:,} rows, all named nim.csv): "
              f"{report.correct} correct answers, {len(report.wrong)} wrong, {report.exceptions} exceptions, "
              f"{len(report.failed)} failed sessions; \"Add to the data\" pressed again {report.add_retries} times while a file "
              "was still on its way")
        print("server RSS over time (s, MB, active sessions):")
        step = max(1, len(report.rss) // 20)
        for t, mb, sessions in report.rss[::step] + report.rss[-1:]:
            print(f"  {t:6.0f} s  {mb:7.0f} MB  {sessions:>3} sessions")
        print(f"server RSS: {before:.0f} MB before, peak {max(mb for _, mb, _ in report.rss):.0f} MB, "
              f"{after:.0f} MB after the sessions had gone (active now {active_sessions(server.url)})")
        verdict = "settles" if ok_memory else "not judged" if len(report.round_peaks) < 3 else "KEEPS GROWING"
        print(f"memory {verdict}: {memory_note}")
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
    parser.add_argument("--seconds", type=int, default=180, help="how long the load lasts, all rounds (default 180)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of sessions (default 3)")
    parser.add_argument("--uploads", type=int, default=0,
                        help="how many of the visitors upload their own file first (default 0)")
    parser.add_argument("--upload-rows", type=int, default=5_000, help="rows in each uploaded file (default 5,000)")
    parser.add_argument("--think-s", type=float, default=2.0,
                        help="pause between a visitor's changes, reading the answer (default 2 s)")
    parser.add_argument("--sample-s", type=float, default=1.0, help="RSS sampling interval (default 1 s)")
    parser.add_argument("--disconnect-ttl", type=int, default=120,
                        help="server.disconnectedSessionTTL for the run (default 120 s, Streamlit's): a browser that "
                             "stalls longer than this under load reconnects to a new session, without its uploads")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment of the server, e.g. MALLOC_ARENA_MAX=2 (repeatable)")
    parser.add_argument("--tolerance", type=float, default=0.10,
                        help="allowed growth of the last round's peak over the second's (default 0.10)")
    parser.add_argument("--floor-mb", type=float, default=40.0, help="growth always allowed, in MB (default 40)")
    args = parser.parse_args(argv)
    if (not 1 <= args.sessions <= 50 or not 10 <= args.seconds <= 1800 or not 0 <= args.uploads <= args.sessions
            or not 1 <= args.rounds <= 20 or any("=" not in item for item in args.server_env)):
        parser.error("sessions 1–50, seconds 10–1800, uploads 0–sessions, rounds 1–20 (a bounded test on loopback); "
                     "--server-env NAME=VALUE")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
