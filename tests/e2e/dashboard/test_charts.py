"""The dashboard's SVG charts and the attendance form in real Chromium on a 360 px phone, in
English and in Arabic (mirrored): drawn, readable, within the screen, no CSP complaint.
Screenshots go to test-artifacts/. SQLite only, like the other browser tests (under tests/e2e
so that the one Playwright driver of tests/e2e/conftest.py serves them too)."""
import pytest
from playwright.sync_api import expect

from kultialogo.events import service as events
from tests.dashboard import helpers as h
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

RANGE = "from=2026-06-10&to=2026-10-25"
CHARTS = ["chart-status", "chart-language", "chart-community", "chart-people", "chart-attendance-gender"]


def _watch(page) -> list[str]:
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _axis_labels_x(page, chart_id) -> list[float]:
    """x of the period labels under the bars, in period order (the DOM keeps that order)."""
    return page.evaluate("""(id) => {
        const svg = document.getElementById(id);
        const base = svg.viewBox.baseVal.height - 30;
        return [...svg.querySelectorAll('text')].filter((t) => Number(t.getAttribute('y')) > base)
            .map((t) => t.getBoundingClientRect().x + t.getBoundingClientRect().width / 2);
    }""", chart_id)


def _check_charts(page, rtl: bool):
    for chart_id in CHARTS:
        chart = page.locator(f"svg#{chart_id}")
        expect(chart).to_be_visible()
        expect(chart).to_have_attribute("role", "img")
        label = chart.get_attribute("aria-label")
        assert label and chart.locator("title").first.text_content() == label
        box = chart.bounding_box()
        assert 300 <= box["width"] <= 360 and box["x"] >= 0 and box["x"] + box["width"] <= 360, (chart_id, box)
        assert chart.locator("rect").count() > 0, chart_id  # bars were drawn
        xs = _axis_labels_x(page, chart_id)
        assert len(xs) >= 2, chart_id
        # Time runs with the text: left to right in English, right to left in Arabic.
        assert xs == sorted(xs, reverse=rtl), (chart_id, xs)
        table = page.locator(f"table#table-{chart_id.removeprefix('chart-')}")
        expect(table).to_be_attached()
    # Nothing wider than the phone: the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_dashboard_charts_render_on_a_phone_in_english_and_arabic(app, live_server, context):
    h.build(app)
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    problems = _watch(page)
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/dashboard?{RANGE}")
    expect(page.locator("h1")).to_have_text("Dashboard")
    _check_charts(page, rtl=False)
    # The numbers are one tap away under each chart (and always in the page for screen readers).
    table = page.locator("#table-status")
    expect(table).to_be_hidden()
    page.locator("#h-status ~ details.numbers-details > summary").click()
    expect(table).to_be_visible()
    totals = [int(t.replace(",", "")) for t in page.locator("#table-status tbody td:last-child").all_inner_texts()]
    assert len(totals) == 20 and max(totals) > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the table scrolls in its box
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboard?{RANGE}&lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _check_charts(page, rtl=True)
    # The value axis is on the right in Arabic: its numbers sit right of the bars.
    numbers_x = page.evaluate("""() => {
        const svg = document.getElementById('chart-status');
        const texts = [...svg.querySelectorAll('text')].filter((t) => t.getAttribute('text-anchor') === 'start');
        return Math.min(...texts.map((t) => t.getBoundingClientRect().x));
    }""")
    bars_right = page.evaluate("""() => Math.max(...[...document.querySelectorAll('#chart-status rect')]
        .map((r) => r.getBoundingClientRect().right))""")
    assert numbers_x >= bars_right - 1
    page.screenshot(path=str(ARTIFACTS / "dashboard-ar.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_the_attendance_form_fits_a_phone_in_arabic(app, live_server, context):
    world = h.build(app)
    event_id = world.events[0]["id"]
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    problems = _watch(page)
    sign_in(page, live_server.url, "giulia")
    page.goto(f"{live_server.url}/events/{event_id}/attendance?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # forms.js marks the form once it handles the submit; a click before that posts the plain
    # form (the no-JS path), which answers on a new page instead of in the status line.
    page.locator("#attendance-form[data-enhanced]").wait_for(state="attached")
    head = page.locator("#head_count")
    head.fill("3")
    page.locator("#gender_woman").fill("4")
    page.locator("#attendance-form button[type=submit]").click()
    # The form is saved on the phone and sent (forms.js); the server's refusal is said above it
    # (in the account's language: ?lang= here changes only this page), and the counts stay in
    # the form to fix.
    refused = page.locator("#attendance-form .compose-status[data-state=refused]")
    expect(refused).to_be_visible(timeout=30_000)
    assert "3" in refused.inner_text() or "٣" in refused.inner_text()  # the head count it exceeds
    page.screenshot(path=str(ARTIFACTS / "attendance-ar.png"), full_page=True)
    # The counts filled in before (linked people and anonymous counts) fit a larger head count.
    head.fill("100")
    page.locator("#gender_woman").fill("2")
    page.locator("#attendance-form button[type=submit]").click()
    expect(page.locator("#attendance-form .compose-status[data-state=sent]")).to_be_visible(timeout=30_000)
    from kultialogo.extensions import db
    db.session.rollback()
    stored = events.event_for(world.people["giulia"], event_id)
    assert stored.head_count == 100 and events.breakdown(stored)["gender"]["woman"] == 2 + 1  # amina is linked
    page.screenshot(path=str(ARTIFACTS / "event-ar.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
