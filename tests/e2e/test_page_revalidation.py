"""The worker revalidates a saved page with its ETag: a repeat visit with nothing changed costs
a 304 with no body, and a changed page comes in full."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import SQLITE_ONLY, sign_in, wait_for_worker
from tests.e2e.test_offline_reading import _story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def test_repeat_visit_of_the_feed_is_a_304_then_a_new_story_is_200(app, people, live_server, context):
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.reload()
    statuses = []
    context.on("response", lambda r: statuses.append(r.status) if r.url == live_server.url + "/" and r.request.method == "GET" else None)
    page.reload()
    assert 304 in statuses
    expect(page.locator("h1")).to_be_visible()
    _story(app, "A story new on the list")
    statuses.clear()
    page.reload()
    expect(page.locator(".story-card")).to_contain_text("A story new on the list")
    assert 304 not in statuses
