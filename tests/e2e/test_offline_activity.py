"""/activity read offline in a real browser: what the phone pulled since the page was saved
(a story newly published in a community the person follows) is listed from IndexedDB."""
import uuid

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, eventually, sign_in, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _publish(title):
    """A story by giulia, a facilitator of siena: published at once."""
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.stories import service
    from kultialogo.stories.schema import validate_content
    actor = db.session.query(Account).filter_by(username="giulia").one()
    content = validate_content({"title": title, "body": "Walking along the river at dusk.", "language": "en",
                                "community": "siena", "visibility": "community", "author_display": "pseudonym"})
    story_id = uuid.uuid4()
    assert service.write_one(actor, story_id, content).result == service.CREATED
    return story_id


def _stored(page, kind_store, key, value):
    return f"""async () => new Promise((resolve) => {{
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {{
            const r = open.result.transaction('{kind_store}').objectStore('{kind_store}').getAll();
            r.onsuccess = () => {{ open.result.close(); resolve(r.result.some((x) => x['{key}'] === {value!r})); }};
        }};
    }})"""


def test_activity_offline_lists_a_story_pulled_after_the_page_was_saved(app, people, live_server, context):
    f.account("giulia", community_slug="siena", role="facilitator")
    first = _publish("The old bridge")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/stories/{first}")
    # Saved on the phone and sent by the outbox (kinds/follow.js), as with no signal.
    form = page.locator("form[data-outbox-kind=follow][data-community=siena][data-enhanced]")
    form.get_by_role("button", name="Follow Siena").click()
    expect(form.locator(".compose-status")).to_have_attribute("data-state", "sent")
    page.reload()
    expect(page.get_by_role("button", name="Stop following Siena")).to_be_visible()
    page.goto(live_server.url + "/activity")
    wait_for_worker(page)
    eventually(page, _stored(page, "records", "type", "follow"))  # the pull brought the follow
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/activity', { ignoreVary: true }))""")

    _publish("The new bridge")
    page.goto(live_server.url + "/")  # a page load pulls
    eventually(page, _stored(page, "stories", "title", "The new bridge"))

    context.set_offline(True)
    page.goto(live_server.url + "/activity")
    entry = page.locator("#activity li[data-kind=story]", has_text="The new bridge")
    expect(entry).to_be_visible()
    expect(entry.locator("time")).not_to_be_empty()
    assert entry.locator("a").get_attribute("href").startswith("/stories/")
    expect(page.locator("#activity")).to_have_attribute("data-derived", "1")


def _reply(story_id, body):
    """A reply by giulia (a facilitator of siena: published at once)."""
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.replies import service
    actor = db.session.query(Account).filter_by(username="giulia").one()
    _result, reply = service.add_reply(actor, story_id, body)
    return reply.sync_id


def test_activity_offline_lists_a_reply_pulled_in_a_followed_story(app, people, live_server, context):
    f.account("giulia", community_slug="siena", role="facilitator")
    story = _publish("The old bridge")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/stories/{story}")
    form = page.locator(f"form[data-outbox-kind=follow][data-story='{story}'][data-enhanced]")
    form.get_by_role("button", name="Follow this story").click()
    expect(form.locator(".compose-status")).to_have_attribute("data-state", "sent")
    page.goto(live_server.url + "/activity")
    wait_for_worker(page)
    eventually(page, _stored(page, "records", "type", "follow"))
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/activity', { ignoreVary: true }))""")

    reply_id = _reply(story, "Thank you for the bridge")
    page.goto(live_server.url + "/")  # a page load pulls
    eventually(page, _stored(page, "records", "id", str(reply_id)))

    context.set_offline(True)
    page.goto(live_server.url + "/activity")
    entry = page.locator("#activity li[data-kind=reply]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("A new reply")
    expect(entry.locator("a")).to_have_attribute("href", f"/stories/{story}#reply-{reply_id}")
    expect(entry.locator("a")).to_have_text("The old bridge")
    expect(page.locator("#activity")).to_have_attribute("data-derived", "1")  # from IndexedDB, not the saved page
