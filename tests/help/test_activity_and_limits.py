"""help_for_activity (the activity list's help source) and the budget of requests and messages."""
import uuid

from kultialogo import limits
from kultialogo.extensions import db
from kultialogo.help import service

from .conftest import ask, form_post
from .test_sync import push, request_item


def test_the_activity_source_tells_the_asker_and_the_helpers_and_nobody_else(people):
    path = ask(people["asker"], body="Private words")
    db.session.rollback()
    for name in ("mediator", "coach"):
        entries = service.help_for_activity(people[name].account, 0, 50)
        assert [e["kind"] for _rev, e in entries] == ["help_new"], name
    since = max(rev for rev, _e in service.help_for_activity(people["mediator"].account, 0, 50))
    assert service.help_for_activity(people["asker"].account, 0, 50) == []  # nothing new for her yet
    form_post(people["mediator"].client, f"{path}/messages", path, {"body": "Reply", "id": str(uuid.uuid4())})
    db.session.rollback()  # see what the request committed
    mine = [e for _rev, e in service.help_for_activity(people["asker"].account, since, 50)]
    assert {e["kind"] for e in mine} == {"help_message", "help_state"}
    assert all("Private words" not in str(e) and "Reply" not in str(e) for e in mine)  # no text
    # Claimed: no longer new for the helpers; nothing at all for anyone else.
    assert service.help_for_activity(people["coach"].account, since, 50) == []
    for name in ("facilitator", "other_mediator", "outsider", "admin", "neighbour"):
        assert service.help_for_activity(people[name].account, 0, 50) == [], name
    assert service.help_for_activity(None, 0, 50) == []


def test_requests_and_messages_share_one_budget_per_person(client, people):
    per_minute = limits.HELP_WRITES_PER_MINUTE
    results = push(client, people["asker"], *(request_item() for _ in range(per_minute + 1)))
    assert [r["result"] for r in results[:per_minute]] == ["created"] * per_minute
    last = results[-1]
    assert last["result"] == "rejected" and last["error"]["code"] == "help_rate_limited"
    page = form_post(people["asker"].client, "/help", "/help", {
        "community": "siena", "topic": "work", "language": "en", "body": "One more", "id": str(uuid.uuid4())})
    assert page.status_code == 429
    # Someone else's budget is their own.
    assert push(client, people["neighbour"], request_item())[0]["result"] == "created"
