"""A pull reads one kind, then the next: a push that commits in between must not make the cursor
skip the first kind's new rows. On PostgreSQL each statement reads its own snapshot, so the
second kind's query saw rows the first kind's had not; the page showed them, its cursor moved
past the first kind's rows of lower revisions, and the phone never got those (found by
tests/faults/test_fault_proxy.py: reactions and replies missing from a phone's pulls)."""
import threading
import uuid

from kultialogo import records
from tests import factories as f

from .conftest import PULL, PUSH, ApiClient, direct_token


def test_a_push_committed_between_two_kinds_queries_is_not_skipped_by_the_cursor(app, monkeypatch):
    app.test_client_class = ApiClient
    client = app.test_client()
    f.community("siena", moderation="trusted")
    amina = f.bearer(direct_token(f.account("amina", community_slug="siena")))
    story_id = str(uuid.uuid4())
    first = client.post(PUSH, json={"items": [f.item(story_id)]}, headers=amina)
    assert first.json["results"][0]["result"] == "created"
    kinds = "reaction,story"  # the engine asks them in this order
    start = client.get(PULL, query_string={"kinds": kinds}, headers=amina).json
    assert [i["id"] for i in start["items"]] == [story_id]

    # Something new after the cursor, so the pull asks the kinds (nothing new is answered at once).
    middle = client.post(PUSH, json={"items": [f.item()]}, headers=amina)
    assert middle.json["results"][0]["result"] == "created"

    reaction_id, later_story = str(uuid.uuid4()), str(uuid.uuid4())
    reaction = {"type": "reaction", "id": reaction_id, "data": {"story": story_id, "kind": "thanks"}}
    reaction_kind = records.get("reaction")
    real_changes = reaction_kind.changes
    injected = []

    def changes_then_others_commit(viewer, since, limit):
        found = real_changes(viewer, since, limit)
        if not injected:  # once: the reaction's revision, then a later story's, both committed now
            def push_elsewhere():
                for item in (reaction, f.item(later_story)):
                    answer = client.post(PUSH, json={"items": [item]}, headers=amina)
                    injected.append(answer.json["results"][0]["result"])
            other = threading.Thread(target=push_elsewhere)  # its own app context, session and connection
            other.start()
            other.join()
        return found

    monkeypatch.setattr(reaction_kind, "changes", changes_then_others_commit)
    page = client.get(PULL, query_string={"kinds": kinds, "cursor": start["cursor"]}, headers=amina).json
    monkeypatch.undo()
    assert injected == ["created", "created"]
    seen = {i["id"] for i in page["items"]}
    following = client.get(PULL, query_string={"kinds": kinds, "cursor": page["cursor"]}, headers=amina).json
    seen |= {i["id"] for i in following["items"]}
    assert {reaction_id, later_story} <= seen  # each came on this page or on the next, none skipped
