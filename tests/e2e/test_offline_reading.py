"""Reading offline: the shell and the pulled feed come from the phone when there is no signal."""
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, sign_in, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _story(app, title, author="amina"):
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.stories import service
    from kultialogo.stories.schema import validate_content
    actor = db.session.query(Account).filter_by(username=author).one()
    content = validate_content({"title": title, "body": "A story about the river and the bridge.",
                                "language": "en", "community": "siena", "visibility": "public",
                                "author_display": "pseudonym"})
    story_id = uuid.uuid4()
    service.write_one(actor, story_id, content)
    return story_id


def test_online_first_visit_then_offline_reload_comes_from_the_worker(app, people, live_server, context):
    _story(app, "The bridge at night")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    expect(page.locator(".story-card")).to_contain_text("The bridge at night")
    wait_for_worker(page)
    # The signed-in person's feed (not the one pulled before signing in) is on the phone.
    eventually(page, """async () => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const tx = open.result.transaction(['stories', 'meta']);
            const count = tx.objectStore('stories').count();
            const feed = tx.objectStore('meta').get('feed');
            tx.oncomplete = () => {
                open.result.close();
                const state = feed.result && feed.result.value;
                resolve(count.result > 0 && state && state.cursor !== null
                        && state.scope === document.documentElement.dataset.user);
            };
        };
    })""")

    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Offline — showing stories saved on this phone")).to_be_visible()
    expect(page.locator("#feed[data-from=phone] .story-card")).to_contain_text("The bridge at night")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "feed-offline-en.png"))
    # The shell itself came from the worker's cache: the stylesheet applied.
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).display") == "flex"


def test_after_signing_out_the_last_persons_stories_are_not_shown_offline(app, people, live_server, context):
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    story_id = _story(app, "Only for my community")
    db.session.get(Story, story_id).visibility = "community"
    db.session.commit()
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    eventually(page, """async () => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const r = open.result.transaction('stories').objectStore('stories').count();
            r.onsuccess = () => { open.result.close(); resolve(r.result > 0); };
        };
    })""")
    with page.expect_navigation():
        page.locator("form[action='/signout'] button").click()
    # The signed-out feed page is saved again (sign-out dropped the saved pages).
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/', { ignoreVary: true }))""")
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Offline — showing stories saved on this phone")).to_be_visible()
    expect(page.get_by_text("Only for my community")).to_have_count(0)
