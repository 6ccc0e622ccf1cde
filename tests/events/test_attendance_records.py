"""Event attendance and stories told at an event as record kinds (issue 14), through the
registry's Kind/Batch interface as the sync engine drives it, and through the attendance form,
on both databases."""
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from kultialogo import records
from kultialogo.database import write_transaction
from kultialogo.errors import Problem
from kultialogo.events import service
from kultialogo.events.models import Event, EventStory
from kultialogo.extensions import db
from kultialogo.records import Item, Result, Tombstone
from kultialogo.revisions import RevisionBlock, current_revision
from kultialogo.stories import service as stories
from kultialogo.stories.schema import parse_story_id
from tests import factories as f
from tests.people.helpers import Fresh, make_story

DAY = date(2026, 10, 3)


@pytest.fixture
def world(app):
    f.community("siena")
    f.community("belgrade")
    return {
        "giulia": f.account("giulia", community_slug="siena", role="facilitator"),
        "marco": f.account("marco", community_slug="siena", role="facilitator"),
        "amina": f.account("amina", community_slug="siena"),
        "yusuf": f.account("yusuf", community_slug="siena"),
        "milica": f.account("milica", community_slug="belgrade", role="facilitator"),
        "admin": f.account("admin", is_admin=True),
    }


def _event(actor, slug="siena", title="Serata di racconti") -> Event:
    details = service.clean_details("storytelling", title, DAY, None, "Biblioteca")
    return service.create_event(actor, f.community(slug), details)


def _fresh(event_id) -> Event:
    db.session.rollback()
    return db.session.get(Event, event_id)


def push(actor, kind_name, items) -> list[Result]:
    """One push of items of one kind, as the engine (sync/engine.py) runs it: parse each (a Problem
    rejects that item only), apply each in the push's one write transaction, flush, finish, commit."""
    kind = records.get(kind_name)
    results = []
    with write_transaction():
        revs = RevisionBlock(db.session)
        batch = kind.batch(actor, revs)
        for index, raw in enumerate(items):
            item = Item(index=index, type=kind_name, op=raw.get("op", "upsert"), id=uuid.UUID(raw["id"]),
                        base_etag=raw.get("base_etag"), data=raw.get("data"))
            try:
                if item.op not in kind.ops:
                    raise Problem("bad_op", field="op")
                item.parsed = kind.parse(item)
            except Problem as problem:
                results.append(Result.rejected(problem))
                continue
            results.append(batch.apply(item))  # a refusal is a rejected Result, never an exception
        batch.flush()
        batch.finish()
        revs.flush()
    db.session.rollback()
    return results


def changes(viewer, kind_name, since=0, limit=100) -> list[tuple[int, dict]]:
    db.session.rollback()
    return records.get(kind_name).changes(viewer, since, limit)


def attendance_item(event, base_etag=None, head=6, attendees=(), **tallies) -> dict:
    return {"type": "attendance", "id": str(event.attendance_id), "base_etag": base_etag,
            "data": {"event": event.id, "head_count": head, "attendees": list(attendees),
                     "tallies": tallies or {"gender": {"woman": 2}}}}


def line_item(event_id, story_id, op="upsert") -> dict:
    line_id = service.told_line_id(event_id, story_id)
    item = {"type": "attendance_story", "op": op, "id": str(line_id)}
    if op == "upsert":
        item["data"] = {"event": event_id, "story": str(story_id)}
    return item


def _state(event_id) -> tuple:
    event = _fresh(event_id)
    return (event.head_count, [(a.account_id, a.gender) for a in event.attendees],
            [(t.dimension, t.value, t.count) for t in event.tallies], event.attendance_etag, event.attendance_revision)


# --- attendance ---------------------------------------------------------------------------------

def test_a_new_event_is_an_attendance_record_its_facilitators_pull(app, world):
    event = _event(world["giulia"])
    pulled = changes(world["giulia"], "attendance")
    assert len(pulled) == 1
    revision, view = pulled[0]
    assert view == {"type": "attendance", "id": str(event.attendance_id), "event": event.id, "head_count": None,
                    "attendees": [], "tallies": {"gender": {}, "age": {}, "origin": {}},
                    "title": "Serata di racconti", "starts_on": "2026-10-03", "community": "siena",
                    "revision": revision, "etag": view["etag"]}
    assert revision > 0 and view["etag"] == f'"{_fresh(event.id).attendance_etag}"'
    assert changes(world["admin"], "attendance") == pulled
    for who in ("amina", "yusuf", "milica"):  # a participant, another community's facilitator
        assert changes(world[who], "attendance") == [], who
    assert changes(world["giulia"], "attendance", since=revision) == []


def test_attendance_is_stored_once_and_a_stale_push_conflicts(app, world):
    event = _event(world["giulia"])
    amina = world["amina"]
    first = attendance_item(event, head=6, attendees=[{"account": amina.id, "gender": "woman", "age": None,
                                                        "origin": "newcomer"}], gender={"woman": 2, "man": 1})
    [result] = push(world["giulia"], "attendance", [first])
    assert result.result == "updated" and result.problem is None  # nothing recorded yet, no base etag
    stored = _fresh(event.id)
    assert stored.head_count == 6 and [(a.account_id, a.origin) for a in stored.attendees] == [(amina.id, "newcomer")]
    assert result.record["head_count"] == 6 and result.record["etag"] == f'"{stored.attendance_etag}"'
    assert result.record["attendees"] == [{"account": amina.id, "gender": "woman", "age": None, "origin": "newcomer"}]
    assert result.record["tallies"] == {"gender": {"woman": 2, "man": 1}, "age": {}, "origin": {}}
    after_first = _state(event.id)

    # The same push again (a phone that lost the answer): unchanged, nothing moves.
    [again] = push(world["giulia"], "attendance", [first])
    assert again.result == "unchanged" and again.record == result.record
    assert _state(event.id) == after_first

    # Marco recorded the same event offline, before he had Giulia's version: conflict.
    marcos = attendance_item(event, head=9, gender={"man": 4})
    for base in (None, '"0123456789abcdef0123456789abcdef"'):
        [conflict] = push(world["marco"], "attendance", [dict(marcos, base_etag=base)])
        assert conflict.result == "conflict" and conflict.problem is None
        assert conflict.record == result.record  # the stored record, to merge with
        assert _state(event.id) == after_first

    # On the stored etag it is an update, with a new etag and a later revision.
    [updated] = push(world["marco"], "attendance", [dict(marcos, base_etag=result.record["etag"])])
    assert updated.result == "updated"
    head, attendees, tallies, etag, revision = _state(event.id)
    assert (head, attendees, tallies) == (9, [], [("gender", "man", 4)])
    assert etag != after_first[3] and revision > after_first[4]
    assert updated.record["etag"] == f'"{etag}"' and updated.record["revision"] == revision
    # A bare etag (not quoted) is the same etag.
    [bare] = push(world["giulia"], "attendance", [attendance_item(event, base_etag=etag, head=10)])
    assert bare.result == "updated"


def test_two_pushes_of_one_event_in_one_batch_answer_with_what_is_committed(app, world):
    event = _event(world["giulia"])
    one = attendance_item(event, head=5)
    two = attendance_item(event, head=7)
    results = push(world["giulia"], "attendance", [one, two])
    assert [r.result for r in results] == ["updated", "conflict"]  # the second had no base etag
    assert results[0].record == results[1].record and results[0].record["head_count"] == 5


def test_an_attendance_push_is_checked_as_the_form_is(app, world):
    event = _event(world["giulia"])
    other = _event(world["giulia"], title="Another evening")
    unknown = dict(attendance_item(event), id=str(uuid.uuid4()))
    cases = [
        (attendance_item(event, head=3, gender={"woman": 2, "man": 2}), "attendance_over_head_count"),
        (attendance_item(event, head=1, attendees=[{"account": world["amina"].id}, {"account": world["yusuf"].id}]),
         "linked_over_head_count"),
        (attendance_item(event, attendees=[{"account": world["milica"].id}]), "unknown_attendee"),
        (attendance_item(event, attendees=[{"account": world["amina"].id, "gender": "female"}]), "bad_answer"),
        (attendance_item(event, attendees=[{"account": world["amina"].id}, {"account": world["amina"].id}]),
         "bad_type"),
        (attendance_item(event, attendees=[{"account": world["amina"].id, "name": "Amina"}]), "bad_type"),
        (attendance_item(event, head="6"), "bad_count"),
        (attendance_item(event, head=None), "bad_count"),
        (attendance_item(event, religion={"none": 1}), "unknown_field"),
        (dict(attendance_item(event), data={**attendance_item(event)["data"], "event": other.id}), "wrong_event"),
        (dict(attendance_item(event), data={**attendance_item(event)["data"], "notes": "x"}), "unknown_field"),
        (dict(attendance_item(event), data={"head_count": 3}), "missing_field"),
        (unknown, "not_found"),
    ]
    before = _state(event.id)
    results = push(world["giulia"], "attendance", [item for item, _code in cases])
    assert [(r.result, r.problem.code) for r in results] == [("rejected", code) for _item, code in cases]
    assert _state(event.id) == before
    # An empty record sent back as it was pulled (server keys and all) is unchanged, not an error.
    [(_rev, view)] = [c for c in changes(world["giulia"], "attendance") if c[1]["event"] == event.id]
    [echo] = push(world["giulia"], "attendance", [{"id": view["id"], "base_etag": view["etag"], "data": view}])
    assert echo.result == "unchanged" and _state(event.id) == before


def test_participants_and_other_facilitators_cannot_push_attendance(app, world):
    event = _event(world["giulia"])
    before = _state(event.id)
    [amina] = push(world["amina"], "attendance", [attendance_item(event)])
    assert amina.result == "rejected" and (amina.problem.code, amina.problem.status) == ("forbidden", 403)
    [milica] = push(world["milica"], "attendance", [attendance_item(event)])  # does not learn it exists
    assert milica.result == "rejected" and (milica.problem.code, milica.problem.status) == ("not_found", 404)
    assert _state(event.id) == before
    [admin] = push(world["admin"], "attendance", [attendance_item(event)])
    assert admin.result == "updated"


def test_the_attendance_form_moves_the_etag_and_revision(app, world):
    event = _event(world["giulia"])
    _rev, pulled = changes(world["giulia"], "attendance")[0]
    client = Fresh(app)
    client.sign_in("giulia")
    page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert (f'data-outbox-kind="attendance" data-record-id="{event.attendance_id}" data-base-etag="" '
            f'data-event="{event.id}"') in page
    saved = client.form(f"/events/{event.id}/attendance", {"head_count": "4", "gender_woman": "3"})
    assert saved.status_code == 302
    head, _attendees, _tallies, etag, revision = _state(event.id)
    assert head == 4 and f'"{etag}"' != pulled["etag"] and revision > pulled["revision"]
    [(_r, view)] = changes(world["giulia"], "attendance", since=pulled["revision"])
    assert view["head_count"] == 4 and view["tallies"]["gender"] == {"woman": 3}
    page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert f'data-base-etag="&#34;{etag}&#34;"' in page
    # A phone still holding the empty record, pushing on its etag: conflict.
    [stale] = push(world["marco"], "attendance", [attendance_item(event, base_etag=pulled["etag"], head=2)])
    assert stale.result == "conflict" and _state(event.id)[0] == 4
    # The same content from the form again moves nothing.
    client.form(f"/events/{event.id}/attendance", {"head_count": "4", "gender_woman": "3"})
    assert _state(event.id)[3:] == (etag, revision)


def test_deleting_an_event_leaves_tombstones_of_its_records(app, world):
    event = _event(world["giulia"])
    story = make_story(world["amina"], community="siena")
    push(world["giulia"], "attendance_story", [line_item(event.id, story.id)])
    line_id = service.told_line_id(event.id, story.id)
    service.delete_event(world["giulia"], event)
    attendance = [view for _r, view in changes(world["giulia"], "attendance")]
    assert attendance == [{"type": "attendance", "id": str(event.attendance_id), "deleted": True,
                           "revision": attendance[0]["revision"]}]
    told = [view for _r, view in changes(world["giulia"], "attendance_story")]
    assert [(v["id"], v.get("deleted")) for v in told] == [(str(line_id), True)]
    assert changes(world["amina"], "attendance") == [] and changes(world["milica"], "attendance_story") == []


# --- attendance_story ---------------------------------------------------------------------------

def test_line_ids_are_the_same_everywhere_and_valid_record_ids(app):
    story_id = uuid.UUID("0b5e8c3a-52a1-4c1e-9d2f-7a6b5c4d3e2f")
    line = service.told_line_id(12, story_id)
    assert line == service.told_line_id(12, str(story_id)) and line != service.told_line_id(13, story_id)
    assert line.version == 4 and parse_story_id(str(line)) == line
    assert line.variant == uuid.RFC_4122


def test_a_told_line_is_made_once_and_deleted_with_a_tombstone(app, world):
    event = _event(world["giulia"])
    story = make_story(world["amina"], community="siena", status="pending")
    item = line_item(event.id, story.id)
    [created] = push(world["giulia"], "attendance_story", [item])
    assert created.result == "created"
    line = db.session.get(EventStory, uuid.UUID(item["id"]))
    assert (line.event_id, line.story_id, line.recorded_by_id) == (event.id, story.id, world["giulia"].id)
    assert created.record == {"type": "attendance_story", "id": item["id"], "event": event.id, "story": str(story.id),
                              "revision": line.revision, "created_at": created.record["created_at"]}
    # Marco's phone ticked the same story at the same evening: the same id, one line.
    [again] = push(world["marco"], "attendance_story", [line_item(event.id, story.id)])
    assert again.result == "unchanged" and again.record == created.record
    assert db.session.scalar(select(func.count()).select_from(EventStory)) == 1
    assert _fresh(event.id) and db.session.get(stories.Story, story.id).event_id is None  # the author's link untouched

    [(revision, view)] = changes(world["giulia"], "attendance_story")
    assert view == created.record and revision == line.revision
    [deleted] = push(world["marco"], "attendance_story", [line_item(event.id, story.id, op="delete")])
    assert deleted.result == "updated" and deleted.record["deleted"] is True
    assert db.session.get(EventStory, uuid.UUID(item["id"])) is None
    [(gone_rev, gone)] = changes(world["giulia"], "attendance_story")
    assert gone == {"type": "attendance_story", "id": item["id"], "deleted": True, "revision": gone_rev}
    assert gone_rev > revision and deleted.record == gone
    [twice] = push(world["giulia"], "attendance_story", [line_item(event.id, story.id, op="delete")])
    assert twice.result == "unchanged" and twice.record == gone
    # Ticked again: a line again, and its tombstone goes.
    [back] = push(world["giulia"], "attendance_story", [item])
    assert back.result == "created"
    assert [v.get("deleted", False) for _r, v in changes(world["giulia"], "attendance_story")] == [False]


def test_made_and_unmade_in_one_push_answers_tombstones(app, world):
    event = _event(world["giulia"])
    story = make_story(world["amina"], community="siena")
    results = push(world["giulia"], "attendance_story",
                   [line_item(event.id, story.id), line_item(event.id, story.id, op="delete")])
    assert [r.result for r in results] == ["created", "updated"]
    assert results[0].record == results[1].record and results[0].record["deleted"] is True


def test_only_stories_of_the_events_community_that_the_facilitator_sees(app, world):
    event = _event(world["giulia"])
    belgrade_story = make_story(world["milica"], community="belgrade")
    withdrawn = make_story(world["amina"], community="siena", status="withdrawn")
    good = make_story(world["amina"], community="siena")
    wrong_id = dict(line_item(event.id, good.id), id=str(service.told_line_id(event.id + 1, good.id)))
    bad_story = dict(line_item(event.id, good.id), data={"event": event.id, "story": "{%s}" % good.id})
    results = push(world["giulia"], "attendance_story", [
        line_item(event.id, belgrade_story.id), line_item(event.id, withdrawn.id),
        line_item(event.id, uuid.uuid4()), wrong_id, bad_story, line_item(987654, good.id),
        {"id": str(uuid.uuid4()), "op": "withdraw"},
        line_item(event.id, good.id)])
    assert [(r.result, r.problem and r.problem.code) for r in results] == [
        ("rejected", "unknown_story"), ("rejected", "unknown_story"), ("rejected", "unknown_story"),
        ("rejected", "wrong_line_id"), ("rejected", "bad_type"), ("rejected", "unknown_event"),
        ("rejected", "bad_op"), ("created", None)]
    assert db.session.scalar(select(func.count()).select_from(EventStory)) == 1


def test_participants_never_push_or_pull_told_lines(app, world):
    event = _event(world["giulia"])
    story = make_story(world["amina"], community="siena")
    [amina] = push(world["amina"], "attendance_story", [line_item(event.id, story.id)])
    assert (amina.result, amina.problem.code, amina.problem.status) == ("rejected", "forbidden", 403)
    [amina_delete] = push(world["amina"], "attendance_story", [line_item(event.id, story.id, op="delete")])
    assert (amina_delete.result, amina_delete.problem.code) == ("rejected", "forbidden")
    [milica] = push(world["milica"], "attendance_story", [line_item(event.id, story.id)])
    assert (milica.result, milica.problem.code) == ("rejected", "unknown_event")
    assert db.session.scalar(select(func.count()).select_from(EventStory)) == 0

    other = make_story(world["amina"], community="siena")
    push(world["giulia"], "attendance_story", [line_item(event.id, story.id), line_item(event.id, other.id)])
    # Marco deletes one; milica cannot.
    [milica_delete] = push(world["milica"], "attendance_story", [line_item(event.id, other.id, op="delete")])
    assert (milica_delete.result, milica_delete.problem.code) == ("rejected", "not_found")
    push(world["marco"], "attendance_story", [line_item(event.id, other.id, op="delete")])
    for who in ("giulia", "marco", "admin"):
        got = [(v["id"], v.get("deleted", False)) for _r, v in changes(world[who], "attendance_story")]
        assert got == [(str(service.told_line_id(event.id, story.id)), False),
                       (str(service.told_line_id(event.id, other.id)), True)], who
    for who in ("amina", "yusuf", "milica"):
        assert changes(world[who], "attendance_story") == [], who
        assert changes(world[who], "attendance") == [], who
    # Another facilitator's delete of an unknown line: unchanged, but no tombstone of siena's.
    [foreign] = push(world["milica"], "attendance_story", [line_item(event.id, other.id, op="delete")])
    assert (foreign.result, foreign.record) == ("unchanged", None)


def test_pull_pages_are_in_revision_order_across_lines_and_tombstones(app, world):
    event = _event(world["giulia"])
    made = [make_story(world["amina"], community="siena") for _ in range(4)]
    push(world["giulia"], "attendance_story", [line_item(event.id, s.id) for s in made])
    push(world["giulia"], "attendance_story", [line_item(event.id, made[0].id, op="delete")])
    push(world["giulia"], "attendance_story", [line_item(event.id, made[0].id)])  # back, a new revision
    push(world["giulia"], "attendance_story", [line_item(event.id, made[2].id, op="delete")])
    seen, since = [], 0
    while True:
        page = changes(world["giulia"], "attendance_story", since=since, limit=2)
        if not page:
            break
        assert len(page) <= 2
        seen += page
        since = page[-1][0]
    revisions = [r for r, _v in seen]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    final = {v["id"]: v.get("deleted", False) for _r, v in seen}
    assert final == {str(service.told_line_id(event.id, s.id)): s is made[2] for s in made}


def test_a_withdrawn_story_takes_its_lines_with_it(app, world):
    first, second = _event(world["giulia"]), _event(world["giulia"], title="Second evening")
    story = make_story(world["amina"], community="siena")
    kept = make_story(world["yusuf"], community="siena")
    push(world["giulia"], "attendance_story", [line_item(first.id, story.id), line_item(second.id, story.id),
                                               line_item(first.id, kept.id)])
    before = current_revision(db.session)
    with write_transaction():
        revs = RevisionBlock(db.session)
        gone = service.forget_story_lines(db.session.get(stories.Story, story.id), revs)
        revs.flush()
    assert gone == 2
    db.session.rollback()
    assert [line.story_id for line in db.session.scalars(select(EventStory))] == [kept.id]
    stones = db.session.scalars(select(Tombstone).where(Tombstone.kind == "attendance_story")).all()
    assert sorted(s.record_id for s in stones) == sorted(str(service.told_line_id(e.id, story.id)) for e in (first, second))
    assert all(s.revision > before and s.community_id == first.community_id for s in stones)
    pulled = {v["id"]: v.get("deleted", False) for _r, v in changes(world["marco"], "attendance_story", since=before)}
    assert set(pulled.values()) == {True} and len(pulled) == 2
    assert changes(world["amina"], "attendance_story") == []


# --- The attendance page without JavaScript -------------------------------------------------------

def test_the_attendance_form_saves_and_removes_stories_told(app, world):
    event = _event(world["giulia"])
    told = make_story(world["amina"], community="siena", title="ليلة الحكايات")
    waiting = make_story(world["yusuf"], community="siena", status="pending", title="In attesa")
    belgrade = make_story(world["milica"], community="belgrade", title="Beogradska priča")
    client = Fresh(app)
    client.sign_in("giulia")
    page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert "Stories told at this event" in page and "Beogradska priča" not in page
    for story in (told, waiting):
        assert (f'<input type="checkbox" name="told" value="{story.id}" '
                f'data-record-id="{service.told_line_id(event.id, story.id)}">') in page
    assert '<bdi lang="en">ليلة الحكايات</bdi>' in page
    both = {"head_count": "5", "told": [str(told.id), str(waiting.id)], "told_offered": [str(told.id), str(waiting.id)]}
    assert client.form(f"/events/{event.id}/attendance", both).status_code == 302
    db.session.rollback()
    assert {l.story_id for l in db.session.scalars(select(EventStory))} == {told.id, waiting.id}
    assert _fresh(event.id).head_count == 5
    page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert f'value="{told.id}" data-record-id="{service.told_line_id(event.id, told.id)}" checked' in page
    shown = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Stories told here" in shown and "ليلة الحكايات" in shown

    # Meanwhile a phone ticks a third story the page did not offer; the form unticks one.
    third = make_story(world["amina"], community="siena", title="Not on the page")
    push(world["marco"], "attendance_story", [line_item(event.id, third.id)])
    one = {"head_count": "5", "told": [str(told.id)], "told_offered": [str(told.id), str(waiting.id)]}
    assert client.form(f"/events/{event.id}/attendance", one).status_code == 302
    db.session.rollback()
    assert {l.story_id for l in db.session.scalars(select(EventStory))} == {told.id, third.id}
    [stone] = db.session.scalars(select(Tombstone)).all()
    assert stone.record_id == str(service.told_line_id(event.id, waiting.id))

    # A refused form saves no ticks either (one transaction), and shows what was ticked.
    refused = client.form(f"/events/{event.id}/attendance", {"head_count": "1", "gender_woman": "3",
                                                             "told": [str(waiting.id)], "told_offered": [str(waiting.id)]})
    assert refused.status_code == 400
    assert f'value="{waiting.id}" data-record-id="{service.told_line_id(event.id, waiting.id)}" checked' in \
        refused.get_data(as_text=True)
    db.session.rollback()
    assert {l.story_id for l in db.session.scalars(select(EventStory))} == {told.id, third.id}
    # Ticking a story of another community is refused, and nothing is saved.
    foreign = client.form(f"/events/{event.id}/attendance", {"head_count": "9", "told": [str(belgrade.id)],
                                                             "told_offered": [str(belgrade.id)]})
    assert foreign.status_code == 400 and _fresh(event.id).head_count == 5


def test_members_see_stories_told_that_they_may_read(app, world):
    event = _event(world["giulia"])
    public = make_story(world["amina"], community="siena", title="Everyone reads this")
    facilitators_only = make_story(world["yusuf"], community="siena", visibility="facilitators", title="For facilitators")
    push(world["giulia"], "attendance_story", [line_item(event.id, public.id), line_item(event.id, facilitators_only.id)])
    client = Fresh(app)
    client.sign_in("amina")
    shown = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Everyone reads this" in shown and "For facilitators" not in shown


# --- A person's data ----------------------------------------------------------------------------

def test_lines_a_person_recorded_are_in_their_download_and_outlive_their_account(app, world):
    import io
    import json
    import zipfile
    from kultialogo.privacy import service as privacy
    event = _event(world["giulia"])
    story = make_story(world["amina"], community="siena")
    push(world["marco"], "attendance_story", [line_item(event.id, story.id)])
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(world["marco"], world["marco"])))
    lines = json.loads(archive.read("events_stories_told.json"))
    assert lines == [{"id": str(service.told_line_id(event.id, story.id)), "event": event.id, "story": str(story.id),
                      "recorded_at": lines[0]["recorded_at"]}]
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(world["giulia"], world["giulia"])))
    assert json.loads(archive.read("events_stories_told.json")) == []
    db.session.rollback()
    privacy.delete_account(world["marco"], db.session.get(type(world["marco"]), world["marco"].id), "delete")
    db.session.rollback()
    [line] = db.session.scalars(select(EventStory)).all()
    assert line.recorded_by_id is None and line.story_id == story.id
