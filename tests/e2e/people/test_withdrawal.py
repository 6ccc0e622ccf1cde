"""A phone that had a story cached no longer shows it after syncing once it is withdrawn
(the contract's tombstone reaching the PWA's IndexedDB and its saved pages)."""
import pytest
from playwright.sync_api import expect

from kultialogo.extensions import db
from kultialogo.stories import service as stories
from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, sign_in, wait_for_worker
from tests.people.helpers import make_story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

CACHED = """async (id) => new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => {
        const r = open.result.transaction('stories').objectStore('stories').get(id);
        r.onsuccess = () => { open.result.close(); resolve(Boolean(r.result)); };
        r.onerror = () => { open.result.close(); resolve(false); };
    };
    open.onerror = () => resolve(false);
})"""


def test_a_withdrawn_story_vanishes_from_a_phone_that_had_it(app, live_server, context):
    f.community("siena", moderation="trusted")
    author = f.account("amina", community_slug="siena")
    f.account("reader", community_slug="siena")
    story = make_story(author, community="siena", visibility="public", status="published",
                       title="Soon withdrawn by its author")
    keep = make_story(author, community="siena", visibility="public", status="published", title="This one stays")
    page = context.new_page()
    sign_in(page, live_server.url, "reader")
    page.goto(live_server.url + "/")
    expect(page.locator("main")).to_contain_text("Soon withdrawn by its author")
    wait_for_worker(page)
    page.wait_for_function(CACHED, arg=str(story.id))

    stories.withdraw_one(author, story.id)
    db.session.rollback()

    page.reload()  # online: the page loads and the sync pulls the tombstone
    page.wait_for_function(f"async () => !(await ({CACHED})('{story.id}'))")
    expect(page.locator("main")).not_to_contain_text("Soon withdrawn by its author")
    expect(page.locator("main")).to_contain_text("This one stays")
    context.set_offline(True)
    page.reload()
    expect(page.locator("main")).to_contain_text("This one stays")
    expect(page.locator("main")).not_to_contain_text("Soon withdrawn by its author")
    assert keep.id
