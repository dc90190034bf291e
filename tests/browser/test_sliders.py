"""Issue 10 in a real browser: the TTFT limit is a slider in the sidebar; moving it with the keyboard moves the
Answer page's count and its range, writes the step into the address, and the address opens the same answer; a
traffic slider's value is the Traffic page's exact box's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _metric(pg, label: str):
    return pg.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_the_ttft_slider_moves_the_answer_and_travels_in_the_link(server, page, browser):
    page.goto(server.url)
    wait_for_app(page)
    thumb = page.locator(".st-key-ttft input[type='range']")
    expect(thumb).to_have_attribute("aria-valuetext", "300")
    before = _metric(page, "Servers (exact)").inner_text()
    for _ in range(6):  # 300 → 250 → 200 → 150 → 100 → 75 → 50 ms, one arrow key a step, each after the rerun
        was = thumb.get_attribute("aria-valuetext")
        thumb.focus()
        thumb.press("ArrowLeft")
        expect(thumb).not_to_have_attribute("aria-valuetext", was or "")
        wait_for_app(page)
    expect(thumb).to_have_attribute("aria-valuetext", "50")
    expect(page).to_have_url(re.compile(r"[?&]ttft=50(&|$)"))
    after = _metric(page, "Servers (exact)").inner_text()
    assert float(after) > float(before)  # a tighter first-token limit needs more servers
    line = page.get_by_text(re.compile(r"^\d+ servers? \(likely \d+–\d+\)"))
    expect(line).to_be_visible()
    expect(page.get_by_text("TTFT ≤ 50 ms").first).to_be_visible()  # the scenario's sentence says the new limit
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "sliders-answer-ttft-50")
    other = browser.new_page(viewport={"width": 390, "height": 900})  # the link, opened on a phone
    try:
        other.set_default_timeout(60_000)
        other.goto(page.url)
        wait_for_app(other)
        expect(_metric(other, "Servers (exact)")).to_have_text(after)
        expect(other.get_by_text(re.compile(r"^\d+ servers? \(likely \d+–\d+\)"))).to_have_text(line.inner_text())
        screenshot(other, "sliders-answer-ttft-50-390px")
    finally:
        other.close()
    calls = page.locator(".st-key-calls input[type='range']")  # a traffic slider, a box on the Traffic page
    calls.focus()
    calls.press("ArrowRight")  # one step of a million
    wait_for_app(page)
    expect(calls).to_have_attribute("aria-valuetext", "31,000,000")  # thousands separators
    page.get_by_test_id("stTopNav").get_by_role("link").filter(has_text="Traffic").click()
    wait_for_app(page)
    expect(page.locator(".st-key-calls input")).to_have_value("31000000")  # the slider's value, typeable here
    expect(page.locator(".st-key-ttft input[type='range']")).to_have_attribute("aria-valuetext", "50")
