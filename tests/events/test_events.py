"""Events and attendance: who may create and edit them, the head-count checks, and stories
told at an event (write form, sync push, story page), on both databases."""
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from kultialogo.audit import AuditEvent
from kultialogo.errors import Problem
from kultialogo.events import service
from kultialogo.events.models import Event, EventAttendee, EventTally
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.people.helpers import Fresh

DAY = date(2026, 10, 3)


@pytest.fixture
def world(app):
    f.community("siena")
    f.community("belgrade")
    return {
        "giulia": f.account("giulia", community_slug="siena", role="facilitator"),
        "amina": f.account("amina", community_slug="siena"),
        "yusuf": f.account("yusuf", community_slug="siena"),
        "milica": f.account("milica", community_slug="belgrade", role="facilitator"),
        "oksana": f.account("oksana", community_slug="belgrade"),
        "admin": f.account("admin", is_admin=True),
    }


def _event(actor, slug="siena", title="Serata di racconti", **overrides) -> Event:
    details = service.clean_details(overrides.get("kind", "storytelling"), title, overrides.get("starts_on", DAY),
                                    overrides.get("ends_on"), overrides.get("place", "Biblioteca"))
    return service.create_event(actor, f.community(slug), details)


def _fresh_event(event_id) -> Event:
    db.session.rollback()  # see what the requests committed
    return db.session.get(Event, event_id)


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- Who may create and edit events ---------------------------------------------------------------

NEW_EVENT = {"kind": "assembly", "title": "Assemblea di quartiere", "starts_on": "2026-10-03", "ends_on": "",
             "place": "Centro Due Ponti"}


@pytest.mark.parametrize("who, status", [
    ("giulia", 302),   # facilitator of the community
    ("admin", 302),    # site admin
    ("amina", 403),    # a participant of the community: sees its events, cannot add one
    ("milica", 404),   # another community's facilitator: does not even learn it exists
])
def test_creating_an_event_through_the_form_by_role(app, world, who, status):
    client = Fresh(app)
    client.sign_in(who)
    page = client.get("/communities/siena/events/new")
    assert page.status_code == (200 if status == 302 else status)
    response = client.form("/communities/siena/events/new", NEW_EVENT,
                           page="/communities/siena/events/new" if status == 302 else "/")
    assert response.status_code == status
    events = db.session.rollback() or db.session.scalars(select(Event)).all()
    if status == 302:
        assert len(events) == 1
        event = events[0]
        assert response.headers["Location"] == f"/events/{event.id}"
        assert (event.kind, event.title, event.starts_on, event.place) == (
            "assembly", "Assemblea di quartiere", date(2026, 10, 3), "Centro Due Ponti")
        assert event.community.slug == "siena" and event.ends_on is None
        action = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "event.create"))
        assert action.detail["event"] == event.id and action.actor_id == world[who].id
    else:
        assert events == []


def test_anonymous_people_are_sent_to_sign_in(app, world):
    event = _event(world["giulia"])
    client = Fresh(app)
    for path in ("/events", "/communities/siena/events", f"/events/{event.id}", f"/events/{event.id}/edit",
                 f"/events/{event.id}/attendance", "/communities/siena/events/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/signin" in response.headers["Location"], path


@pytest.mark.parametrize("who, status", [("giulia", 302), ("admin", 302), ("amina", 403), ("milica", 404),
                                         ("oksana", 404)])
def test_editing_an_event_by_role(app, world, who, status):
    event = _event(world["giulia"])
    client = Fresh(app)
    client.sign_in(who)
    assert client.get(f"/events/{event.id}/edit").status_code == (200 if status == 302 else status)
    changed = {**NEW_EVENT, "kind": "camp", "title": "Campo estivo", "ends_on": "2026-10-07"}
    response = client.form(f"/events/{event.id}/edit", changed, page="/")
    assert response.status_code == status
    stored = _fresh_event(event.id)
    if status == 302:
        assert (stored.kind, stored.title, stored.ends_on) == ("camp", "Campo estivo", date(2026, 10, 7))
    else:
        assert (stored.kind, stored.title) == ("storytelling", "Serata di racconti")


def test_the_service_refuses_the_same_people_as_the_pages(app, world):
    event = _event(world["giulia"])
    details = service.clean_details("assembly", "X", DAY)
    for who in ("amina", "milica", "oksana"):
        with pytest.raises(Problem) as refused:
            service.create_event(world[who], f.community("siena"), details)
        assert refused.value.status == 403
        with pytest.raises(Problem):
            service.update_event(world[who], event, details)
        with pytest.raises(Problem):
            service.record_attendance(world[who], event, service.Attendance(head_count=3))
        with pytest.raises(Problem):
            service.delete_event(world[who], event)
    assert _fresh_event(event.id).title == "Serata di racconti"


def test_members_see_their_communitys_events_but_not_who_came(app, world):
    event = _event(world["giulia"])
    service.record_attendance(world["giulia"], event, service.Attendance(
        head_count=12, attendees={world["yusuf"].id: {"gender": "man"}}))
    client = Fresh(app)
    client.sign_in("amina")
    listing = client.get("/communities/siena/events").get_data(as_text=True)
    assert "Serata di racconti" in listing and "12 people came" in listing
    assert "New event" not in listing
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "12 people came." in page
    assert "yusuf" not in page and "Members who came" not in page and "Record who came" not in page
    assert client.get(f"/events/{event.id}/attendance").status_code == 403
    other = Fresh(app)
    other.sign_in("oksana")
    assert other.get(f"/events/{event.id}").status_code == 404
    assert other.get("/communities/siena/events").status_code == 404
    facilitator = Fresh(app)
    facilitator.sign_in("giulia")
    page = facilitator.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<bdi>yusuf</bdi>" in page and "Record who came" in page


def test_event_details_are_checked(app, world):
    with pytest.raises(Problem) as bad:
        service.clean_details("party", "A", DAY)
    assert bad.value.code == "bad_event_kind"
    with pytest.raises(Problem) as bad:
        service.clean_details("camp", "Camp", DAY, date(2026, 10, 1))
    assert bad.value.code == "bad_event_dates" and bad.value.field == "ends_on"
    with pytest.raises(Problem) as bad:
        service.clean_details("camp", "Camp", DAY, place="45.4312, 11.8765")
    assert bad.value.code == "place_coordinates"
    with pytest.raises(Problem) as bad:
        service.clean_details("camp", "   ", DAY)
    assert bad.value.code == "empty"
    with pytest.raises(Problem) as bad:
        service.clean_details("camp", "Camp", date(1066, 10, 14))
    assert bad.value.code == "bad_event_date"
    same_day = service.clean_details("camp", "Camp", DAY, DAY)
    assert same_day.ends_on is None


def test_the_form_shows_what_is_wrong_and_keeps_what_was_typed(app, world):
    client = Fresh(app)
    client.sign_in("giulia")
    response = client.form("/communities/siena/events/new",
                           {**NEW_EVENT, "title": "Campo", "ends_on": "2026-09-01", "place": "geo:43.3,11.3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The last day cannot be before the first day." in html
    assert 'value="Campo"' in html
    assert _count(Event) == 0


# --- Attendance: never more than the head count ------------------------------------------------------

def _attendance(head, attendees=None, **tallies):
    grouped = {}
    for key, n in tallies.items():
        dimension, value = key.split("_", 1)
        grouped.setdefault(dimension, {})[value] = n
    return service.Attendance(head_count=head, attendees=attendees or {}, tallies=grouped)


def test_attendance_totals_never_exceed_the_head_count(app, world):
    event = _event(world["giulia"])
    giulia, amina, yusuf = world["giulia"], world["amina"], world["yusuf"]
    cases = [
        (_attendance(1, {amina.id: {}, yusuf.id: {}}), "linked_over_head_count", "head_count"),
        (_attendance(10, gender_woman=6, gender_man=5), "attendance_over_head_count", "gender_woman"),
        # Linked people's answers count too: 9 anonymous + 2 linked women is 11 > 10.
        (_attendance(10, {amina.id: {"gender": "woman"}, yusuf.id: {"gender": "man"}}, gender_woman=9),
         "attendance_over_head_count", "gender_woman"),
        (_attendance(5, age_under_18=3, age_over_65=3), "attendance_over_head_count", "age_under_18"),
        (_attendance(5, origin_newcomer=4, origin_local=2), "attendance_over_head_count", "origin_newcomer"),
        (_attendance(-1), "bad_count", "head_count"),
        (_attendance(5, gender_woman=-2), "bad_count", "gender_woman"),
        (_attendance(5, {world["oksana"].id: {}}), "unknown_attendee", "attendees"),
        (_attendance(5, {amina.id: {"gender": "female"}}), "bad_answer", f"gender-{amina.id}"),
        (_attendance(5, religion_none=1), "unknown_field", "religion"),
    ]
    for attendance, code, field in cases:
        with pytest.raises(Problem) as refused:
            service.record_attendance(giulia, event, attendance)
        assert (refused.value.code, refused.value.field) == (code, field), attendance
    assert _fresh_event(event.id).head_count is None
    assert _count(EventAttendee) == 0 and _count(EventTally) == 0
    with pytest.raises(Problem) as refused:
        service.record_attendance(giulia, event, _attendance(10, gender_woman=6, gender_man=5))
    with app.test_request_context():
        message = refused.value.message
    assert message == ("The counts by gender add up to 11, more than the 10 people counted. "
                       "Raise the head count or lower these numbers.")


def test_attendance_is_stored_and_replaced(app, world):
    event = _event(world["giulia"])
    amina, yusuf = world["amina"], world["yusuf"]
    service.record_attendance(world["giulia"], event, _attendance(
        20, {amina.id: {"gender": "woman", "age": "26_40", "origin": "newcomer"}, yusuf.id: {"gender": "man"}},
        gender_woman=8, gender_man=6, gender_other=1, age_under_18=5, origin_local=9))
    stored = _fresh_event(event.id)
    assert stored.head_count == 20
    assert service.breakdown(stored) == {
        "gender": {"woman": 9, "man": 7, "other": 1, "not_given": 3},
        "age": {"under_18": 5, "18_25": 0, "26_40": 1, "41_65": 0, "over_65": 0, "not_given": 14},
        "origin": {"newcomer": 1, "local": 9, "not_given": 10},
    }
    # Recorded again: yusuf no longer linked, counts replaced, not added.
    service.record_attendance(world["giulia"], stored, _attendance(15, {amina.id: {"gender": "woman"}}, gender_man=4))
    stored = _fresh_event(event.id)
    assert [a.account_id for a in stored.attendees] == [amina.id]
    assert stored.attendees[0].age is None  # not given this time
    assert service.breakdown(stored)["gender"] == {"woman": 1, "man": 4, "other": 0, "not_given": 10}
    assert [(t.dimension, t.value, t.count) for t in stored.tallies] == [("gender", "man", 4)]
    assert [e.detail["head_count"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "event.attendance").order_by(AuditEvent.id))] == [20, 15]


def test_the_attendance_form_without_javascript(app, world):
    event = _event(world["giulia"])
    amina, yusuf = world["amina"], world["yusuf"]
    client = Fresh(app)
    client.sign_in("giulia")
    page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert f'name="present-{amina.id}"' in page and f'name="gender-{yusuf.id}"' in page
    assert "oksana" not in page  # only members of the event's community can be ticked
    too_many = client.form(f"/events/{event.id}/attendance", {
        "head_count": "3", f"present-{amina.id}": "1", f"gender-{amina.id}": "woman",
        "gender_woman": "2", "gender_man": "1"})
    html = too_many.get_data(as_text=True)
    assert too_many.status_code == 400
    assert "The counts by gender add up to 4, more than the 3 people counted." in html
    assert 'aria-invalid="true"' in html
    assert f'name="present-{amina.id}" value="1" checked' in html  # what was ticked stays ticked
    assert _fresh_event(event.id).head_count is None
    saved = client.form(f"/events/{event.id}/attendance", {
        "head_count": "3", f"present-{amina.id}": "1", f"gender-{amina.id}": "woman", f"age-{amina.id}": "",
        f"gender-{yusuf.id}": "man",  # not ticked: not linked, the answer is ignored
        "gender_man": "1"})
    assert saved.status_code == 302
    stored = _fresh_event(event.id)
    assert stored.head_count == 3
    assert [(a.account_id, a.gender, a.age) for a in stored.attendees] == [(amina.id, "woman", None)]
    assert service.breakdown(stored)["gender"] == {"woman": 1, "man": 1, "other": 0, "not_given": 1}
    shown = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "3 people came." in shown and "<bdi>amina</bdi>" in shown


def test_deleting_an_account_keeps_the_events_numbers(app, world):
    from kultialogo.privacy import service as privacy
    event = _event(world["giulia"])
    oksana_like = world["yusuf"]
    service.record_attendance(world["giulia"], event, _attendance(4, {oksana_like.id: {"gender": "man", "age": "18_25"}}))
    privacy.delete_account(oksana_like, oksana_like, "delete")
    stored = _fresh_event(event.id)
    assert [(a.account_id, a.gender, a.age) for a in stored.attendees] == [(None, "man", "18_25")]
    assert service.breakdown(stored)["gender"]["man"] == 1


def test_deleting_an_event_keeps_its_stories(app, world):
    event = _event(world["giulia"])
    story_id = _story_at(world["amina"], event.id)
    client = Fresh(app)
    client.sign_in("giulia")
    unconfirmed = client.form(f"/events/{event.id}/delete", {}, page=f"/events/{event.id}/edit")
    assert unconfirmed.status_code == 302 and _fresh_event(event.id) is not None
    confirmed = client.form(f"/events/{event.id}/delete", {"confirm": "y"}, page=f"/events/{event.id}/edit")
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/communities/siena/events"
    assert _fresh_event(event.id) is None
    story = db.session.get(Story, story_id)
    assert story is not None and story.event_id is None and story.title == "Told at the library"


# --- Stories told at an event -----------------------------------------------------------------------

def _story_at(author, event_id, community="siena"):
    from kultialogo.stories import service as stories
    from kultialogo.stories.schema import validate_content
    story_id = uuid.uuid4()
    content = validate_content({"title": "Told at the library", "body": "We listened.", "language": "it",
                                "community": community, "visibility": "public", "event": event_id})
    outcome = stories.write_one(author, story_id, content)
    assert outcome.result == stories.CREATED, outcome
    return story_id


def test_the_write_form_offers_the_events_and_stores_the_choice(app, world):
    older = _event(world["giulia"], title="Older evening", starts_on=date(2026, 9, 1))
    newer = _event(world["giulia"], title="Newer evening", starts_on=date(2026, 10, 20))
    belgrade = _event(world["milica"], slug="belgrade", title="Čaj i kafa")
    client = Fresh(app)
    client.sign_in("amina")
    page = client.get("/write").get_data(as_text=True)
    assert page.index("Newer evening") < page.index("Older evening")  # recent first
    assert "Čaj i kafa" not in page  # not a community amina writes in
    base = {"title": "La biblioteca", "body": "Una sera insieme.", "language": "it", "community": "siena",
            "visibility": "community", "author_display": "pseudonym"}
    story_id = str(uuid.uuid4())
    refused = client.form("/write", {**base, "id": story_id, "event": str(belgrade.id)}, page="/write")
    assert refused.status_code == 400
    assert "There is no such event in this story&#39;s community." in refused.get_data(as_text=True)
    assert _count(Story) == 0
    stored = client.form("/write", {**base, "id": story_id, "event": str(older.id)}, page="/write")
    assert stored.status_code == 302
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story_id)).event_id == older.id
    assert newer.id != older.id
    shown = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Told at" in shown and f'href="/events/{older.id}"' in shown and "Older evening" in shown
    # Someone who is not a member sees the story (it is community-only: admin) without the event link
    # only if they may not see the community's events; anonymous people never see it.
    outsider = Fresh(app)
    public_id = _story_at(world["amina"], older.id)
    db.session.rollback()
    from kultialogo.moderation import service as moderation
    moderation.moderate(world["giulia"], public_id, "publish")
    page = outsider.get(f"/stories/{public_id}").get_data(as_text=True)
    assert "Told at the library" in page and "Told at" not in page.replace("Told at the library", "")


def test_the_sync_push_takes_an_event_and_refuses_an_unknown_one(app, world):
    event = _event(world["giulia"])
    belgrade = _event(world["milica"], slug="belgrade", title="Čaj i kafa")
    client = app.test_client()
    headers = f.bearer(f.token(client, "amina"))
    items = [f.item(community="siena", event=event.id), f.item(community="siena", event=belgrade.id),
             f.item(community="siena", event=987654), f.item(community="siena", event="3"),
             f.item(community="siena", event=True), f.item(community="siena")]
    results = client.post("/api/v1/sync/push", json={"items": items}, headers=headers).get_json()["results"]
    assert [r["result"] for r in results] == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    assert [(r["error"] or {}).get("code") for r in results] == [None, "unknown_event", "unknown_event", "bad_type",
                                                                  "bad_type", None]
    assert results[1]["error"]["field"] == "event"
    assert results[0]["story"]["event"] == event.id and results[5]["story"]["event"] is None
    # The event is part of the content: the same story again is unchanged, another event an update.
    again = client.post("/api/v1/sync/push", json={"items": [items[0]]}, headers=headers).get_json()["results"]
    assert again[0]["result"] == "unchanged"
    other = _event(world["giulia"], title="Another evening")
    moved = dict(items[0], base_etag=results[0]["story"]["etag"], data={**items[0]["data"], "event": other.id})
    changed = client.post("/api/v1/sync/push", json={"items": [moved]}, headers=headers).get_json()["results"]
    assert changed[0]["result"] == "updated" and changed[0]["story"]["event"] == other.id
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(items[0]["id"])).event_id == other.id


def test_etags_of_stories_without_an_event_do_not_change(app, world):
    from kultialogo.stories.schema import validate_content
    from kultialogo.stories.service import content_etag
    data = f.story_data()
    without = validate_content(data).as_dict()
    assert "event" not in without
    assert content_etag(without) == content_etag(validate_content({**data, "event": None}).as_dict())


def test_a_persons_data_download_holds_the_events_they_were_counted_at(app, world):
    import io
    import json
    import zipfile
    event = _event(world["giulia"], title="Радионица прича")
    other = _event(world["giulia"], title="Not amina's")
    service.record_attendance(world["giulia"], event, _attendance(5, {world["amina"].id: {"gender": "woman", "age": "26_40"}}))
    service.record_attendance(world["giulia"], other, _attendance(5, {world["yusuf"].id: {"gender": "man"}}))
    client = Fresh(app)
    client.sign_in("amina")
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/data.zip").get_data()))
    attended = json.loads(archive.read("events.json"))
    assert attended == [{"event": event.id, "kind": "storytelling", "title": "Радионица прича",
                         "starts_on": "2026-10-03", "ends_on": None, "community": "siena",
                         "gender": "woman", "age": "26_40", "origin": "not_given"}]
