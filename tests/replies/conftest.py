"""The moderation tests' cast (siena: amina writes, bilal reads, giulia facilitates; belgrade:
milica facilitates; root is an admin), reused for replies and reactions."""
import uuid

import pytest

from kultialogo.communities.models import Community
from kultialogo.extensions import db
from tests.moderation.conftest import audit_rows, cast, client, stored, story_in, web, write_story  # noqa: F401

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


@pytest.fixture
def trusted(app):
    """Siena publishes without review: replies of participants are published at once."""
    def make(slug="siena"):
        community = db.session.query(Community).filter_by(slug=slug).one()
        community.moderation = "trusted"
        db.session.commit()
    return make


def published_story(cast, **kwargs) -> uuid.UUID:
    return story_in("published", cast["author"].account, cast["facilitator"].account, **kwargs)


def reply_item(story_id, body="Thank you, this reminded me of my grandmother.", reply_id=None, op="upsert"):
    item = {"type": "reply", "op": op, "id": str(reply_id or uuid.uuid4())}
    if op == "upsert":
        item["data"] = {"story": str(story_id), "body": body}
    return item


def reaction_item(story_id, kind="thanks", reaction_id=None, op="upsert"):
    item = {"type": "reaction", "op": op, "id": str(reaction_id or uuid.uuid4())}
    if op == "upsert":
        item["data"] = {"story": str(story_id), "kind": kind}
    return item


def push(client, member, *items):
    response = client.post(PUSH, json={"items": list(items)}, headers=member.headers if member else {})
    return response


def pushed(client, member, *items) -> list[dict]:
    response = push(client, member, *items)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def pull(client, member=None, cursor=None, kinds="reply,reaction"):
    items = []
    while True:
        params = {"limit": 500, "kinds": kinds, **({"cursor": cursor} if cursor else {})}
        response = client.get(PULL, query_string=params, headers=member.headers if member else {})
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        items += page["items"]
        cursor = page["cursor"]
        if not page["more"]:
            return {item["id"]: item for item in items}, cursor


def stored_reply(sync_id):
    from kultialogo.replies.models import Reply
    db.session.rollback()
    return db.session.scalar(db.select(Reply).where(Reply.sync_id == sync_id))
