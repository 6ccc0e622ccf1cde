"""Progressive enhancement: the plain forms work without JavaScript, and without a service
worker (a camp laptop serving phones over plain http) the same form is enhanced all the same."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, SQLITE_ONLY, rows, sign_in, stories_titled, write_story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def test_without_javascript_the_plain_form_posts_a_story(app, people, live_server, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    story_id = page.locator("input[name=id]").input_value()
    page.fill("#title", "Sent without JavaScript")
    page.fill("#body", "The form works as it is.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert page.url.endswith(f"/stories/{story_id}")
    assert rows(app, story_id) == 1


@pytest.fixture
def camp_browser(playwright_driver):
    # A name that is not localhost: plain http there is not a secure context, as on a camp's
    # Wi-Fi (no service worker, no crypto.randomUUID, no navigator.locks). Still loopback.
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP camp.lan 127.0.0.1"])
    yield browser
    browser.close()


def test_without_a_service_worker_the_enhanced_form_still_sends(app, people, live_server, camp_browser):
    context = camp_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    base = live_server.url.replace("127.0.0.1", "camp.lan")
    page = context.new_page()
    sign_in(page, base)
    page.goto(base + "/write")
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate("'serviceWorker' in navigator") is False
    # Enhanced, the form holds an id made on the phone, time first (docs/sync.md, Ids), not the
    # page's: getRandomValues works outside a secure context too.
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    form_id = page.locator("input[name=id]").input_value()
    assert form_id[14] == "7"
    write_story(page, "Sent over the camp's Wi-Fi")
    expect(page.locator(".mine-item", has_text="Sent over the camp's Wi-Fi")).to_contain_text("waiting for review")
    assert page.url == base + "/write"  # enhanced: no page load
    assert rows(app, form_id) == 1
    # The next story gets a fresh id made on the phone.
    next_id = page.locator("input[name=id]").input_value()
    assert next_id != form_id and next_id[14] == "7"
    write_story(page, "A second one")
    expect(page.locator(".mine-item", has_text="A second one")).to_contain_text("waiting for review")
    assert rows(app, next_id) == 1
    assert len(stories_titled(app, "A second one")) == 1
    context.close()
