"""A withdrawn story leaves the phone: the pull's tombstone also deletes its saved page and
its media from the caches (the worker shows saved pages on slow signal)."""
import uuid

import pytest

from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, eventually, sign_in, wait_for_worker
from tests.media import tus

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _story_with_photo(app):
    client = app.test_client()
    headers = f.bearer(f.token(client, "amina"))
    data = tus.png_bytes()
    assert tus.upload(client, headers, data, "image/png").status_code == 204
    story_id = str(uuid.uuid4())
    result = client.post("/api/v1/sync/push", headers=headers, json={"items": [
        f.item(story_id, media=[tus.sha256(data)], visibility="public")]}).get_json()["results"][0]
    assert result["result"] == "created", result
    return story_id, tus.sha256(data)


def _withdraw(app, story_id):
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.stories import service
    db.session.remove()
    actor = db.session.query(Account).filter_by(username="amina").one()
    service.withdraw_one(actor, uuid.UUID(story_id))
    db.session.remove()


CACHED = """async () => {
    const page = await caches.match('/stories/%(id)s', { ignoreVary: true });
    const media = await caches.match('/media/%(sha)s', { ignoreVary: true });
    return [Boolean(page), Boolean(media)];
}"""


def test_a_tombstone_deletes_the_saved_page_and_the_media(app, people, live_server, context):
    story_id, sha = _story_with_photo(app)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.goto(live_server.url + f"/stories/{story_id}")
    # The worker keeps the page; the media as a phone may hold them in its caches.
    eventually(page, f"""async () => Boolean(await caches.match('/stories/{story_id}', {{ ignoreVary: true }}))""")
    page.evaluate(f"""async () => {{
        const cache = await caches.open('kultialogo-runtime-v1');
        await cache.put('/media/{sha}', await fetch('/media/{sha}', {{ credentials: 'same-origin' }}));
    }}""")
    # The story is in the phone's pulled feed (its media known there).
    eventually(page, f"""async () => new Promise((resolve) => {{
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {{
            const r = open.result.transaction('stories').objectStore('stories').get('{story_id}');
            r.onsuccess = () => {{ open.result.close(); resolve(Boolean(r.result)); }};
        }};
    }})""")
    assert page.evaluate(CACHED % {"id": story_id, "sha": sha}) == [True, True]

    _withdraw(app, story_id)
    context.set_offline(True)
    context.set_offline(False)  # back online: the page pulls at once
    assert eventually(page, """async () => {
        const [p, m] = await (%s)();
        return !p && !m ? 'gone' : false;
    }""" % (CACHED % {"id": story_id, "sha": sha})) == "gone"
