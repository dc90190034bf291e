"""The Cost page in a real browser: a price typed into the panel changes the cost and travels in the link; the Cost
and Answer pages opened by a deep link on a fresh server, wide and 390 px wide (screenshots under artifacts/)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, screenshot, wait_for_app
from ui import cost as costs

pytestmark = pytest.mark.browser
HOSTING_ROW = costs.SITE_KEYS.index("hosting_usd_per_server_year")


def _yearly(pg, title: str) -> int:
    value = pg.get_by_test_id("stMetric").filter(has_text=title).get_by_test_id("stMetricValue").first.inner_text()
    return int(value.replace("$", "").replace(",", ""))


def _servers(pg) -> int:
    heading = pg.get_by_role("heading", level=3).filter(has_text=re.compile(r"\d+ servers? \(")).first.inner_text()
    return int(re.search(r"(\d+) servers? \(", heading).group(1))


def _type_into(pg, editor: str, row: int, column: int, text: str) -> None:
    """Edit one cell as a user does: click the grid's first cell, move with the arrow keys, Enter opens the cell's
    editor (an input over the canvas: the grid's cells have no boxes of their own), type, Enter commits."""
    grid = pg.locator(f"[class*='st-key-cost_edit_{editor}_'] [data-testid='stDataFrameResizable']")
    grid.scroll_into_view_if_needed()
    grid.locator("canvas").first.wait_for()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # below the 35 px header, in the first row
    for _ in range(column):
        pg.keyboard.press("ArrowRight")
    for _ in range(row):
        pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Enter")
    cell = pg.locator("#portal input, #portal textarea").first  # the grid's overlay editor, once it has opened
    cell.wait_for()
    cell.fill(text)
    cell.press("Enter")
    time.sleep(0.3)
    wait_for_app(pg)


def test_an_edited_price_changes_the_cost_and_travels_in_the_link(server, page, browser):
    page.goto(f"{server.url}/cost")
    wait_for_app(page)
    before, servers = _yearly(page, "On-prem (owned), a year"), _servers(page)
    _type_into(page, "site", HOSTING_ROW, 1, "10000")  # hosting $3,000 → $10,000 per server and year
    expect(page).to_have_url(re.compile(r"prices=hosting_usd_per_server_year%3A10000"))
    assert _yearly(page, "On-prem (owned), a year") == before + 7_000 * servers
    expect(page.get_by_text("your figure, edited in the app's cost panel").first).to_be_attached()
    screenshot(page, "cost-after-edit")
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    other.set_default_timeout(60_000)
    other.goto(page.url.replace("/cost", "/"))  # the Answer page of the same link shows the same cost
    wait_for_app(other)
    assert _yearly(other, "Cost a year (on-prem)") == before + 7_000 * servers
    other.get_by_role("link", name="Cost on every basis").click()
    wait_for_app(other)
    expect(other).to_have_url(re.compile(r"/cost\?.*prices=hosting_usd_per_server_year%3A10000"))
    assert _yearly(other, "On-prem (owned), a year") == before + 7_000 * servers
    other.close()


def test_a_bad_edit_is_said_in_the_browser(server, page):
    page.goto(f"{server.url}/cost")
    wait_for_app(page)
    before = _yearly(page, "On-prem (owned), a year")
    _type_into(page, "site", costs.SITE_KEYS.index("pue"), 1, "0.5")
    expect(page.get_by_test_id("stAlert").filter(has_text="must be a number ≥ 1").first).to_be_visible()
    assert _yearly(page, "On-prem (owned), a year") == before
    assert "prices=" not in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("path", ["cost", ""])
def test_cost_and_answer_by_deep_link_on_a_fresh_server(browser, path, width):
    server = Server()
    try:
        pg = browser.new_page(viewport={"width": width, "height": 1000}, is_mobile=width < 500)
        pg.set_default_timeout(60_000)
        pg.goto(f"{server.url}/{path}?basis=cloud&cost_term=on_demand&prices=H100%20SXM.cloud_usd_per_gpu_hour%3A3"
                "&cost_power=1")
        wait_for_app(pg)
        expect(pg.get_by_test_id("stException")).to_have_count(0)
        title = "Cloud (rented), a year" if path else "Cost a year (cloud)"
        expect(pg.get_by_test_id("stMetric").filter(has_text=title).first).to_be_visible()
        expect(pg).to_have_url(re.compile(r"prices=H100"))
        if path:
            pg.get_by_role("heading", name="Break-even against traffic").scroll_into_view_if_needed()
            expect(pg.get_by_test_id("stVegaLiteChart").first.locator("canvas, svg").first).to_be_visible()
        screenshot(pg, f"fresh-{path or 'answer'}-{width}px")
        pg.close()
    finally:
        server.stop()
    assert not server.tracebacks(), server.tracebacks()
