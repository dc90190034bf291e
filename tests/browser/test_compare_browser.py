"""Issue 12 in a real browser: scenarios saved and compared, the PDF quote downloaded from the Answer page and read
back (pypdf), printing that keeps the table, and the pages on a phone."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import document
from core.frontier import Limits, Query
from core.quote import headline
from core.sizing import size
from core.table import DEFAULT_BENCHMARK_DIR, load_paths
from core.traffic import TrafficInputs, derive
from tests.browser.conftest import ARTIFACTS, Server, screenshot, wait_for_app
from ui.view import TABLE_COLUMNS

pytestmark = pytest.mark.browser
PUBLIC = "https://sizer.streamlit.app"  # a public address (what Community Cloud gives the app)


@pytest.fixture(scope="module")
def public_server() -> Iterator[Server]:
    s = Server(env={"SIZER_PUBLIC_URL": PUBLIC})
    yield s
    s.stop()
    assert not s.tracebacks(), s.tracebacks()


def _exact(pg) -> str:
    return pg.get_by_test_id("stMetric").filter(has_text="Servers (exact)").get_by_test_id("stMetricValue").inner_text()


def _type(pg, key: str, text: str) -> None:
    box = pg.locator(f".st-key-{key} input")
    box.fill(text)
    box.press("Enter")
    wait_for_app(pg)


def _ttft_steps_up(pg, steps: int) -> None:
    """Move the sidebar's TTFT slider by keyboard, one arrow key a step (300 → 400 → 500 ms)."""
    thumb = pg.locator(".st-key-ttft input[type='range']")
    for _ in range(steps):  # each step reruns the page; the next key waits for it
        before = thumb.get_attribute("aria-valuetext")
        thumb.focus()
        thumb.press("ArrowRight")
        expect(thumb).not_to_have_attribute("aria-valuetext", before or "")
        wait_for_app(pg)


def _save(pg, name: str) -> None:
    _type(pg, "save_name", name)
    pg.locator(".st-key-save_scenario button").click()
    wait_for_app(pg)
    expect(pg.get_by_test_id("stAlert").filter(has_text=f"Saved {name}")).to_be_visible()


def _tall(pg, name: str, width: int = 1400) -> None:
    """A screenshot of the whole page (the app scrolls inside its own container, so the window is made tall)."""
    pg.set_viewport_size({"width": width, "height": 2600})
    wait_for_app(pg)
    screenshot(pg, name)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_save_two_scenarios_and_compare_them(server, page, browser):
    page.goto(server.url)
    wait_for_app(page)
    loose = _exact(page)
    _save(page, "TTFT 300 ms")
    _ttft_steps_up(page, 2)
    expect(page).to_have_url(re.compile(r"ttft=500"))
    looser = _exact(page)
    _save(page, "TTFT 500 ms")
    page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Compare").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text("Compare scenarios")
    grid = page.get_by_test_id("stTable")
    expect(grid.locator("th").filter(has_text="TTFT 300 ms")).to_have_count(1)
    expect(grid.locator("th").filter(has_text="TTFT 500 ms")).to_have_count(1)
    exact_row = grid.locator("tr").filter(has_text="Servers (exact)")
    assert exact_row.locator("td").all_inner_texts()[-2:] == [loose, looser]
    limit_cell = grid.locator("tr").filter(has_text="Latency limit").locator("td").first  # differs: highlighted
    assert limit_cell.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    model_cell = grid.locator("tr").filter(has_text="Model").locator("td").first  # the same in both: not
    assert model_cell.evaluate("e => getComputedStyle(e).backgroundColor") in ("rgba(0, 0, 0, 0)", "transparent")
    expect(page.get_by_test_id("stVegaLiteChart").first.locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # Each saved scenario is a link: the second opens TTFT 500 ms anywhere, with the same answer.
    links = page.locator("[class*='st-key-saved_'] a:visible")
    expect(links).to_have_count(2)
    href = links.nth(1).get_attribute("href")
    assert href.startswith(f"{server.url}/?") and "ttft=500" in href, href
    assert "ttft" not in (links.nth(0).get_attribute("href") or "")
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(href)
    wait_for_app(other)
    expect(other.get_by_role("heading", level=1).first).to_have_text("How many servers?")
    assert _exact(other) == looser
    other.close()
    _tall(page, "compare")


def test_pdf_quote_from_the_answer_page(public_server, page):
    """The PDF a sales engineer downloads holds the answer, its range, every price with its source, the data it
    rests on, both parties and the public link (never 127.0.0.1)."""
    page.goto(f"{public_server.url}/?ttft=500")
    wait_for_app(page)
    _type(page, "quote_customer", "ACME call centre")
    _type(page, "quote_prepared_by", "Jane Doe")
    note = page.get_by_test_id("stCaptionContainer").filter(has_text="The documents link to this scenario at")
    expect(note).to_be_visible()
    assert f"{PUBLIC}/?ttft=500" in note.inner_text().replace("\u2060", "")  # (word joiners keep it from linking)
    with page.expect_download() as download:
        page.locator(".st-key-dl_pdf button:visible").click()
    assert re.fullmatch(r"sizing-quote-acme-call-centre-\d{4}-\d\d-\d\d\.pdf", download.value.suggested_filename)
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    result = size(load_paths([DEFAULT_BENCHMARK_DIR]).table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=500)),
                  derive(TrafficInputs()))
    best = document.costed(result).best
    assert _flat(headline(result)) in text  # the answer in one sentence, its range in it
    assert f"likely {document.range_text(best)}" in text and f"{best['servers_exact']:,.2f}" in text
    for price in document.price_rows(result):
        source = " ".join(_flat(price["source"]).split()[:6])
        assert f"{_flat(price['item'])} {price['value']} {source}" in text, price  # a row: what, value, source
        assert price["as_of"] in text, price
    assert "performance model" in text and "Data: " in text  # the data the answer rests on
    assert "ACME call centre" in text and "Jane Doe" in text
    assert f"{PUBLIC}/?ttft=500" in text and "127.0.0.1" not in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "quote.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):  # the pages as PNG, to look at (Debian's poppler-utils)
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTIFACTS / "quote.pdf"), str(ARTIFACTS / "quote-page")],
                       check=True)
        assert (ARTIFACTS / "quote-page-1.png").exists()


def test_printing_the_answer_page_keeps_the_table(server, page):
    """Issue 12: printing cut the runners-up table at the paper's edge. On paper the canvas table gives way to its
    printable twin: every column and every row, as text."""
    page.goto(f"{server.url}/?ttft=500")
    wait_for_app(page)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    page.emulate_media(media="print")
    data = page.pdf(format="A4", print_background=True)
    page.emulate_media(media="screen")
    text = _pdf_text(data)
    headers = [str(spec["label"]) for spec in TABLE_COLUMNS.values()]
    assert all(_flat(h) in text for h in headers), [h for h in headers if _flat(h) not in text]
    result = size(load_paths([DEFAULT_BENCHMARK_DIR]).table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=500)),
                  derive(TrafficInputs()))
    for _, row in result.options.iloc[1:6].iterrows():  # the runners-up, each whole: exact servers and the source
        assert f"{row['servers_exact']:.2f}" in text and f"{row['prompts_per_s_per_server']:.2f}" in text
    assert "Runners-up" in text and "How many servers?" in text
    assert "Load the course's call-centre example" not in text and "Quote (PDF)" not in text  # no sidebar, no buttons
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "answer-print.pdf").write_bytes(data)


@pytest.mark.parametrize(("path", "width"), [("compare", 1400), ("compare?ttft=500", 390), ("?ttft=500", 390)])
def test_fresh_deep_link(browser, path, width):
    """Compare and Answer opened by a link on a freshly started server, wide and 390 px wide (a phone): the page (not
    'Page not found'), a saved scenario in the comparison, the documents, no exception."""
    own = Server()
    try:
        phone = {"is_mobile": True, "has_touch": True} if width < 500 else {}
        pg = browser.new_page(viewport={"width": width, "height": 844}, **phone)
        pg.set_default_timeout(60_000)
        pg.goto(f"{own.url}/{path}")
        wait_for_app(pg)
        heading = "Compare scenarios" if path.startswith("compare") else "How many servers?"
        expect(pg.get_by_role("heading", level=1).first).to_have_text(heading)
        expect(pg.get_by_text("Page not found")).to_have_count(0)
        if path.startswith("compare"):
            expect(pg.get_by_test_id("stAlert").filter(has_text="No scenario saved yet")).to_be_visible()
        if "ttft=500" in path:
            expect(pg.locator(".st-key-ttft input[type='range']")).to_have_attribute("aria-valuetext", "500")  # the link's value, on a fresh server
        _save(pg, "Opened by a link")
        if path.startswith("compare"):
            expect(pg.get_by_test_id("stTable").locator("th").filter(has_text="Opened by a link")).to_have_count(1)
            limit = pg.get_by_test_id("stTable").locator("tr").filter(has_text="Latency limit")
            expect(limit).to_contain_text("500 ms" if "ttft=500" in path else "300 ms")
        else:
            expect(pg.locator(".st-key-dl_pdf button:visible")).to_be_visible()
        expect(pg.get_by_test_id("stException")).to_have_count(0)
        _tall(pg, f"fresh-{path.split('?')[0] or 'answer'}-{width}", width=width)
        pg.close()
    finally:
        own.stop()
    assert not own.tracebacks(), own.tracebacks()
