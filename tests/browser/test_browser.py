"""The app in a real browser: fresh-server deep links, the URL round trip, upload, download and charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, screenshot, wait_for_app
from tests.conftest import FIXTURES
from ui import nav
from ui.nav import PAGES

pytestmark = pytest.mark.browser
TITLES = [title for _, title, _, _ in PAGES]
HEADINGS = {"answer": "How many servers?", "traffic": "Traffic", "frontier": "Frontier explorer", "sizing": "Sizing",
            "cost": "Cost", "what-if": "What-if", "data": "Data", "guide": "Guide", "compare": "Compare scenarios"}


NAMES = sorted({(nav.url_path(script), name) for script, *_ in PAGES
                for name in (nav.ALIASES.get(nav.url_path(script), nav.url_path(script)), nav.url_path(script))})


def _open_cleanly(pg, base: str, stem: str, name: str) -> None:
    """Open a page by one of its names with a scenario value in the link: that page, the declared navigation, the
    value kept, the canonical address, and neither Streamlit's "Page not found" dialog nor an exception."""
    pg.goto(f"{base}/{name}?ttft=500")
    wait_for_app(pg)
    expect(pg.get_by_role("heading", level=1).first).to_have_text(HEADINGS[stem])
    expect(pg.get_by_test_id("stDialog")).to_have_count(0)
    expect(pg.get_by_text("Page not found")).to_have_count(0)
    expect(pg.get_by_test_id("stException")).to_have_count(0)
    canonical = nav.ALIASES.get(stem, stem)
    expect(pg).to_have_url(re.compile(rf"^{re.escape(base)}/{re.escape(canonical)}\?(.*&)?ttft=500(&|$)"))
    expect(pg.locator(".st-key-ttft input[type='range']")).to_have_attribute("aria-valuetext", "500")  # sidebar
    top = pg.locator("[data-testid='stTopNav'], [data-testid='stSidebarNav']").first
    links = [t.split()[-1] for t in top.get_by_role("link").all_inner_texts() if t.strip()]  # icon name, title
    assert links == TITLES, links  # human titles in the declared order; no file names such as "streamlit app"
    expect(pg.get_by_test_id("stSidebarNav")).to_have_count(0)


@pytest.mark.parametrize("stem,name", NAMES)
def test_fresh_server_deep_link(browser, stem, name):
    """Issue 7: the first request to a new server is a deep link, by the page's url path or by its file stem."""
    server = Server()
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        _open_cleanly(pg, server.url, stem, name)
        screenshot(pg, f"fresh-{name or 'root'}")
        pg.close()
    finally:
        server.stop()
    assert not server.tracebacks(), server.tracebacks()


def test_warm_server_deep_links(server, page):
    """The same addresses on a server that has run before (the declared navigation only)."""
    for stem, name in NAMES:
        _open_cleanly(page, server.url, stem, name)


def test_first_upload_on_a_fresh_server(browser):
    """Issue 8: the first upload on a freshly started server was lost ("Choose one or more files first.")."""
    server = Server()
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        pg.goto(f"{server.url}/data")
        wait_for_app(pg)
        rows = pg.get_by_test_id("stMetric").filter(has_text="Rows").get_by_test_id("stMetricValue")
        before = int(rows.inner_text().replace(",", ""))
        expect(pg.locator(".st-key-upload_add button")).to_be_disabled()  # until a chosen file has arrived
        fixture = FIXTURES / "vllm" / "vllm-bench-c16.json"
        _choose(pg, fixture.name, fixture.read_bytes())
        pg.locator(".st-key-upload_gpu input").fill("H100_80GB_HBM3")
        pg.locator(".st-key-upload_gpu input").press("Tab")
        wait_for_app(pg)
        pg.locator(".st-key-upload_add button").click()
        wait_for_app(pg)
        expect(pg.get_by_text(f"Added {fixture.name}")).to_be_visible()
        expect(pg.get_by_text("Choose one or more files first")).to_have_count(0)
        expect(rows).to_have_text(f"{before + 1:,}")  # the counts include the file at once
        screenshot(pg, "fresh-data-after-upload")
        pg.close()
    finally:
        server.stop()
    assert not server.tracebacks(), server.tracebacks()


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "warm"])
def test_narrow_screen_reaches_every_page(browser, server, fresh):
    """Issue 7: on a phone the page links must stay reachable (the top navigation folds into the sidebar)."""
    own = Server() if fresh else None
    base = (own or server).url
    try:
        pg = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        pg.set_default_timeout(60_000)
        pg.goto(f"{base}/sizing")
        wait_for_app(pg)
        expect(pg.get_by_test_id("stTopNav")).to_have_count(0)
        pg.get_by_test_id("stExpandSidebarButton").click()
        for title in TITLES:
            expect(pg.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title)).to_be_in_viewport()
        screenshot(pg, f"narrow-sidebar-{'fresh' if fresh else 'warm'}")
        pg.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text="Guide").click()
        wait_for_app(pg)
        expect(pg.get_by_role("heading", level=1).first).to_have_text("Guide")
        expect(pg.get_by_test_id("stException")).to_have_count(0)
        pg.close()
    finally:
        if own:
            own.stop()


def _choose(pg, name: str, data: bytes) -> None:
    pg.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
    expect(pg.get_by_test_id("stFileChip").filter(has_text=name)).to_be_visible()
    wait_for_app(pg)


def _servers_exact(pg) -> str:
    return pg.get_by_test_id("stMetric").filter(has_text="Servers (exact)").get_by_test_id("stMetricValue").inner_text()


def test_input_change_updates_answer_and_url(server, page):
    page.goto(server.url)
    wait_for_app(page)
    before = _servers_exact(page)
    thumb = page.locator(".st-key-ttft input[type='range']")
    thumb.focus()
    thumb.press("Home")  # the slider's first step: off, so the limit is end-to-end or none
    expect(thumb).to_have_attribute("aria-valuetext", "off")
    wait_for_app(page)  # a key pressed while the page reruns can be lost: the next one waits
    thumb.focus()
    thumb.press("ArrowRight")  # 50 ms
    expect(thumb).to_have_attribute("aria-valuetext", "50")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"ttft=50(&|$)"))
    assert _servers_exact(page) != before
    screenshot(page, "answer-ttft-50")


def test_shared_url_reproduces_the_scenario(server, page, browser):
    page.goto(f"{server.url}/traffic")  # exact values are typed on the Traffic page
    wait_for_app(page)
    box = page.locator(".st-key-minutes input")
    box.fill("5")
    box.press("Enter")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"minutes=5"))
    page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Answer").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"minutes=5"))
    answer = _servers_exact(page)
    shared = page.url
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(shared)
    wait_for_app(other)
    assert _servers_exact(other) == answer
    expect(other.locator(".st-key-minutes input[type='range']")).to_have_attribute("aria-valuetext", re.compile("^5"))
    other.goto(shared.replace(server.url + "/", server.url + "/sizing"))
    wait_for_app(other)
    expect(other.locator(".st-key-minutes input[type='range']")).to_have_attribute("aria-valuetext", re.compile("^5"))
    other.close()


def test_upload_and_download(server, page):
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    fixture = FIXTURES / "vllm" / "vllm-bench-c16.json"
    _choose(page, fixture.name, fixture.read_bytes())
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
    _choose(page, "broken.csv", b"a,b\n1,2\n")
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
    box = page.locator(".st-key-peak_factor input")
    box.fill("7.5")
    box.press("Enter")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"peak_factor=7\.5"))
    expect(peak).to_have_text("214.0 req/s")  # 28.54 req/s × 7.5
    page.goto(f"{server.url}/")  # the same assumption as a slider on the Answer page's sidebar
    wait_for_app(page)
    thumb = page.locator(".st-key-peak_factor input[type='range']").first
    thumb.focus()
    thumb.press("ArrowRight")  # one step of 0.5: peak factor 7.5
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"peak_factor=7\.5"))
    expect(page.get_by_text("214.0 req/s at peak")).to_be_visible()  # 28.54 req/s × 7.5, in the scenario's line


def test_page_switch_keeps_the_scenario(server, page):
    """Sizing draws the filters in its body, Answer in the sidebar; the limits sit in the sidebar of both."""
    page.goto(f"{server.url}/sizing")
    wait_for_app(page)
    thumb = page.locator(".st-key-ttft input[type='range']")
    thumb.focus()
    thumb.press("ArrowRight")  # 300 → 400 ms
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"ttft=400"))
    page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Answer").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text("How many servers?")
    expect(page.locator(".st-key-ttft input[type='range']")).to_have_attribute("aria-valuetext", "400")


def test_an_unusable_link_value_is_said(server, page):
    page.goto(f"{server.url}/?ttft=abc")
    wait_for_app(page)
    expect(page.get_by_test_id("stToast").filter(has_text="ttft=abc")).to_be_visible()
    expect(page.locator(".st-key-ttft input[type='range']")).to_have_attribute("aria-valuetext", "300")


def test_a_hostile_model_name_renders_as_text(server, page):
    """Issue 8: a model name `**[click](…)** [x](https://evil.example)` from an uploaded file rendered as a link."""
    from tests.app.conftest import benchmark_csv

    evil = "**[click](https://evil.example)** [x](https://evil.example)"
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    _choose(page, "evil.csv", benchmark_csv(evil))
    page.locator(".st-key-upload_gpu input").fill("H100 SXM")
    page.locator(".st-key-upload_gpu input").press("Tab")
    wait_for_app(page)
    page.locator(".st-key-upload_add button").click()
    wait_for_app(page)
    page.locator(".st-key-use_default_toggle label").first.click()  # size on the upload alone
    wait_for_app(page)
    page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Answer").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    headings = [t.replace("\u2060", "") for t in page.get_by_test_id("stHeading").all_inner_texts()]
    assert any(evil in h for h in headings), headings  # the name as written (word joiners are invisible)
    expect(page.locator("a[href*='evil.example']")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "answer-hostile-name")
