"""An Arabic-language session: the page is right-to-left and the compose screen is mirrored."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, sign_in, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _choose_language(page, code):
    page.select_option("#lang-select", code)
    with page.expect_navigation():
        page.locator("form.lang button[type=submit]").click()


def test_arabic_session_is_rtl_and_compose_is_mirrored(app, people, live_server, context):
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    wait_for_worker(page)
    page.screenshot(path=str(ARTIFACTS / "compose-en.png"), full_page=True)

    _choose_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    width = page.viewport_size["width"]
    text_box = """(node) => { const range = document.createRange(); range.selectNodeContents(node);
                                 const r = range.getBoundingClientRect(); return { left: r.left, right: r.right }; }"""
    label = page.locator("label[for=title]").evaluate(text_box)
    field = page.locator("#title").bounding_box()
    radio = page.locator("#visibility-0").bounding_box()
    choice = page.locator("label.choice", has=page.locator("#visibility-0")).evaluate(
        "(node) => { const range = document.createRange(); range.setStart(node.lastChild, 0);"
        " range.setEnd(node.lastChild, node.lastChild.length); const r = range.getBoundingClientRect();"
        " return { left: r.left, right: r.right }; }")
    # Mirrored: text starts at the right-hand edge, the radio button is right of its words.
    assert label["right"] > width - 40 and label["left"] > width / 3, label
    assert abs((field["x"] + field["width"]) - label["right"]) < 4
    assert radio["x"] > choice["right"] - 1, (radio, choice)
    page.fill("#title", "قصة من المخيم")
    page.fill("#body", "كتبت هذه القصة في المساء.")
    page.screenshot(path=str(ARTIFACTS / "compose-ar.png"), full_page=True)

    page.get_by_role("button", name=page.locator("form#compose button[type=submit]").inner_text()).click()
    item = page.locator(".mine-item", has_text="قصة من المخيم")
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-state", "review")
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=str(ARTIFACTS / "feed-ar.png"), full_page=True)
