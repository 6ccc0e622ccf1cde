"""Helpers for the browser tests (the fixtures are in conftest.py)."""
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories as f

CHROMIUM = os.environ.get("KULTIALOGO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# Browser tests run on SQLite only: they test the phone side; the API and the database have
# their own tests on both databases.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

def sign_in(page, base_url, username="amina", password=f.PASSWORD):
    page.goto(base_url + "/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/signin" not in page.url, "sign-in failed"


def eventually(page, predicate: str, timeout_ms: int = 20_000):
    """Until the async JS predicate (an `async () => ...` expression) holds in the page.

    (page.wait_for_function does not await a promise, so an async predicate would pass at once,
    and it evaluates strings with eval(), which the pages' CSP refuses.)
    """
    return page.evaluate(f"""async () => {{
        const check = {predicate};
        const deadline = Date.now() + {timeout_ms};
        for (;;) {{
            const value = await check();
            if (value) return value;
            if (Date.now() > deadline) throw new Error('condition not met in {timeout_ms} ms: ' + check.toString());
            await new Promise((resolve) => setTimeout(resolve, 100));
        }}
    }}""")


def wait_for_worker(page):
    """Until the service worker controls the page and has stored the shell and the pages."""
    # A page whose navigation began before the first worker activated is not claimed by it
    # (Chromium decides a document's controller when its request starts): such a page is
    # controlled from its next load on, as a person's next page would be.
    state = eventually(page, """async () => {
        if (navigator.serviceWorker.controller) return 'controlled';
        const registration = await navigator.serviceWorker.getRegistration();
        if (registration && registration.active && registration.active.state === 'activated') {
            window.__activeSince = window.__activeSince || Date.now();
            if (Date.now() - window.__activeSince > 1500) return 'reload';
        }
        return false;
    }""", timeout_ms=30_000)
    if state == "reload":
        page.reload()
        eventually(page, "async () => Boolean(navigator.serviceWorker.controller)")
    eventually(page, """async () => {
        const names = await caches.keys();
        const shell = names.find((n) => n.startsWith('kultialogo-shell-v'));
        if (!shell || !names.includes('kultialogo-pages-v1')) return false;
        const pages = await caches.open('kultialogo-pages-v1');
        return Boolean(await pages.match('/', { ignoreVary: true }));
    }""")


def outbox(page):
    """The outbox as the page's IndexedDB holds it."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const db = open.result;
            const request = db.transaction('outbox').objectStore('outbox').getAll();
            request.onsuccess = () => { db.close(); resolve(request.result); };
            request.onerror = () => reject(request.error);
        };
        open.onerror = () => reject(open.error);
    })""")


def rows(app, story_id) -> int:
    """How many stories with this id the server's database holds (a fresh session each time)."""
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    count = db.session.scalar(select(func.count()).select_from(Story).where(Story.id == uuid.UUID(str(story_id))))
    db.session.remove()
    return count


def stories_titled(app, title) -> list:
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    found = db.session.scalars(select(Story).where(Story.title == title)).all()
    result = [(str(s.id), s.status) for s in found]
    db.session.remove()
    return result


def write_story(page, title, body="We walked by the river and talked about home."):
    # compose.js enhances the form after the page has loaded (idle callback, imports, IndexedDB);
    # a click before that posts the plain form and leaves /write. Wait for the mark it sets.
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", title)
    page.fill("#body", body)
    page.get_by_role("button", name="Send").click()
