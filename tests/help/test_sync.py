"""help_request and help_message as record kinds: idempotent pushes, checks with codes, and a
pull that reaches only the asker and the community's mediators and coaches."""
import uuid

from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.help.models import HelpMessage, HelpRequest

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
KINDS = "story,translation,report,help_request,help_message"


def push(client, person, *items):
    response = client.post(PUSH, json={"items": list(items)}, headers=person.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def request_item(record_id=None, **data):
    return {"type": "help_request", "op": "upsert", "id": str(record_id or uuid.uuid4()),
            "data": {"community": "siena", "topic": "education_school", "language": "ar",
                     "body": "أحتاج مساعدة في تسجيل ابني في المدرسة", **data}}


def message_item(request_id, body="Come on Monday", record_id=None):
    return {"type": "help_message", "op": "upsert", "id": str(record_id or uuid.uuid4()),
            "data": {"request": str(request_id), "body": body}}


def pulled(client, person) -> dict:
    headers = person.headers if person.account is not None else {}
    page = client.get(PULL, query_string={"kinds": KINDS, "limit": 500}, headers=headers).get_json()
    return {item["id"]: item for item in page["items"] if item["type"].startswith("help_")}


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_pushed_twice_is_stored_once(client, people):
    item = request_item()
    first, second = push(client, people["asker"], item, item)
    assert first["result"] == "created" and second["result"] == "unchanged"
    assert first["record"]["state"] == "open" and first["record"]["asker"] == "amina"
    assert push(client, people["asker"], item)[0]["result"] == "unchanged"  # a replay after a cut
    changed = {**item, "data": {**item["data"], "body": "other words"}}
    assert push(client, people["asker"], changed)[0]["result"] == "conflict"
    assert count(HelpRequest) == 1


def test_a_message_pushed_twice_is_stored_once_and_the_helpers_first_claims(client, people):
    request_id = uuid.uuid4()
    push(client, people["asker"], request_item(request_id))
    item = message_item(request_id)
    results = push(client, people["mediator"], item, item)
    assert [r["result"] for r in results] == ["created", "unchanged"]
    assert count(HelpMessage) == 1
    db.session.rollback()
    request = db.session.scalar(select(HelpRequest))
    assert request.state == "claimed" and request.claimed_by_id == people["mediator"].id
    assert request.first_answer_at is not None
    # Claimed by the mediator: the coach's message is refused; the asker's goes through.
    refused = push(client, people["coach"], message_item(request_id, "me too"))[0]
    assert refused["result"] == "rejected" and refused["error"]["code"] == "forbidden"
    assert push(client, people["asker"], message_item(request_id, "Thank you"))[0]["result"] == "created"


def test_only_the_asker_and_the_communitys_helpers_pull_requests_and_messages(client, people):
    request_id = uuid.uuid4()
    push(client, people["asker"], request_item(request_id))
    message = message_item(request_id)
    push(client, people["mediator"], message)
    for name in ("asker", "mediator", "coach"):
        seen = pulled(client, people[name])
        assert str(request_id) in seen and message["id"] in seen, name
    for name in ("facilitator", "other_mediator", "outsider", "admin", "neighbour", "anonymous"):
        assert pulled(client, people[name]) == {}, name


def test_nobody_else_can_write_in_a_request_nor_learn_it_exists(client, people):
    request_id = uuid.uuid4()
    push(client, people["asker"], request_item(request_id))
    for name in ("facilitator", "other_mediator", "outsider", "admin", "neighbour"):
        result = push(client, people[name], message_item(request_id))[0]
        assert result["result"] == "rejected" and result["error"]["code"] == "not_found", name
        assert "record" not in result or result["record"] is None
        # The same id pushed as one's own request is refused, never showing the asker's.
        taken = push(client, people[name], request_item(request_id, community="belgrade"))[0]
        assert taken["result"] == "rejected" and not taken.get("record"), name
    assert count(HelpMessage) == 0


def test_pushed_requests_are_checked_with_codes(client, people):
    asker = people["asker"]
    cases = [(request_item(topic="lottery"), "bad_help_topic"),
             (request_item(body="x" * 4001), "too_long"),
             (request_item(body="   "), "empty"),
             (request_item(language="xx-nonsense-tag"), "bad_language"),
             (request_item(community="nowhere"), "unknown_community"),
             (request_item(community="belgrade"), "not_member"),
             (request_item(secret="x"), "unknown_field"),
             (request_item(consent={"kind": "verbal"}), "bad_consent")]
    results = push(client, asker, *(item for item, _code in cases))
    assert [r["error"]["code"] for r in results] == [code for _item, code in cases]
    assert count(HelpRequest) == 0


def test_a_facilitator_pushes_a_request_for_a_member_with_consent(client, people):
    item = request_item(on_behalf_of=str(people["asker"].account.uid), consent={"kind": "verbal"})
    result = push(client, people["facilitator"], item)[0]
    assert result["result"] == "created"
    assert not result.get("record")  # a plain facilitator does not see it afterwards
    db.session.rollback()
    request = db.session.scalar(select(HelpRequest))
    assert (request.asker_id, request.recorded_by_id, request.consent_kind) == (
        people["asker"].id, people["facilitator"].id, "verbal")
    assert str(request.sync_id) in pulled(client, people["asker"])
    # Without consent, or for someone outside their communities: refused.
    no_consent = push(client, people["facilitator"], request_item(on_behalf_of=str(people["asker"].account.uid)))[0]
    assert no_consent["error"]["code"] == "bad_consent"
    outside = push(client, people["facilitator"], request_item(on_behalf_of=str(people["outsider"].account.uid),
                                                              consent={"kind": "verbal"}))[0]
    assert outside["error"]["code"] == "forbidden"
    assert count(HelpRequest) == 1


def test_help_requests_are_never_in_the_story_feed(client, people):
    push(client, people["asker"], request_item(body="Private words"))
    for name in ("asker", "mediator", "neighbour"):
        feed = people[name].client.get("/").get_data(as_text=True)
        assert "Private words" not in feed
