"""Background Sync: with no page open, the service worker sends what waits in the outbox."""
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import SQLITE_ONLY, outbox, sign_in, stories_titled, wait_for_worker, write_story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


# The token the pages stored is one the server no longer takes (signed for another session):
# the worker, with no page to read <meta name="csrf-token"> from, takes the session's from the
# csrf_token cookie (cookieStore) and sends again.
STALE_TOKEN = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => {
        const tx = open.result.transaction('meta', 'readwrite');
        const store = tx.objectStore('meta');
        const get = store.get('session');
        get.onsuccess = () => store.put({ key: 'session', value: { ...get.result.value, csrf: 'not-the-token' } });
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
    };
})"""


@pytest.mark.parametrize("stored_token", ["the page's", "stale"])
def test_worker_pushes_the_outbox_on_a_sync_event_with_no_page_open(app, people, live_server, context, stored_token):
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    wait_for_worker(page)
    context.set_offline(True)
    write_story(page, "Sent by the worker alone")
    expect(page.locator(".mine-item", has_text="Sent by the worker alone")).to_contain_text("Saved on this phone")
    assert len(outbox(page)) == 1
    if stored_token == "stale":
        page.evaluate(STALE_TOKEN)
    # No Kultialogo page is open any more. Closed, not navigated away: a page left for
    # about:blank can still be running (Chromium unloads it after the next page commits), hear
    # `online` and start the send itself, then die with the item leased as "sending" for 60 s.
    blank = context.new_page()
    page.close()
    page = blank
    context.set_offline(False)

    # What Chromium does when the connection comes back, asked for directly (the timing of the
    # browser's own sync event is its business).
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    [registration] = [r for r in registrations if r["scopeURL"].startswith(live_server.url)]
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": live_server.url, "registrationId": registration["registrationId"],
        "tag": "kultialogo-outbox", "lastChance": False})
    deadline = time.monotonic() + 20  # the server's database, polled: no page to wait on
    while not stories_titled(app, "Sent by the worker alone") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(stories_titled(app, "Sent by the worker alone")) == 1

    page.goto(live_server.url + "/write")
    # If the worker was stopped between the server's answer and writing it down, the item shows
    # "Sending…" until its lease (60 s) ends and the page sends it again: "unchanged", one row.
    expect(page.locator(".mine-item", has_text="Sent by the worker alone")).to_contain_text(
        "waiting for review", timeout=90_000)
    assert len(stories_titled(app, "Sent by the worker alone")) == 1
