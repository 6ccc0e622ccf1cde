"""Records of other kinds than stories, written with no signal (issue 14): a facilitator at a
storytelling session records who came and which story was told, and translates a story, on
pages the phone saved while online; back online each arrives exactly once."""
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, outbox, sign_in, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _world():
    from kultialogo.events import service as events
    from kultialogo.moderation import service as moderation
    from kultialogo.stories import service as stories
    from kultialogo.stories.schema import validate_content
    f.community("siena")
    giulia = f.account("giulia", community_slug="siena", role="facilitator")
    amina = f.account("amina", community_slug="siena")
    story_id = uuid.uuid4()
    stories.write_one(amina, story_id, validate_content({
        "title": "The bridge at night", "body": "We crossed the old bridge when the lamps came on.",
        "language": "en", "community": "siena", "visibility": "community", "author_display": "pseudonym"}))
    moderation.moderate(giulia, story_id, "publish")
    event = events.create_event(giulia, f.community("siena"), events.clean_details(
        "storytelling", "Stories by the river", date(2026, 10, 3), None, "Biblioteca"))
    return {"event": event.id, "story": str(story_id), "amina": amina.id}


def _counts(event_id, story_id) -> dict:
    """What the server's database holds (a fresh session each time)."""
    from kultialogo.events.models import Event, EventAttendee, EventStory
    from kultialogo.extensions import db
    from kultialogo.translations.models import StoryTranslation
    db.session.remove()
    story = uuid.UUID(story_id)
    count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    out = {"head_count": db.session.get(Event, event_id).head_count,
           "attendees": count(EventAttendee, EventAttendee.event_id == event_id),
           "lines": count(EventStory, EventStory.event_id == event_id, EventStory.story_id == story),
           "translations": count(StoryTranslation, StoryTranslation.story_id == story)}
    db.session.remove()
    return out


EMPTY_OUTBOX = """async () => new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => { const r = open.result.transaction('outbox').objectStore('outbox').count();
                             r.onsuccess = () => { open.result.close(); resolve(r.result === 0); }; };
})"""
REQUEUE = """(items) => new Promise((resolve, reject) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => {
        const tx = open.result.transaction('outbox', 'readwrite');
        for (const item of items) tx.objectStore('outbox').put({ ...item, state: 'queued', nextAttempt: 0 });
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
    };
})"""
SENT_STATES = """() => new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => { const r = open.result.transaction('sent').objectStore('sent').getAll();
                             r.onsuccess = () => { open.result.close(); resolve(r.result.map((s) => s.id)); }; };
})"""


def _saved(page, path):
    eventually(page, f"""async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('{path}', {{ ignoreVary: true }}))""")


def _status(form):
    return form.locator(".compose-status")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_attendance_and_a_translation_recorded_offline_arrive_once(app, live_server, new_context, locale):
    world = _world()
    attendance_path = f"/events/{world['event']}/attendance"
    story_path = f"/stories/{world['story']}"
    page = new_context(locale=locale).new_page()
    sign_in(page, live_server.url, "giulia")
    # Opened online once, as a facilitator does before the session: the phone keeps both pages.
    page.goto(live_server.url + attendance_path)
    wait_for_worker(page)
    page.goto(live_server.url + attendance_path)
    _saved(page, attendance_path)
    page.goto(live_server.url + story_path)
    _saved(page, story_path)

    context = page.context
    context.set_offline(True)
    page.goto(live_server.url + attendance_path)  # from the phone, no signal
    form = page.locator("form[data-outbox-kind=attendance][data-enhanced]")
    expect(form).to_be_attached()
    expect(page.locator("[data-banner=offline]")).to_be_visible()
    page.fill("input[name=head_count]", "12")
    page.check(f"input[name=present-{world['amina']}]")
    page.select_option(f"select[name=gender-{world['amina']}]", "woman")
    page.fill("input[name=gender_man]", "4")
    page.check(f"input[name=told][value='{world['story']}']")
    form.locator("button[type=submit]").click()
    expect(_status(form)).to_have_attribute("data-state", "saved")
    if locale == "en":
        expect(_status(form)).to_contain_text("Saved on this phone")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"attendance-offline-{locale}.png"))
    items = {i["type"]: i for i in outbox(page)}
    assert set(items) == {"attendance", "attendance_story"}
    assert items["attendance"]["data"] == {
        "event": world["event"], "head_count": 12,
        "attendees": [{"account": world["amina"], "gender": "woman", "age": None, "origin": None}],
        "tallies": {"gender": {"woman": 0, "man": 4, "other": 0},
                    "age": {"under_18": 0, "18_25": 0, "26_40": 0, "41_65": 0, "over_65": 0},
                    "origin": {"newcomer": 0, "local": 0}}}
    assert items["attendance_story"]["op"] == "upsert"
    assert items["attendance_story"]["data"] == {"event": world["event"], "story": world["story"]}

    page.goto(live_server.url + story_path)  # from the phone too
    translate = page.locator("form[data-outbox-kind=translation][data-enhanced]")
    expect(translate).to_be_attached()
    page.locator("details.translate summary").click()
    translate.locator("select[name=language]").select_option("it")
    translate.locator("input[name=title]").fill("Il ponte di notte")
    translate.locator("textarea[name=body]").fill("Abbiamo attraversato il vecchio ponte quando si accendevano i lampioni.")
    translate.locator("button[type=submit]").click()
    expect(_status(translate)).to_have_attribute("data-state", "saved")
    translate.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"translation-offline-{locale}.png"))
    [translation] = [i for i in outbox(page) if i["type"] == "translation"]
    assert translation["data"]["story"] == world["story"] and translation["data"]["language"] == "it"
    assert len(outbox(page)) == 3
    assert _counts(world["event"], world["story"]) == {"head_count": None, "attendees": 0, "lines": 0, "translations": 0}

    # Back online: all three go out (from the page, or from the worker's Background Sync).
    queued = outbox(page)
    context.set_offline(False)
    expect(_status(translate)).to_have_attribute("data-state", "sent", timeout=30_000)
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    expected = {"head_count": 12, "attendees": 1, "lines": 1, "translations": 1}
    assert _counts(world["event"], world["story"]) == expected

    # The same three pushed again (an answer lost on the way, a second tab): "unchanged", no copy.
    page.evaluate(REQUEUE, queued)
    page.reload()  # the page pushes on load
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    sent = page.evaluate(SENT_STATES)
    assert {item["id"] for item in queued} <= set(sent)
    assert _counts(world["event"], world["story"]) == expected

    # Saved again from the page (online now, and after a reload): still one of each.
    page.unroute("**/api/v1/sync/push")
    page.goto(live_server.url + attendance_path)
    form = page.locator("form[data-outbox-kind=attendance][data-enhanced]")
    expect(form).to_be_attached()
    expect(page.locator(f"input[name=told][value='{world['story']}']")).to_be_checked()
    form.locator("button[type=submit]").click()
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    page.reload()
    assert outbox(page) == []
    assert _counts(world["event"], world["story"]) == expected


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_report_written_offline_arrives_once(app, live_server, new_context, locale):
    """A participant reports a story from a page the phone kept, with no signal; back online the
    report arrives once, and its reporter's phone then holds it as a pulled record."""
    from kultialogo.extensions import db
    from kultialogo.moderation.models import StoryReport
    world = _world()
    f.account("bojan", community_slug="siena")
    story_path = f"/stories/{world['story']}"
    page = new_context(locale=locale).new_page()
    sign_in(page, live_server.url, "bojan")
    page.goto(live_server.url + story_path)
    wait_for_worker(page)
    page.goto(live_server.url + story_path)
    _saved(page, story_path)

    page.context.set_offline(True)
    page.goto(live_server.url + story_path)
    form = page.locator("form[data-outbox-kind=report][data-enhanced]")
    expect(form).to_be_attached()
    page.locator("details.report summary").click()
    form.locator("input[name=reason][value=personal_data]").check()
    form.locator("textarea[name=note]").fill("It names the school of a child.")
    form.locator("button[type=submit]").click()
    expect(_status(form)).to_have_attribute("data-state", "saved")
    page.screenshot(path=str(ARTIFACTS / f"report-offline-{locale}.png"))
    [item] = outbox(page)
    assert item["type"] == "report" and item["data"] == {
        "story": world["story"], "reason": "personal_data", "note": "It names the school of a child."}

    def reports():
        db.session.remove()
        found = db.session.scalars(select(StoryReport.sync_id)).all()
        db.session.remove()
        return [str(sync_id) for sync_id in found]

    assert reports() == []
    page.context.set_offline(False)
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert reports() == [item["id"]]
    # Saved again from the same page: the same report, not a second one.
    page.evaluate("""() => document.querySelector('form[data-outbox-kind=report]')
        .addEventListener('kultialogo:queued', () => { window.queuedAgain = true; })""")
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => window.queuedAgain === true")
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    assert reports() == [item["id"]]
