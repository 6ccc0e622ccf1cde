"""Events and attendance: plain functions the pages, the write form and the tests call."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from .. import audit, policy
from ..accounts.models import Account, Membership
from ..communities.models import Community
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..stories.schema import clean_place
from ..timeutil import utcnow
from ..userinput import clean_text
from .models import (DIMENSIONS, EVENT_KINDS, EVENT_PLACE_MAX, EVENT_TITLE_MAX, HEAD_COUNT_MAX, NOT_GIVEN,
                     Event, EventAttendee, EventTally)

# Dates outside these years are typing mistakes (and SQLite compares dates as text).
FIRST_YEAR, LAST_YEAR = 1990, 2100
# Events offered in the write form's "Told at event" select, per community, most recent first.
FORM_EVENTS_PER_COMMUNITY = 30


@dataclass(frozen=True)
class EventDetails:
    """Validated details of an event (what the event form edits)."""
    kind: str
    title: str
    starts_on: date
    ends_on: date | None = None
    place: str = ""


@dataclass
class Attendance:
    """What a facilitator records: the head count, the members who came with the answers each
    agreed to give ({account_id: {"gender": "woman", ...}}; a missing answer is not given), and
    anonymous counts for the people not linked ({"gender": {"woman": 3}, ...})."""
    head_count: int
    attendees: dict[int, dict] = field(default_factory=dict)
    tallies: dict[str, dict[str, int]] = field(default_factory=dict)


# --- Finding communities and events -----------------------------------------------------------

def community_for(viewer, slug: str, *, manage: bool = False) -> Community:
    """A community whose events this viewer may see (404 for any other: never say which
    exist); with ``manage``, 403 for a member who may see its events but not change them."""
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not policy.can_view_events(viewer, community.id):
        raise Problem("not_found", status=404)
    if manage and not policy.can_manage_events(viewer, community.id):
        raise Problem("forbidden", status=403)
    return community


def communities_for(viewer) -> list[Community]:
    """The communities whose events this viewer sees: their own; every one for an admin."""
    if not policy.signed_in(viewer):
        return []
    query = select(Community).order_by(Community.slug)
    if not viewer.is_admin:
        ids = viewer.member_community_ids()
        if not ids:
            return []
        query = query.where(Community.id.in_(ids))
    return list(db.session.scalars(query))


def event_for(viewer, event_id: int, *, manage: bool = False) -> Event:
    """The event if this viewer may see it (404 otherwise); with ``manage``, 403 for a member
    who may see it but not change it."""
    event = db.session.get(Event, event_id)
    if event is None or not policy.can_view_events(viewer, event.community_id):
        raise Problem("not_found", status=404)
    if manage and not policy.can_manage_events(viewer, event.community_id):
        raise Problem("forbidden", status=403)
    return event


def events_of(community: Community, limit: int | None = None) -> list[Event]:
    """A community's events, the most recent first."""
    query = (select(Event).where(Event.community_id == community.id)
             .order_by(Event.starts_on.desc(), Event.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def events_for_stories(viewer) -> list[tuple[Community, list[Event]]]:
    """For the write form's "Told at event" select: recent events of each community the viewer
    may post in, most recent first."""
    out = []
    for community in communities_for(viewer):
        if not policy.can_post_in(viewer, community.id):
            continue
        events = events_of(community, FORM_EVENTS_PER_COMMUNITY)
        if events:
            out.append((community, events))
    return out


def event_for_story(viewer, event_id: int | None, community_id: int) -> Event | None:
    """The event a story says it was told at; unknown_event when there is no such event in the
    story's community (or the author may not see it)."""
    if event_id is None:
        return None
    event = db.session.get(Event, event_id)
    if not policy.can_link_story_to_event(viewer, event, community_id):
        raise Problem("unknown_event", field="event")
    return event


def check_story_event(actor, content, community: Community) -> None:
    """A story being written may name only an event of its own community that its author may
    see (a stories/hooks.py content check)."""
    event_for_story(actor, content.event, community.id)


def write_page_context(viewer, form) -> dict:
    """The write form's "Told at an event" choices (a stories/hooks.py write page context)."""
    return {"event_groups": events_for_stories(viewer)}


def form_content(actor, form) -> dict:
    """The event chosen in the write form (a stories/hooks.py form content)."""
    return {"event": parse_event_choice(form.event.data)}


def members_of(community: Community) -> list[Account]:
    """Who can be linked as an attendee: the community's members, by username."""
    return list(db.session.scalars(select(Account).join(Membership, Membership.account_id == Account.id)
                                   .where(Membership.community_id == community.id).order_by(Account.username)))


# --- Validation --------------------------------------------------------------------------------

def _clean_date(value, name: str) -> date:
    if not isinstance(value, date) or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Problem("bad_event_date", field=name)
    return value


def clean_details(kind, title, starts_on, ends_on=None, place="") -> EventDetails:
    """Check an event's details; raise Problem (with the field) on the first fault."""
    if kind not in EVENT_KINDS:
        raise Problem("bad_event_kind", field="kind")
    title = clean_text(title if title is not None else "", "title", EVENT_TITLE_MAX, multiline=False)
    if not title:
        raise Problem("empty", field="title")
    if starts_on is None:
        raise Problem("missing_field", field="starts_on")
    starts_on = _clean_date(starts_on, "starts_on")
    if ends_on is not None:
        ends_on = _clean_date(ends_on, "ends_on")
        if ends_on < starts_on:
            raise Problem("bad_event_dates", field="ends_on")
        if ends_on == starts_on:
            ends_on = None
    place = clean_place(place or "")
    if len(place) > EVENT_PLACE_MAX:
        raise Problem("too_long", field="place", max=EVENT_PLACE_MAX)
    return EventDetails(kind=kind, title=title, starts_on=starts_on, ends_on=ends_on, place=place)


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= HEAD_COUNT_MAX:
        raise Problem("bad_count", field=name, max=HEAD_COUNT_MAX)
    return value


def dimension_label(dimension: str):
    from flask_babel import lazy_gettext as _l
    return {"gender": _l("The counts by gender"), "age": _l("The counts by age"),
            "origin": _l("The counts of newcomers and locals")}[dimension]


def clean_attendance(community: Community, attendance: Attendance) -> Attendance:
    """Check attendance against the head count: the people linked, and for each of gender, age
    and origin the answers given (linked people's plus anonymous counts), never more than the
    people counted. Linked people must be members of the event's community."""
    head = _count(attendance.head_count, "head_count")
    if len(attendance.attendees) > head:
        raise Problem("linked_over_head_count", field="head_count", total=len(attendance.attendees), head=head)
    members = set(db.session.scalars(select(Membership.account_id).where(Membership.community_id == community.id)))
    attendees = {}
    for account_id, answers in attendance.attendees.items():
        if account_id not in members:
            raise Problem("unknown_attendee", field="attendees")
        cleaned = {}
        for dimension, values in DIMENSIONS.items():
            value = (answers or {}).get(dimension)
            if value in (None, "", NOT_GIVEN):
                continue
            if value not in values:
                raise Problem("bad_answer", field=f"{dimension}-{account_id}")
            cleaned[dimension] = value
        attendees[account_id] = cleaned
    tallies: dict[str, dict[str, int]] = {}
    for dimension in attendance.tallies:
        if dimension not in DIMENSIONS:
            raise Problem("unknown_field", field=str(dimension)[:40])
    for dimension, values in DIMENSIONS.items():
        given = attendance.tallies.get(dimension) or {}
        for value in given:
            if value not in values:
                raise Problem("unknown_field", field=f"{dimension}_{value}"[:40])
        counts = {value: _count(given.get(value) or 0, f"{dimension}_{value}") for value in values}
        tallies[dimension] = {value: n for value, n in counts.items() if n}
        linked = sum(1 for answers in attendees.values() if dimension in answers)
        total = linked + sum(counts.values())
        if total > head:
            raise Problem("attendance_over_head_count", field=f"{dimension}_{values[0]}",
                          what=dimension_label(dimension), total=total, head=head)
    return Attendance(head_count=head, attendees=attendees, tallies=tallies)


# --- Writing -----------------------------------------------------------------------------------

def create_event(actor, community: Community, details: EventDetails) -> Event:
    if not policy.can_manage_events(actor, community.id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        now = utcnow()
        event = Event(community_id=community.id, kind=details.kind, title=details.title,
                      starts_on=details.starts_on, ends_on=details.ends_on, place=details.place,
                      created_by_id=actor.id, created_at=now, updated_at=now)
        db.session.add(event)
        db.session.flush()
        audit.record("event.create", actor, community_id=community.id, event=event.id, kind=details.kind)
    return event


def update_event(actor, event: Event, details: EventDetails) -> Event:
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        event = db.session.get(Event, event.id)
        event.kind, event.title, event.place = details.kind, details.title, details.place
        event.starts_on, event.ends_on = details.starts_on, details.ends_on
        event.updated_at = utcnow()
        audit.record("event.update", actor, community_id=event.community_id, event=event.id, kind=details.kind)
    return event


def delete_event(actor, event: Event) -> None:
    """Delete an event (made by mistake); stories told at it stay, without the link."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        event = db.session.get(Event, event.id)
        audit.record("event.delete", actor, community_id=event.community_id, event=event.id)
        db.session.delete(event)


def record_attendance(actor, event: Event, attendance: Attendance) -> Event:
    """Replace an event's attendance with this one, after checking it (clean_attendance)."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    attendance = clean_attendance(event.community, attendance)
    with write_transaction():
        event = db.session.get(Event, event.id)
        event.head_count = attendance.head_count
        event.updated_at = utcnow()
        kept = {a.account_id: a for a in event.attendees if a.account_id is not None}
        for account_id, row in kept.items():
            if account_id not in attendance.attendees:
                event.attendees.remove(row)
        for account_id, answers in attendance.attendees.items():
            row = kept.get(account_id)
            if row is None:
                row = EventAttendee(account_id=account_id)
                event.attendees.append(row)
            row.gender, row.age, row.origin = answers.get("gender"), answers.get("age"), answers.get("origin")
        event.tallies.clear()
        db.session.flush()  # the old tallies go before new ones take their (unique) place
        for dimension, counts in attendance.tallies.items():
            for value, count in counts.items():
                event.tallies.append(EventTally(dimension=dimension, value=value, count=count))
        audit.record("event.attendance", actor, community_id=event.community_id, event=event.id,
                     head_count=attendance.head_count, linked=len(attendance.attendees))
    return event


# --- Reading attendance ------------------------------------------------------------------------

def breakdown(event: Event) -> dict[str, dict[str, int]]:
    """An event's counts per dimension ({"gender": {"woman": 4, ..., "not_given": 3}}), linked
    attendees' answers plus anonymous counts; "not given" is the rest of the head count."""
    head = event.head_count or 0
    out = {}
    linked_rows = db.session.execute(
        select(EventAttendee.gender, EventAttendee.age, EventAttendee.origin)
        .where(EventAttendee.event_id == event.id)).all()
    tallies = db.session.execute(select(EventTally.dimension, EventTally.value, func.sum(EventTally.count))
                                 .where(EventTally.event_id == event.id)
                                 .group_by(EventTally.dimension, EventTally.value)).all()
    for index, (dimension, values) in enumerate(DIMENSIONS.items()):
        counts = {value: 0 for value in values}
        for row in linked_rows:
            if row[index] in counts:
                counts[row[index]] += 1
        for dim, value, n in tallies:
            if dim == dimension and value in counts:
                counts[value] += int(n)
        counts[NOT_GIVEN] = max(head - sum(counts.values()), 0)
        out[dimension] = counts
    return out


def parse_event_choice(value) -> int | None:
    """The "Told at event" select's value: "" (none) or an event id."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        raise Problem("unknown_event", field="event")
    return int(value)


def told_at(viewer, story) -> Event | None:
    """The event a story was told at, for its page: only to those who may see that community's
    events (an event's place and date are the community's business, not the public's)."""
    if story.event_id is None:
        return None
    event = db.session.get(Event, story.event_id)
    if event is None or not policy.can_view_events(viewer, event.community_id):
        return None
    return event


def story_page_context(viewer, story, args) -> dict:
    """The event a story was told at, on its page (a stories/hooks.py story page context)."""
    return {"event": told_at(viewer, story)}


def attended_by(person) -> list[dict]:
    """The events a person was linked to, with the answers they gave: part of their own data
    download (events/personal_data.py)."""
    rows = db.session.execute(
        select(Event.id, Event.kind, Event.title, Event.starts_on, Event.ends_on, Community.slug,
               EventAttendee.gender, EventAttendee.age, EventAttendee.origin)
        .select_from(EventAttendee).join(Event, Event.id == EventAttendee.event_id)
        .join(Community, Community.id == Event.community_id)
        .where(EventAttendee.account_id == person.id).order_by(Event.starts_on, Event.id))
    return [{"event": event_id, "kind": kind, "title": title, "starts_on": starts_on.isoformat(),
             "ends_on": ends_on.isoformat() if ends_on else None, "community": slug,
             "gender": gender or NOT_GIVEN, "age": age or NOT_GIVEN, "origin": origin or NOT_GIVEN}
            for event_id, kind, title, starts_on, ends_on, slug, gender, age, origin in rows]
