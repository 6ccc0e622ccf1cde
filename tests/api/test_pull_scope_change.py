"""A pull after the reader's access changed (joined or left a community, another role, marked
mediator): the cursor carries what the reader could see, and a cursor of another scope starts
again from the start with "reset", so records now visible arrive and the phone drops the rest."""
import base64

import pytest
from sqlalchemy import delete

from kultialogo.accounts.models import Membership
from kultialogo.extensions import db
from kultialogo.sync.service import PROTOCOL_VERSION, encode_cursor
from tests import factories as f

from .conftest import PULL, Person, direct_token, pull_all, push_one


@pytest.fixture
def siena(client, people):
    """Three community stories of siena, published (trusted), written before anyone changes."""
    f.community("siena").moderation = "trusted"
    db.session.commit()
    writer = people["participant_a"]
    ids = []
    for n in range(3):
        item = f.item(visibility="community", title=f"Siena story {n}")
        assert push_one(client, writer, item)["result"] == "created"
        ids.append(item["id"])
    return ids


def page(client, person, cursor=None, **params):
    response = client.get(PULL, query_string={"limit": 500, **({"cursor": cursor} if cursor else {}), **params},
                          headers=person.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_reader_who_joins_a_community_gets_its_older_stories_with_reset(client, people, siena):
    bojan = people["participant_b"]
    _, cursor = pull_all(client, bojan)
    assert page(client, bojan, cursor) == {"items": [], "cursor": cursor, "more": False, "protocol": PROTOCOL_VERSION}
    db.session.add(Membership(account_id=bojan.account.id, community_id=f.community("siena").id, role="participant"))
    db.session.commit()
    after = page(client, bojan, cursor)
    assert after["reset"] is True
    assert set(siena) <= {i["id"] for i in after["items"]}
    # The new cursor carries the new scope: the next pull goes on from it, without reset.
    again = page(client, bojan, after["cursor"])
    assert again["items"] == [] and "reset" not in again


def test_a_reader_who_leaves_a_community_is_told_to_drop_what_it_pulled(client, people, siena):
    carla = Person(f.account("carla", community_slug="siena"), None)
    carla.token = direct_token(carla.account)
    items, cursor = pull_all(client, carla)
    assert set(siena) <= {i["id"] for i in items}
    db.session.execute(delete(Membership).where(Membership.account_id == carla.account.id))
    db.session.commit()
    after = page(client, carla, cursor)
    assert after["reset"] is True
    assert not set(siena) & {i["id"] for i in after["items"] if not i.get("deleted")}


def test_a_facilitator_marked_mediator_starts_again(client, people, siena):
    fatima = people["facilitator_a"]
    _, cursor = pull_all(client, fatima)
    f.helps(fatima.account, "siena", mediator=True)
    assert page(client, fatima, cursor)["reset"] is True


def test_the_same_scope_goes_on_and_an_old_cursor_without_scope_is_taken_as_it_is(client, people, siena):
    amina = people["participant_a"]
    _, cursor = pull_all(client, amina)
    assert "reset" not in page(client, amina, cursor)
    revision = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()[1:].split("~")[0])
    legacy = page(client, amina, encode_cursor(revision))  # a cursor of the server before scopes
    assert legacy["items"] == [] and "reset" not in legacy
    assert legacy["cursor"] == cursor


def test_a_scope_is_per_reader_and_a_forged_one_is_refused(client, people, siena):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    _, cursor = pull_all(client, amina)
    # Another reader's cursor is not theirs: they start again (never a shortcut past records).
    assert page(client, fatima, cursor)["reset"] is True
    for forged in ("r5~", "r5~zzzzzzzzzzzz", "r5~0123456789abcdef", "r5~0123"):
        raw = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
        response = client.get(PULL, query_string={"cursor": raw}, headers=amina.headers)
        assert response.status_code == 400 and response.get_json()["code"] == "bad_cursor", forged


def test_no_304_across_a_change_of_scope(client, people, siena):
    bojan = people["participant_b"]
    _, cursor = pull_all(client, bojan)
    first = client.get(PULL, query_string={"cursor": cursor}, headers=bojan.headers)
    etag = first.headers["ETag"]
    assert client.get(PULL, query_string={"cursor": cursor},
                      headers={**bojan.headers, "If-None-Match": etag}).status_code == 304
    db.session.add(Membership(account_id=bojan.account.id, community_id=f.community("siena").id, role="participant"))
    db.session.commit()
    changed = client.get(PULL, query_string={"cursor": cursor}, headers={**bojan.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["reset"] is True
