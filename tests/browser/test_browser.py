"""The app in a real browser: fresh-server deep links, the URL round trip, upload, download and charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, screenshot, wait_for_app
from tests.conftest import FIXTURES
from ui.nav import PAGES

pytestmark = pytest.mark.browser
TITLES = [title for _, title, _, _, _ in PAGES]
HEADINGS = {"answer": "How many servers?", "traffic": "Traffic", "frontier": "Frontier explorer", "sizing": "Sizing",
            "what-if": "What-if", "data": "Data", "guide": "Guide"}


@pytest.mark.parametrize("path", [p for _, _, _, p, _ in PAGES])
def test_fresh_server_deep_link(browser, path):
    """The first request to a new server is a deep link: that page, with the declared navigation."""
    server = Server()
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        pg.goto(f"{server.url}/{path}")
        wait_for_app(pg)
        expect(pg.get_by_role("heading", level=1).first).to_have_text(HEADINGS[path])
        nav = pg.locator("[data-testid='stTopNav'], [data-testid='stSidebarNav']").first
        for title in TITLES:
            expect(nav.get_by_text(title, exact=True).first).to_be_visible()
        links = [t.split()[-1] for t in nav.get_by_role("link").all_inner_texts() if t.strip()]  # icon name, title
        assert links == TITLES, links  # human titles in the declared order; no file names such as "streamlit app"
        expect(pg.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(pg.get_by_test_id("stException")).to_have_count(0)
        screenshot(pg, f"fresh-{path}")
        pg.close()
    finally:
        server.stop()
    assert not server.tracebacks(), server.tracebacks()


def _servers_exact(pg) -> str:
    return pg.get_by_test_id("stMetric").filter(has_text="Servers (exact)").get_by_test_id("stMetricValue").inner_text()


def test_input_change_updates_answer_and_url(server, page):
    page.goto(server.url)
    wait_for_app(page)
    before = _servers_exact(page)
    box = page.locator(".st-key-ttft input")
    box.fill("60")
    box.press("Enter")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"ttft=60"))
    assert _servers_exact(page) != before
    screenshot(page, "answer-ttft-60")


def test_shared_url_reproduces_the_scenario(server, page, browser):
    page.goto(server.url)
    wait_for_app(page)
    box = page.locator(".st-key-minutes input")
    box.fill("5")
    box.press("Enter")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"minutes=5"))
    answer = _servers_exact(page)
    shared = page.url
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(shared)
    wait_for_app(other)
    assert _servers_exact(other) == answer
    assert other.locator(".st-key-minutes input").input_value().startswith("5")
    other.goto(shared.replace(server.url + "/", server.url + "/sizing"))
    wait_for_app(other)
    assert other.locator(".st-key-minutes input").input_value().startswith("5")
    other.close()


def test_upload_and_download(server, page):
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    fixture = FIXTURES / "vllm" / "vllm-bench-c16.json"
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": fixture.name, "mimeType": "application/json", "buffer": fixture.read_bytes()}])
    wait_for_app(page)
    page.locator(".st-key-upload_gpu input").fill("H100_80GB_HBM3")
    page.locator(".st-key-upload_gpu input").press("Tab")
    wait_for_app(page)
    page.locator(".st-key-upload_add button").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Added {fixture.name}")).to_be_visible()
    with page.expect_download() as download:
        page.locator(".st-key-dl_table button").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("model,gpu,tp") and "meta-llama/Llama-3.1-8B-Instruct" in text
    screenshot(page, "data-after-upload")


def test_broken_upload_shows_its_error(server, page):
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    wait_for_app(page)
    page.locator(".st-key-upload_add button").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="broken.csv")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("path", ["frontier", "sizing", "what-if", "traffic"])
def test_charts_render(server, page, path):
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible()
    expect(chart.locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, path)


def test_quote_download(server, page):
    page.goto(f"{server.url}/?ttft=500")
    wait_for_app(page)
    with page.expect_download() as download:
        page.locator(".st-key-dl_quote button").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Assumptions" in text and "servers" in text and "Traffic:" in text and "TTFT ≤ 500 ms" in text
    assert "Scenario link" not in text and "127.0.0.1" not in text  # issue 12: a localhost link is left out
    screenshot(page, "answer")


def test_slider_move_updates_the_answer_and_the_url(server, page):
    page.goto(f"{server.url}/traffic")
    wait_for_app(page)
    peak = page.get_by_test_id("stMetric").filter(has_text="Peak").get_by_test_id("stMetricValue")
    expect(peak).to_have_text("199.8 req/s")
    thumb = page.locator(".st-key-peak_factor input[type='range']").first
    thumb.focus()
    thumb.press("ArrowRight")  # one step of 0.5: peak factor 7.5
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"peak_factor=7\.5"))
    expect(peak).to_have_text("214.0 req/s")  # 28.54 req/s × 7.5
    expect(page.get_by_test_id("stAlert").filter(has_text="servers")).to_be_visible()
