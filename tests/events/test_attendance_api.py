"""Attendance and stories told at an event through POST /api/v1/sync/push and
GET /api/v1/sync/pull?kinds=attendance,attendance_story, on SQLite and PostgreSQL."""
import uuid
from datetime import date

from sqlalchemy import select

from kultialogo.events import service
from kultialogo.events.models import Event, EventStory
from kultialogo.extensions import db
from kultialogo.sync.service import PROTOCOL_VERSION
from tests import factories as f
from tests.api.conftest import PULL, client, people, push  # noqa: F401  (client, people: fixtures)
from tests.people.helpers import make_story

KINDS = "attendance,attendance_story"


def _event(person, title="Serata di racconti") -> Event:
    return service.create_event(person.account, f.community("siena"),
                                service.clean_details("storytelling", title, date(2026, 10, 3)))


def pull(client, person, kinds=KINDS, cursor=None, limit=500) -> tuple[list, str]:
    """Every item after the cursor, following it to the end; and the last cursor."""
    items = []
    while True:
        params = {"limit": limit, "kinds": kinds}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(PULL, query_string=params, headers=person.headers if person else {})
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        assert page["protocol"] == PROTOCOL_VERSION
        items.extend(page["items"])
        cursor = page["cursor"]
        if not page["more"]:
            return items, cursor


def attendance(event, base_etag=None, head=8, **extra) -> dict:
    return {"type": "attendance", "id": str(event.attendance_id), "base_etag": base_etag,
            "data": {"event": event.id, "head_count": head, "attendees": [], "tallies": {"age": {"18_25": 3}},
                     **extra}}


def line(event, story, op="upsert") -> dict:
    item = {"type": "attendance_story", "op": op, "id": str(service.told_line_id(event.id, story.id))}
    if op == "upsert":
        item["data"] = {"event": event.id, "story": str(story.id)}
    return item


def test_a_facilitators_offline_batch_arrives_once(client, people):
    facilitator, participant = people["facilitator_a"], people["participant_a"]
    event = _event(facilitator)
    told = [make_story(participant.account, community="siena") for _ in range(2)]
    story_id = str(uuid.uuid4())
    batch = [attendance(event, attendees=[{"account": participant.id, "gender": "woman", "age": None, "origin": None}]),
             line(event, told[0]), line(event, told[1]),
             f.item(story_id, community="siena", title="Told by the facilitator")]  # kinds mixed in one push
    first = push(client, facilitator, *batch)
    assert [(r["type"], r["result"]) for r in first] == [("attendance", "updated"), ("attendance_story", "created"),
                                                         ("attendance_story", "created"), ("story", "created")]
    assert first[0]["record"]["attendees"] == [{"account": participant.id, "gender": "woman", "age": None,
                                                "origin": None}]
    assert first[1]["record"] == {"type": "attendance_story", "id": batch[1]["id"], "event": event.id,
                                  "story": str(told[0].id), "revision": first[1]["record"]["revision"],
                                  "created_at": first[1]["record"]["created_at"]}
    # The phone lost the answer and sends everything again, twice: nothing new.
    for _ in range(2):
        again = push(client, facilitator, *batch)
        assert [r["result"] for r in again] == ["unchanged"] * 4
        assert again[0]["record"] == first[0]["record"]
    db.session.rollback()
    assert len(db.session.scalars(select(EventStory)).all()) == 2

    items, _cursor = pull(client, facilitator)
    assert [(i["type"], i["id"]) for i in items] == [("attendance", str(event.attendance_id)),
                                                     ("attendance_story", batch[1]["id"]),
                                                     ("attendance_story", batch[2]["id"])]
    assert items[0] == first[0]["record"]
    revisions = [i["revision"] for i in items]
    assert revisions == sorted(revisions)
    # One cursor across kinds, a page at a time.
    paged, _ = pull(client, facilitator, kinds="story,attendance,attendance_story", limit=1)
    assert [(i["type"], i["id"]) for i in paged if i["type"] != "story"] == [(i["type"], i["id"]) for i in items]
    assert story_id in {i["id"] for i in paged}
    assert pull(client, people["admin"])[0] == items


def test_participants_and_other_communities_neither_push_nor_pull_them(client, people):
    facilitator, participant = people["facilitator_a"], people["participant_a"]
    event = _event(facilitator)
    story = make_story(participant.account, community="siena")
    push(client, facilitator, line(event, story))
    own_story = str(uuid.uuid4())
    results = push(client, participant, attendance(event), line(event, story, op="delete"),
                   f.item(own_story, community="siena"))
    assert [(r["result"], (r["error"] or {}).get("code")) for r in results] == [
        ("rejected", "forbidden"), ("rejected", "forbidden"), ("created", None)]  # the rest still applied
    assert results[0]["record"] is None and results[0]["type"] == "attendance"
    other = push(client, people["facilitator_b"], attendance(event), line(event, story, op="delete"))
    assert [(r["result"], r["error"]["code"]) for r in other] == [("rejected", "not_found"), ("rejected", "not_found")]
    db.session.rollback()
    assert db.session.get(Event, event.id).head_count is None
    assert len(db.session.scalars(select(EventStory)).all()) == 1
    for who in ("participant_a", "participant_b", "facilitator_b"):
        assert pull(client, people[who])[0] == [], who
    assert pull(client, None)[0] == []  # nobody signed in


def test_a_stale_phone_conflicts_and_a_deleted_line_reaches_phones_as_a_tombstone(client, people):
    facilitator, admin = people["facilitator_a"], people["admin"]
    event = _event(facilitator)
    story = make_story(people["participant_a"].account, community="siena")
    items, cursor = pull(client, facilitator)
    empty = items[0]
    assert empty["head_count"] is None and empty["etag"].startswith('"')
    [saved] = push(client, facilitator, attendance(event, base_etag=empty["etag"], head=8), line(event, story))[:1]
    assert saved["result"] == "updated"
    # The admin recorded the same evening offline, on the empty record: conflict, nothing changed.
    [stale] = push(client, admin, attendance(event, base_etag=empty["etag"], head=30))
    assert stale["result"] == "conflict" and stale["error"] is None and stale["record"] == saved["record"]
    db.session.rollback()
    assert db.session.get(Event, event.id).head_count == 8
    [merged] = push(client, admin, attendance(event, base_etag=stale["record"]["etag"], head=30))
    assert merged["result"] == "updated" and merged["record"]["head_count"] == 30

    [gone] = push(client, admin, line(event, story, op="delete"))
    assert gone["result"] == "updated" and gone["record"]["deleted"] is True
    later, _ = pull(client, facilitator, cursor=cursor)
    assert [(i["type"], i.get("deleted", False)) for i in later] == [("attendance", False), ("attendance_story", True)]
    assert later[1] == {"type": "attendance_story", "id": line(event, story)["id"], "deleted": True,
                        "revision": later[1]["revision"]}
    assert later[0]["head_count"] == 30


def test_bad_items_of_these_kinds_are_refused_alone(client, people):
    facilitator = people["facilitator_a"]
    event = _event(facilitator)
    story = make_story(people["participant_a"].account, community="siena")
    wrong = dict(line(event, story), id=str(uuid.uuid4()))
    results = push(client, facilitator, attendance(event, head=2, tallies={"gender": {"woman": 5}}),
                   {**line(event, story), "op": "withdraw"}, wrong, {**attendance(event), "op": "delete"},
                   line(event, story))
    assert [(r["result"], (r["error"] or {}).get("code")) for r in results] == [
        ("rejected", "attendance_over_head_count"), ("rejected", "bad_op"), ("rejected", "wrong_line_id"),
        ("rejected", "bad_op"), ("created", None)]


def test_a_withdrawn_story_reaches_phones_as_tombstones_of_its_told_lines(client, people):
    facilitator, author = people["facilitator_a"], people["participant_a"]
    first, second = _event(facilitator), _event(facilitator, title="Second evening")
    story_id = str(uuid.uuid4())
    [created] = push(client, author, f.item(story_id, community="siena"))
    assert created["result"] == "created"
    db.session.rollback()
    from kultialogo.stories.models import Story
    story = db.session.get(Story, uuid.UUID(story_id))
    push(client, facilitator, line(first, story), line(second, story))
    _items, cursor = pull(client, facilitator)
    [withdrawn] = push(client, author, {"type": "story", "op": "withdraw", "id": story_id})
    assert withdrawn["result"] == "updated"
    later, _ = pull(client, facilitator, kinds="story,attendance_story", cursor=cursor)
    gone = {(i["type"], i["id"]) for i in later if i.get("deleted")}
    # (The story itself was never published, so no phone but its author's holds it.)
    assert gone == {("attendance_story", line(first, story)["id"]), ("attendance_story", line(second, story)["id"])}
    db.session.rollback()
    assert db.session.scalars(select(EventStory)).all() == []
    assert pull(client, author, kinds="attendance_story")[0] == []  # the author is a participant
