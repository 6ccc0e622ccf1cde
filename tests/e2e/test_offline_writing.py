"""Writing with no signal: kept on the phone, sent exactly once when the signal returns."""
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (ARTIFACTS, SQLITE_ONLY, eventually, outbox, rows, sign_in, stories_titled,
                              wait_for_worker, write_story)

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _ready_to_write(context, base_url):
    page = context.new_page()
    sign_in(page, base_url)
    page.goto(base_url + "/write")
    wait_for_worker(page)
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/write', { ignoreVary: true }))""")
    return page


# The story id in the /write page the service worker cached (the server made it then).
CACHED_PAGE_ID = """async () => {
    const page = await (await caches.open('kultialogo-pages-v1')).match('/write', { ignoreVary: true });
    const input = new DOMParser().parseFromString(await page.text(), 'text/html').querySelector('input[name=id]');
    return input && input.value;
}"""


def _mine(page, title):
    return page.locator(".mine-item", has_text=title)


def test_story_written_offline_survives_a_closed_page_and_is_sent_once(app, people, live_server, context):
    started_ms = int(time.time() * 1000)
    page = _ready_to_write(context, live_server.url)
    context.set_offline(True)
    expect(page.locator("[data-banner=offline]")).to_contain_text("No signal")
    write_story(page, "Written with no signal")
    expect(_mine(page, "Written with no signal")).to_contain_text("Saved on this phone")
    write_story(page, "A second one, also offline")
    expect(_mine(page, "A second one, also offline")).to_contain_text("Saved on this phone")
    ARTIFACTS.mkdir(exist_ok=True)
    _mine(page, "Written with no signal").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "saved-offline-en.png"))
    ids = sorted(item["id"] for item in outbox(page))
    assert len(ids) == 2
    # Time-first ids (docs/sync.md, Ids): version 7, made on the phone, their times in the
    # order the stories were written, within this test.
    written = [uuid.UUID(i["id"]) for i in sorted(outbox(page), key=lambda i: i["data"]["created_at"])]
    assert [i.version for i in written] == [7, 7]
    times = [i.int >> 80 for i in written]
    assert started_ms <= times[0] <= times[1] <= int(time.time() * 1000)
    page.close()

    page = context.new_page()
    page.goto(live_server.url + "/write")  # still offline: the page comes from the phone
    for title in ("Written with no signal", "A second one, also offline"):
        expect(_mine(page, title)).to_contain_text("Saved on this phone")
    assert sorted(i["id"] for i in outbox(page)) == ids
    assert [rows(app, story_id) for story_id in ids] == [0, 0]

    context.set_offline(False)
    for title in ("Written with no signal", "A second one, also offline"):
        expect(_mine(page, title)).to_contain_text("waiting for review")
    assert [rows(app, story_id) for story_id in ids] == [1, 1]
    assert outbox(page) == []


def test_a_story_written_on_the_page_the_phone_kept_gets_an_id_made_then(app, people, live_server, context):
    page = _ready_to_write(context, live_server.url)
    context.set_offline(True)
    cached_id = page.evaluate(CACHED_PAGE_ID)
    assert uuid.UUID(cached_id).version == 7  # the server's, made when the page was cached
    opened_ms = int(time.time() * 1000)
    page.goto(live_server.url + "/write")  # from the phone, no signal
    write_story(page, "Written on the kept page")
    expect(_mine(page, "Written on the kept page")).to_contain_text("Saved on this phone")
    # Not the page's id: its time would tell when the page was cached (docs/sync.md, Ids).
    [item] = outbox(page)
    made = uuid.UUID(item["id"])
    assert str(made) != cached_id
    assert made.version == 7 and opened_ms <= made.int >> 80 <= int(time.time() * 1000)


def test_two_tabs_with_the_same_queued_story_going_online_make_one_row(app, people, live_server, context):
    first = _ready_to_write(context, live_server.url)
    context.set_offline(True)
    write_story(first, "Two tabs, one story")
    expect(_mine(first, "Two tabs, one story")).to_contain_text("Saved on this phone")
    second = context.new_page()
    second.goto(live_server.url + "/")
    expect(_mine(second, "Two tabs, one story")).to_contain_text("Saved on this phone")

    context.set_offline(False)  # both tabs see `online` at the same moment
    for page in (first, second):
        expect(_mine(page, "Two tabs, one story")).to_contain_text("waiting for review")
    found = stories_titled(app, "Two tabs, one story")
    assert len(found) == 1


def test_push_cut_after_the_server_stored_it_is_retried_into_one_row(app, people, live_server, context):
    page = _ready_to_write(context, live_server.url)
    cut = []

    def lose_the_answer(route):
        if not cut:
            response = route.fetch()          # the server receives and stores the story ...
            cut.append(response.status)
            route.abort("connectionreset")    # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/sync/push", lose_the_answer)
    write_story(page, "Cut in the middle")
    expect(_mine(page, "Cut in the middle")).to_contain_text("waiting for review")
    assert cut == [200]
    assert len(stories_titled(app, "Cut in the middle")) == 1


def test_story_the_server_refuses_is_kept_shown_fixed_and_resent(app, people, live_server, context):
    page = _ready_to_write(context, live_server.url)
    # The form's maxlength only limits typing; a pasted or older copy can still be too long.
    page.evaluate("document.querySelector('#title').removeAttribute('maxlength')")
    write_story(page, "A" * 141)
    item = _mine(page, "A" * 141)
    expect(item).to_contain_text("Needs your attention")
    expect(item.locator(".reason")).to_contain_text("140")
    [queued] = outbox(page)
    assert queued["state"] == "attention"
    ARTIFACTS.mkdir(exist_ok=True)
    item.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "needs-attention-en.png"))
    assert stories_titled(app, "A" * 141) == []

    item.get_by_role("link", name="Fix it and send it again").click()
    expect(page.locator("#title")).to_have_value("A" * 141)
    expect(page.locator(".field.has-error")).to_contain_text("140")
    page.fill("#title", "A shorter title")
    page.get_by_role("button", name="Send").click()
    expect(_mine(page, "A shorter title")).to_contain_text("waiting for review")
    assert rows(app, queued["id"]) == 1
    assert outbox(page) == []


def _png() -> bytes:
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (31, 95, 91)).save(buffer, "PNG")
    return buffer.getvalue()


def test_photo_chosen_offline_is_kept_on_the_phone_and_uploaded_with_the_story(app, people, live_server, context):
    import hashlib
    page = _ready_to_write(context, live_server.url)
    photo = _png()
    context.set_offline(True)
    page.fill("#title", "A photo from the garden")
    page.fill("#body", "The tomatoes are red now.")
    page.set_input_files("input[type=file][name=photo]",
                         files=[{"name": "garden.png", "mimeType": "image/png", "buffer": photo}])
    page.get_by_role("button", name="Send").click()
    expect(_mine(page, "A photo from the garden")).to_contain_text("Saved on this phone")
    [item] = outbox(page)
    [sha] = item["data"]["media"]
    assert sha != hashlib.sha256(photo).hexdigest()  # re-encoded on the phone (photo.js), so not the original

    context.set_offline(False)
    expect(_mine(page, "A photo from the garden")).to_contain_text("waiting for review")
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    story = db.session.get(Story, __import__("uuid").UUID(item["id"]))
    assert list(story.media) == [sha]
    db.session.remove()
    assert page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => { const r = open.result.transaction('media').objectStore('media').count();
                                 r.onsuccess = () => { open.result.close(); resolve(r.result); }; };
    })""") == 0  # the bytes left the phone once the server had the story


def test_story_sent_after_the_session_ended_waits_for_sign_in_then_goes(app, people, live_server, context):
    page = _ready_to_write(context, live_server.url)
    # Let the page's own requests finish first: a late answer would set the cookie again.
    eventually(page, """async () => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const r = open.result.transaction('meta').objectStore('meta').get('feed');
            r.onsuccess = () => { open.result.close(); resolve(Boolean(r.result && r.result.value.cursor)); };
        };
    })""")
    page.wait_for_load_state("networkidle")
    context.clear_cookies()  # the session ended (expired, or signed out in another tab)
    write_story(page, "Written as the session ended")
    item = _mine(page, "Written as the session ended")
    expect(item).to_contain_text("sign in to send it")
    assert stories_titled(app, "Written as the session ended") == []

    sign_in(page, live_server.url)
    expect(_mine(page, "Written as the session ended")).to_contain_text("waiting for review")
    assert len(stories_titled(app, "Written as the session ended")) == 1


def test_the_author_reads_why_a_story_was_not_published_in_their_list(app, people, live_server, context):
    import uuid
    from kultialogo.extensions import db
    from kultialogo.moderation import service
    from tests import factories as f
    page = _ready_to_write(context, live_server.url)
    write_story(page, "Our street in winter")
    expect(_mine(page, "Our street in winter")).to_contain_text("waiting for review")
    [(story_id, _status)] = stories_titled(app, "Our street in winter")
    admin = f.account("admin_e2e", is_admin=True)
    service.moderate(admin, uuid.UUID(story_id), "reject", "personal_data", "Please leave out the house number.")
    db.session.remove()

    page.reload()  # the page pulls on load; the new state and its reason come with the story
    item = _mine(page, "Our street in winter")
    expect(item).to_contain_text("Not published")
    expect(item.locator(".reason")).to_contain_text("It shows personal details")
    expect(item.locator(".reason-note")).to_contain_text("Please leave out the house number.")
