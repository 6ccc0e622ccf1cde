"""IndexedDB upgrades step by step and never loses what a person wrote."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import SQLITE_ONLY, outbox, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

# The version 1 schema exactly as the first release created it, with one waiting story.
VERSION_1 = """(owner) => new Promise((resolve, reject) => {
    const open = indexedDB.open('kultialogo', 1);
    open.onupgradeneeded = () => {
        const db = open.result;
        db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('owner', 'owner');
        db.createObjectStore('drafts', { keyPath: 'id' }).createIndex('owner', 'owner');
        db.createObjectStore('sent', { keyPath: 'id' }).createIndex('owner', 'owner');
        db.createObjectStore('stories', { keyPath: 'id' });
        db.createObjectStore('meta', { keyPath: 'key' });
    };
    open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction('outbox', 'readwrite');
        tx.objectStore('outbox').put({
            id: '7d7e0f5e-8a5b-4b43-9d3e-0c4a8f0a1b2c', owner, op: 'upsert', base_etag: null,
            data: { title: 'Kept across an upgrade', body: 'Written with the first version.', language: 'en',
                    community: 'siena', visibility: 'community', author_display: 'pseudonym',
                    created_at: '2026-11-01T10:00:00Z' },
            fields: null, state: 'queued', attempts: 0, nextAttempt: 0, lastError: null,
            rev: 1, queuedAt: Date.now(), updatedAt: Date.now() });
        tx.oncomplete = () => { db.close(); resolve(db.version); };
        tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
})"""


def test_upgrade_from_version_1_keeps_the_outbox_and_adds_the_media_recording_and_records_stores(app, people, live_server, context):
    page = context.new_page()
    sign_in(page, live_server.url)
    owner = page.evaluate("document.documentElement.dataset.user")
    # A page of the same origin without the app on it: the database is made as version 1 had it.
    page.goto(live_server.url + "/static/icons/icon.svg")
    page.evaluate("""() => new Promise((resolve) => {
        const request = indexedDB.deleteDatabase('kultialogo');
        request.onsuccess = resolve;
        request.onerror = resolve;
    })""")
    assert page.evaluate(VERSION_1, owner) == 1

    page.goto(live_server.url + "/write")
    item = page.locator(".mine-item", has_text="Kept across an upgrade")
    expect(item).to_be_visible()
    stores = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => { const db = open.result; resolve([db.version, [...db.objectStoreNames]]); db.close(); };
    })""")
    assert stores[0] == 4 and {"media", "takes", "chunks", "records", "outbox"} <= set(stores[1])
    assert [i["id"] for i in outbox(page)] in ([], ["7d7e0f5e-8a5b-4b43-9d3e-0c4a8f0a1b2c"])
    expect(item).to_contain_text("waiting for review")  # and it still goes out
