"""Real-browser fixtures: `streamlit run` on 127.0.0.1 (started by the tests) and Debian's chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamlit run` process; its log goes to a file, never a pipe."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ROOT / "artifacts" / f"server-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless=true",
             "--server.address=127.0.0.1", f"--server.port={self.port}", "--browser.gatherUsageStats=false",
             "--server.fileWatcherType=none", "--global.developmentMode=false"],
            cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()

    def tracebacks(self) -> str:
        text = self.log.read_text()
        return text if "Traceback" in text else ""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import expect, sync_playwright

    # A rerun takes seconds on a loaded 2-core CI machine: assertions wait for it (they pass as soon as they hold).
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()
    assert not s.tracebacks(), s.tracebacks()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def wait_for_app(pg) -> None:
    """Connected, script finished, no skeletons: then the page shows what the script drew."""
    pg.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached")
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    pg.wait_for_function("document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0")
    time.sleep(0.3)
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")


def screenshot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
