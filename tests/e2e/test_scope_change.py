"""When what a person may see changes, their phone follows (docs/sync.md, Pull: "reset"): taken
out of a community, the community's stories leave the phone, saved pages included; let into
another, its older stories arrive."""
import uuid

import pytest

from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, eventually, sign_in, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

KEYS = """async () => new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => {
        const r = open.result.transaction('%s').objectStore('%s').getAllKeys();
        r.onsuccess = () => { open.result.close(); resolve(r.result); };
    };
})"""
HELD = KEYS % ("stories", "stories")
RECORDS = KEYS % ("records", "records")


def _community_stories(app, titles):
    """{slug: id} of a community story by a writer of that community, published at once."""
    from kultialogo.extensions import db
    for slug in titles:
        f.community(slug).moderation = "trusted"
        db.session.commit()
        f.account(f"{slug}writer", community_slug=slug)
    made = {}
    for slug, title in titles.items():
        made[slug] = str(uuid.uuid4())
        with app.app_context():  # a request's own context (g), as each phone's request has
            client = app.test_client()
            result = client.post("/api/v1/sync/push", headers=f.bearer(f.token(client, f"{slug}writer")), json={
                "items": [f.item(made[slug], community=slug, visibility="community", title=title)]}).get_json()
        assert result["results"][0]["result"] == "created", result
    return made


def _reply(app, slug, story_id, body):
    """A reply by the community's writer: no tombstone ever reaches those who leave it."""
    reply_id = str(uuid.uuid4())
    with app.app_context():
        client = app.test_client()
        result = client.post("/api/v1/sync/push", headers=f.bearer(f.token(client, f"{slug}writer")), json={
            "items": [{"type": "reply", "op": "upsert", "id": reply_id, "data": {"story": story_id, "body": body}}]})
    assert result.get_json()["results"][0]["result"] == "created", result.get_json()
    return reply_id


def _membership(app, slug, add: bool):
    from sqlalchemy import delete

    from kultialogo.accounts.models import Account, Membership
    from kultialogo.extensions import db
    db.session.remove()
    amina = db.session.query(Account).filter_by(username="amina").one()
    community = f.community(slug)
    if add:
        db.session.add(Membership(account_id=amina.id, community_id=community.id, role="participant"))
    else:
        db.session.execute(delete(Membership).where(Membership.account_id == amina.id,
                                                    Membership.community_id == community.id))
    db.session.commit()
    db.session.remove()


def _pull_now(context):
    context.set_offline(True)
    context.set_offline(False)  # back online: the page pulls at once


def test_leaving_a_community_takes_its_stories_off_the_phone_and_joining_one_brings_its_older_ones(
        app, people, live_server, context):
    made = _community_stories(app, {"siena": "Only for Siena", "belgrade": "Only for Belgrade"})
    siena, belgrade = made["siena"], made["belgrade"]
    reply = _reply(app, "siena", siena, "Thank you, from Siena")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.goto(live_server.url + f"/stories/{siena}")  # the worker keeps the page
    eventually(page, f"""async () => Boolean(await caches.match('/stories/{siena}', {{ ignoreVary: true }}))""")
    eventually(page, f"""async () => (await ({HELD})()).includes('{siena}')""")
    assert belgrade not in page.evaluate(HELD)
    eventually(page, f"""async () => (await ({RECORDS})()).includes('{reply}')""")

    _membership(app, "siena", add=False)
    _membership(app, "belgrade", add=True)
    _pull_now(context)
    held = eventually(page, f"""async () => {{
        const held = await ({HELD})();
        return held.includes('{belgrade}') && !held.includes('{siena}') ? held : false;
    }}""")
    assert belgrade in held and siena not in held
    assert reply not in page.evaluate(RECORDS)  # no tombstone for it: the reset took it
    assert page.evaluate(f"""async () => Boolean(await caches.match('/stories/{siena}', {{ ignoreVary: true }}))""") \
        is False
    # The phone goes on from the new cursor: another pull keeps the same stories.
    _pull_now(context)
    page.wait_for_timeout(1500)
    assert sorted(page.evaluate(HELD)) == sorted(held)
