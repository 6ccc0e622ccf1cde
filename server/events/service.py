"""Events and attendance: plain functions the pages, the write form, the sync kinds
(events/records.py) and the tests call. One code path: the attendance form and a phone's push
both go through save_attendance() and add_told_line() / remove_told_line()."""
import uuid
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit, policy, records
from ..accounts.models import Account, Membership
from ..communities.models import Community
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories.models import STATUS_PENDING, STATUS_PUBLISHED, Story
from ..stories.schema import clean_place
from ..stories.service import content_etag
from ..timeutil import utcnow
from ..userinput import clean_text
from .models import (DIMENSIONS, EVENT_KINDS, EVENT_PLACE_MAX, EVENT_TITLE_MAX, HEAD_COUNT_MAX, NOT_GIVEN,
                     Event, EventAttendee, EventStory, EventTally)

# Dates outside these years are typing mistakes (and SQLite compares dates as text).
FIRST_YEAR, LAST_YEAR = 1990, 2100
# Events offered in the write form's "Told at event" select, per community, most recent first.
FORM_EVENTS_PER_COMMUNITY = 30
# Stories offered on the attendance page to tick as told there (the newest of the community).
STORIES_TO_TICK = 30

# The record kinds' names (events/records.py) and who may receive their tombstones.
ATTENDANCE, TOLD = "attendance", "attendance_story"
FOR_FACILITATORS = "facilitators"
# Ids of "story told at event" lines are uuid5 of (event, story) in this namespace: every phone
# and page names the same line with the same id. Never change it (lines stored keep theirs).
TOLD_LINE_NAMESPACE = uuid.UUID("5b0f3d4e-7c1a-4e2b-9a61-2f8d0c6e4a17")


@dataclass(frozen=True)
class EventDetails:
    """Validated details of an event (what the event form edits)."""
    kind: str
    title: str
    starts_on: date
    ends_on: date | None = None
    place: str = ""


@dataclass
class Told:
    """The stories ticked as told on the attendance form: ``ticked`` among those it ``offered``.
    Only an offered story that is not ticked loses its line, so a line a phone added since the
    page was opened stays."""
    ticked: set = field(default_factory=set)
    offered: set = field(default_factory=set)


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
                      created_by_id=actor.id, created_at=now, updated_at=now, attendance_id=uuid.uuid4())
        db.session.add(event)
        db.session.flush()
        revs = RevisionBlock(db.session)
        stamp_attendance(event, revs)  # phones learn of the event, and of the id to record it by
        revs.flush()
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
        revs = RevisionBlock(db.session)
        event.attendance_revision = revs.next()  # the attendance record shows the title and date
        revs.flush()
        audit.record("event.update", actor, community_id=event.community_id, event=event.id, kind=details.kind)
    return event


def delete_event(actor, event: Event) -> None:
    """Delete an event (made by mistake); stories told at it stay, without the link. Phones
    that hold its attendance record or its told lines get tombstones of them."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        event = db.session.get(Event, event.id)
        revs = RevisionBlock(db.session)
        forget_event(event, revs)
        revs.flush()
        audit.record("event.delete", actor, community_id=event.community_id, event=event.id)


def forget_event(event: Event, revs) -> None:
    """Inside a write transaction: delete an event, leaving tombstones of its attendance record
    and told lines (the event page, or central's deletion reaching a camp node)."""
    for line in db.session.scalars(select(EventStory).where(EventStory.event_id == event.id)):
        bury_line(line.id, event.community_id, revs)
    records.bury(ATTENDANCE, event.attendance_id, revs, community_id=event.community_id,
                 audience=FOR_FACILITATORS)
    db.session.delete(event)


def record_attendance(actor, event: Event, attendance: Attendance, told: Told | None = None) -> Event:
    """Replace an event's attendance with this one, after checking it (clean_attendance), and
    with ``told`` the stories told there, all in one transaction (the attendance form)."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        revs = RevisionBlock(db.session)
        event = db.session.get(Event, event.id)
        save_attendance(actor, event, attendance, revs)
        if told is not None:
            tell_stories(actor, event, told, revs)
        revs.flush()
    return event


def save_attendance(actor, event: Event, attendance: Attendance, revs) -> Event:
    """Inside a write transaction: check the attendance (policy, clean_attendance) and replace the
    event's with it; when its content changed, the record gets its new etag and a revision."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    attendance = clean_attendance(event.community, attendance)
    store_attendance(event, attendance, revs)
    audit.record("event.attendance", actor, community_id=event.community_id, event=event.id,
                 head_count=attendance.head_count, linked=len(attendance.attendees))
    return event


def store_attendance(event: Event, attendance: Attendance | None, revs) -> bool:
    """Inside a write transaction: replace the event's attendance with this checked one (None:
    not recorded); when its content changed, the record gets its new etag and a revision.
    Whether it changed. The form, a phone's push and a camp node's replica all come here."""
    before = current_etag(event)
    after = attendance_etag(attendance_content(event.id, attendance))
    linked = attendance.attendees if attendance is not None else {}
    event.head_count = attendance.head_count if attendance is not None else None
    event.updated_at = utcnow()
    kept = {a.account_id: a for a in event.attendees if a.account_id is not None}
    for account_id, row in kept.items():
        if account_id not in linked:
            event.attendees.remove(row)
    for account_id, answers in linked.items():
        row = kept.get(account_id)
        if row is None:
            row = EventAttendee(account_id=account_id)
            event.attendees.append(row)
        row.gender, row.age, row.origin = answers.get("gender"), answers.get("age"), answers.get("origin")
    event.tallies.clear()
    db.session.flush()  # the old tallies go before new ones take their (unique) place
    for dimension, counts in (attendance.tallies if attendance is not None else {}).items():
        for value, count in counts.items():
            event.tallies.append(EventTally(dimension=dimension, value=value, count=count))
    if after != before:
        event.attendance_etag, event.attendance_revision = after, revs.next()
    return after != before


# --- Attendance as a record: its content, etag and revision ------------------------------------

def attendance_content(event_id: int, attendance: Attendance | None) -> dict:
    """The attendance as the sync exchanges it (the data a phone pushes), in one canonical
    order: attendees by account, every dimension's tallies without zeros. None: not recorded."""
    if attendance is None:
        attendance = Attendance(head_count=None)
    return {
        "event": event_id,
        "head_count": attendance.head_count,
        "attendees": [{"account": account_id, **{d: (answers or {}).get(d) for d in DIMENSIONS}}
                      for account_id, answers in sorted(attendance.attendees.items())],
        "tallies": {d: {v: n for v in values if (n := (attendance.tallies.get(d) or {}).get(v))}
                    for d, values in DIMENSIONS.items()},
    }


def stored_attendance(event: Event) -> Attendance | None:
    """The event's attendance as stored (None when not recorded yet). Rows of deleted accounts
    are no one's and not listed; they still count in the numbers (breakdown)."""
    if event.head_count is None:
        return None
    attendees = {a.account_id: {"gender": a.gender, "age": a.age, "origin": a.origin}
                 for a in event.attendees if a.account_id is not None}
    tallies: dict[str, dict[str, int]] = {}
    for tally in event.tallies:
        tallies.setdefault(tally.dimension, {})[tally.value] = tally.count
    return Attendance(head_count=event.head_count, attendees=attendees, tallies=tallies)


def attendance_etag(content: dict) -> str:
    """Hash of the content: equal content, equal etag (a story's own hash, as translations use it)."""
    return content_etag(content)


def current_etag(event: Event) -> str:
    """The stored etag; computed from the rows for an event made without the service."""
    return event.attendance_etag or attendance_etag(attendance_content(event.id, stored_attendance(event)))


def quoted_etag(event: Event) -> str:
    """The etag as pages and views give it (quoted, as a story's)."""
    return f'"{current_etag(event)}"'


def stamp_attendance(event: Event, revs) -> None:
    """Give the attendance record its etag and a new revision (a new event, demo data)."""
    event.attendance_etag = attendance_etag(attendance_content(event.id, stored_attendance(event)))
    event.attendance_revision = revs.next()


# --- Stories told at an event ------------------------------------------------------------------

def told_line_id(event_id: int, story_id) -> uuid.UUID:
    """The id of the line "this story was told at this event": the same on every phone and page
    (uuid5 over a fixed namespace), marked version 4 as the contract asks of record ids."""
    raw = uuid.uuid5(TOLD_LINE_NAMESPACE, f"{int(event_id)}/{uuid.UUID(str(story_id))}").bytes
    return uuid.UUID(bytes=raw[:6] + bytes([0x40 | (raw[6] & 0x0F)]) + raw[7:])


def may_tick(actor, event: Event, story: Story | None) -> bool:
    """A story may be ticked as told at an event of its own community that the actor manages,
    if the actor may see it."""
    return (story is not None and story.community_id == event.community_id
            and policy.can_manage_events(actor, event.community_id) and policy.can_view_story(actor, story))


def add_told_line(actor, event: Event, story: Story, revs) -> EventStory:
    """Inside a write transaction: record that ``story`` was told at ``event`` (once: the line
    there already is returned). The transaction holds the revision counter's lock (revs), so
    no other writer adds the same line between the look-up and the insert."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    if not may_tick(actor, event, story):
        raise Problem("unknown_story", field="story")
    line_id = told_line_id(event.id, story.id)
    line = db.session.get(EventStory, line_id)
    if line is not None:
        return line
    line = EventStory(id=line_id, event_id=event.id, story_id=story.id, recorded_by_id=actor.id,
                      revision=revs.next(), created_at=utcnow())
    db.session.add(line)
    records.unbury(TOLD, line_id)  # ticked again after it was unticked
    db.session.flush()
    return line


def remove_told_line(actor, event: Event, line: EventStory, revs) -> int:
    """Inside a write transaction: delete a told line and leave its tombstone; its revision."""
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    revision = bury_line(line.id, event.community_id, revs)
    db.session.delete(line)
    db.session.flush()
    return revision


def bury_line(line_id, community_id, revs) -> int:
    """Leave a told line's tombstone (its row is deleted by the caller); its revision."""
    return records.bury(TOLD, line_id, revs, community_id=community_id, audience=FOR_FACILITATORS)


def tell_stories(actor, event: Event, told: Told, revs) -> None:
    """Inside a write transaction: the attendance form's ticks become lines (added or removed)."""
    lines = {line.story_id: line for line in db.session.scalars(
        select(EventStory).where(EventStory.event_id == event.id))}
    for story_id in sorted(told.ticked - set(lines), key=str):
        add_told_line(actor, event, db.session.get(Story, story_id), revs)
    for story_id in sorted((told.offered - told.ticked) & set(lines), key=str):
        remove_told_line(actor, event, lines[story_id], revs)


def forget_story_lines(story, revs) -> int:
    """A story is withdrawn: its told lines are deleted, each leaving a tombstone for the phones
    that hold it (the story-withdrawal hook calls this inside the withdrawal's transaction).
    Returns how many went."""
    rows = db.session.execute(select(EventStory, Event.community_id).join(Event, Event.id == EventStory.event_id)
                              .where(EventStory.story_id == story.id)).all()
    for line, community_id in rows:
        bury_line(line.id, community_id, revs)
        db.session.delete(line)
    if rows:
        db.session.flush()
    return len(rows)


def lines_go_with_story(actor, story, revs) -> None:
    """A stories/hooks.py withdrawal hook: the story's told lines go with its content."""
    forget_story_lines(story, revs)


def stories_to_tick(actor, event: Event) -> list[tuple[Story, uuid.UUID, bool]]:
    """The attendance page's "Stories told at this event": the community's newest stories the
    facilitator may see (published or waiting for review), and any already ticked, newest first;
    each with its line id and whether it is ticked."""
    ticked = set(db.session.scalars(select(EventStory.story_id).where(EventStory.event_id == event.id)))
    recent = db.session.scalars(
        select(Story).where(Story.community_id == event.community_id,
                            Story.status.in_((STATUS_PUBLISHED, STATUS_PENDING)))
        .order_by(Story.received_at.desc(), Story.id).limit(STORIES_TO_TICK)).all()
    shown = {story.id: story for story in recent}
    missing = ticked - set(shown)
    if missing:
        shown.update((story.id, story) for story in db.session.scalars(select(Story).where(Story.id.in_(missing))))
    stories = sorted((s for s in shown.values() if may_tick(actor, event, s)),
                     key=lambda s: (s.received_at, str(s.id)), reverse=True)
    return [(story, told_line_id(event.id, story.id), story.id in ticked) for story in stories]


def stories_told_at(viewer, event: Event, limit: int) -> list[Story]:
    """The event page's "Stories told here": stories whose author linked them to the event and
    those a facilitator ticked, that this viewer may read, newest first."""
    ticked = select(EventStory.story_id).where(EventStory.event_id == event.id)
    return list(db.session.scalars(
        select(Story).where((Story.event_id == event.id) | Story.id.in_(ticked), policy.readable_stories_clause(viewer))
        .order_by(Story.received_at.desc(), Story.id).limit(limit)))


def lines_recorded_by(person) -> list[dict]:
    """The told lines a person recorded: part of their data download (events/personal_data.py)."""
    rows = db.session.execute(select(EventStory.id, EventStory.event_id, EventStory.story_id, EventStory.created_at)
                              .where(EventStory.recorded_by_id == person.id)
                              .order_by(EventStory.created_at, EventStory.id))
    return [{"id": str(line_id), "event": event_id, "story": str(story_id), "recorded_at": created_at.isoformat()}
            for line_id, event_id, story_id, created_at in rows]


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
