"""A voice recording cut short (a call, the screen locking, the tab closed) is not lost: it is
kept on the phone as it records (IndexedDB 'takes' and 'chunks', a piece a second) and
offered again on the write page, to keep and send like any recording, or to discard."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, outbox
from tests.e2e.test_media_capture import (MEDIA_EMPTY, media_browser, phone, plays, ready_to_write,  # noqa: F401
                                          story)

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

KEPT = """async () => await new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('chunks')) { db.close(); resolve({ takes: 0, chunks: 0 }); return; }
        const tx = db.transaction(['takes', 'chunks']);
        const takes = tx.objectStore('takes').count();
        const chunks = tx.objectStore('chunks').count();
        tx.oncomplete = () => { db.close(); resolve({ takes: takes.result, chunks: chunks.result }); };
    };
})"""


def kept(page):
    return page.evaluate(KEPT)


def start_and_interrupt(page, seconds=2):
    """Record, and leave while the recorder runs once `seconds` pieces are on the phone."""
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    eventually(page, f"async () => ({KEPT})().then((n) => n.takes === 1 && n.chunks >= {seconds})")


def test_a_recording_cut_by_closing_the_tab_is_offered_kept_and_sent_with_its_audio(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    start_and_interrupt(page)
    page.close()  # the tab is killed mid-recording: no Stop, no finished file

    page = context.new_page()
    page.goto(live_server.url + "/write")
    offer = page.locator(".recorder-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("A recording was interrupted")
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Keep it").click()
    expect(offer).to_be_hidden()
    expect(page.locator(".recorder-result audio")).to_be_visible()
    expect(page.locator(".recorder-result .media-size")).to_contain_text("to send")
    expect(page.locator(".recorder-status")).to_contain_text("interrupted recording was kept")
    eventually(page, f"async () => ({KEPT})().then((n) => n.takes === 0 && n.chunks === 0)")

    page.get_by_role("button", name="Send").click()
    expect(page.locator(".mine-item").first).to_contain_text("waiting for review")
    [sent] = page.locator(".mine-item").evaluate_all("(items) => items.map((li) => li.dataset.id)")
    saved = story(app, sent)
    assert len(saved["media"]) == 1
    played = plays(page, f"/media/{saved['media'][0]}")
    assert played["status"] == 200 and played["type"] == "audio/webm"
    assert 1 < played["duration"] < 10  # the seconds recorded before the tab was closed
    eventually(page, MEDIA_EMPTY)
    assert outbox(page) == []

    page.reload()  # nothing is offered twice
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_visible()
    expect(page.locator(".recorder-offer")).to_be_hidden()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_recording_cut_by_a_reload_can_be_discarded_and_leaves_the_phone(app, people, live_server, phone, locale):
    context = phone(locale="ar" if locale == "ar" else "en-GB")
    context.add_cookies([{"name": "lang", "value": locale, "url": live_server.url}])
    page = ready_to_write(context, live_server.url)
    record = page.locator(".recorder button.record")
    record.click()
    expect(page.locator(".recorder button.stop")).to_be_visible()
    eventually(page, f"async () => ({KEPT})().then((n) => n.takes === 1 && n.chunks >= 2)")
    page.reload()
    offer = page.locator(".recorder-offer")
    expect(offer).to_be_visible()
    expect(record).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    offer.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"interrupted-recording-{locale}.png"))
    offer.locator("button.discard").click()
    expect(offer).to_be_hidden()
    expect(record).to_be_visible()
    expect(record).to_be_focused()
    eventually(page, f"async () => ({KEPT})().then((n) => n.takes === 0 && n.chunks === 0)")
    page.reload()
    expect(record).to_be_visible()
    expect(offer).to_be_hidden()


def test_a_finished_recording_leaves_no_interrupted_take_behind(app, people, live_server, phone):
    from tests.e2e.test_media_capture import record
    context = phone()
    page = ready_to_write(context, live_server.url)
    record(page, seconds=2)
    eventually(page, f"async () => ({KEPT})().then((n) => n.takes === 0 && n.chunks === 0)")
    page.reload()
    expect(page.locator(".recorder-result audio")).to_be_visible()  # the draft's recording, as before
    expect(page.locator(".recorder-offer")).to_be_hidden()
