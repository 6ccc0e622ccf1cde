"""Attendance and told lines between a camp node and the central server (docs/sync.md, Camp
nodes). Events themselves are central's: a node gets them with its bootstrap (same ids).

attendance: the event's whole attendance, attendees named by uid (accounts are numbered apart
on each side), with an etag over that (the phones' etag hashes account ids, so it differs
between the sides). Facilitators own it: the other side's is taken when this side has not
changed it since the base both agreed on (or has recorded nothing yet); if both changed it,
central keeps its own and the conflict ``content_conflict`` is listed, and a node takes
central's. An attendance not recorded never clears a recorded one. An event deleted on central
goes from the node too (its attendance comes as deleted).

attendance_story: a line "this story was told at this event", with who ticked it and when.
Present or deleted: the other side's state is taken when this side's has not changed since the
base (or when this side never had the line); otherwise central's stands (``content_conflict``).
Lines go with their story's withdrawal on both sides.
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, records
from ..accounts.uids import account_id, accounts_by_uid, as_text, parse_uid, uids_of
from ..errors import Problem
from ..extensions import db
from ..stories.models import STATUS_WITHDRAWN, Story
from ..stories.schema import parse_time
from ..timeutil import isoformat, utcnow
from . import service
from .models import DIMENSIONS, Event, EventStory

ATTENDANCE, TOLD = service.ATTENDANCE, service.TOLD


def _whole(value, field_name: str, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem("bad_type", field=field_name)
    return value


# --- attendance ---------------------------------------------------------------------------------

@dataclass
class AttendanceReplica:
    deleted: bool
    event: int | None = None
    head_count: int | None = None
    attendees: dict = field(default_factory=dict)  # {uid: {"gender": ..., "age": ..., "origin": ...}}
    tallies: dict = field(default_factory=dict)
    base: dict = field(default_factory=dict)       # {"etag"} both sides last agreed on

    def content(self) -> dict:
        return _content(self.event, self.head_count, self.attendees, self.tallies)


def _content(event_id, head_count, attendees: dict, tallies: dict) -> dict:
    """The attendance in one canonical order, people by uid (what the replica's etag hashes)."""
    return {"event": event_id, "head_count": head_count,
            "attendees": [{"account": str(uid), **{d: (answers or {}).get(d) for d in DIMENSIONS}}
                          for uid, answers in sorted(attendees.items(), key=lambda pair: str(pair[0]))],
            "tallies": {d: {v: n for v in values if (n := (tallies.get(d) or {}).get(v))}
                        for d, values in DIMENSIONS.items()}}


def attendance_replica(event: Event, uids: dict) -> dict:
    stored = service.stored_attendance(event)
    if stored is None:
        content = _content(event.id, None, {}, {})
    else:
        content = _content(event.id, stored.head_count,
                           {uids[a]: answers for a, answers in stored.attendees.items() if a in uids},
                           stored.tallies)
    return {"type": ATTENDANCE, "id": str(event.attendance_id), **content,
            "etag": service.attendance_etag(content)}


def _attendance_replicas(events) -> list[dict]:
    uids = uids_of(a.account_id for e in events for a in e.attendees)
    return [attendance_replica(e, uids) for e in events]


def attendance_replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    events = list(db.session.scalars(
        select(Event).where(Event.attendance_revision > since, Event.community_id == peer.community_id)
        .options(selectinload(Event.attendees), selectinload(Event.tallies))
        .order_by(Event.attendance_revision).limit(limit)).unique())
    live = [(e.attendance_revision, r) for e, r in zip(events, _attendance_replicas(events))]
    return records.with_tombstones(ATTENDANCE, live, since, limit, peer.community_id)


def attendance_base_of(replica: dict) -> dict:
    return {"etag": replica.get("etag")}


def attendance_as_they_stand(ids) -> dict[str, dict]:
    ids = list(dict.fromkeys(ids))
    events = list(db.session.scalars(select(Event).where(Event.attendance_id.in_(ids)))) if ids else []
    found = {e.attendance_id: r for e, r in zip(events, _attendance_replicas(events))}
    return {str(i): found.get(i) or records.deleted_replica(ATTENDANCE, i) for i in ids}


def parse_attendance(data: dict) -> AttendanceReplica:
    base = records.replica_base(data)
    if records.is_deleted_replica(data):
        return AttendanceReplica(deleted=True, base=base)
    event_id = _whole(data.get("event"), "data.event")
    head = _whole(data.get("head_count"), "data.head_count", nullable=True)
    attendees_in, tallies = data.get("attendees") or [], data.get("tallies") or {}
    if not isinstance(attendees_in, list):
        raise Problem("bad_type", field="data.attendees")
    if not isinstance(tallies, dict) or not all(isinstance(v, dict) for v in tallies.values()):
        raise Problem("bad_type", field="data.tallies")
    attendees = {}
    for entry in attendees_in:
        if not isinstance(entry, dict) or set(entry) - {"account", *DIMENSIONS}:
            raise Problem("bad_type", field="data.attendees")
        uid = parse_uid(entry.get("account"), "data.attendees")
        answers = {d: entry.get(d) for d in DIMENSIONS}
        if uid is None or uid in attendees or not all(a is None or isinstance(a, str) for a in answers.values()):
            raise Problem("bad_type", field="data.attendees")
        attendees[uid] = answers
    if head is None and (attendees or any(tallies.values())):
        raise Problem("bad_count", field="data.head_count", max=service.HEAD_COUNT_MAX)
    return AttendanceReplica(deleted=False, event=event_id, head_count=head, attendees=attendees,
                             tallies=tallies, base=base)


def apply_attendance(peer, attendance_id: uuid.UUID, r: AttendanceReplica, revs) -> str:
    """Apply one replica inside the caller's savepoint; returns the result."""
    event = db.session.scalar(select(Event).where(Event.attendance_id == attendance_id))
    if event is not None and event.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="id")
    if r.deleted:
        if event is None or not peer.from_central:
            # Events are central's: a node's deletion of one does not travel (central's record
            # stands and the node gets it back with the next bootstrap).
            return records.UNCHANGED
        service.forget_event(event, revs)  # deleted on central: gone from the camp too
        db.session.flush()
        return records.UPDATED
    if event is None:
        raise Problem("unknown_event", field="id")  # events come from central's bootstrap
    if r.event != event.id:
        raise Problem("wrong_event", field="data.event")
    mine = attendance_replica(event, uids_of(a.account_id for a in event.attendees))["etag"]
    theirs = service.attendance_etag(r.content())
    if theirs == mine:
        return records.UNCHANGED
    base = records.strip_etag((r.base or {}).get("etag"))
    if peer.from_central:
        if base not in (None, mine):
            peer.note_conflict(ATTENDANCE, attendance_id, "content_conflict", event=event.id)
    elif r.head_count is None:
        return records.UNCHANGED  # not recorded there: never clears what is recorded here
    elif base != mine and not (base is None and event.head_count is None):
        peer.note_conflict(ATTENDANCE, attendance_id, "content_conflict", event=event.id)
        return records.UNCHANGED
    people = accounts_by_uid(r.attendees)
    attendance = None
    if r.head_count is not None:
        attendance = service.Attendance(
            head_count=r.head_count, tallies=r.tallies,
            attendees={account_id(uid, people, "data.attendees"): answers for uid, answers in r.attendees.items()})
        if not peer.from_central:  # the form's checks: members of the community, counts within the head count
            attendance = service.clean_attendance(event.community, attendance)
    service.store_attendance(event, attendance, revs)
    if not peer.from_central:
        audit.record("event.attendance", None, community_id=event.community_id, event=event.id,
                     head_count=r.head_count, linked=len(r.attendees), via="node")
    db.session.flush()
    return records.UPDATED


# --- attendance_story ---------------------------------------------------------------------------

@dataclass
class LineReplica:
    deleted: bool
    event: int | None = None
    story: uuid.UUID | None = None
    recorded_by: uuid.UUID | None = None
    created_at: datetime | None = None
    base: dict = field(default_factory=dict)  # {"deleted": bool} both sides last agreed on


def line_replica(line: EventStory, uids: dict) -> dict:
    return {"type": TOLD, "id": str(line.id), "event": line.event_id, "story": str(line.story_id),
            "recorded_by": as_text(uids.get(line.recorded_by_id)), "created_at": isoformat(line.created_at)}


def line_replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    lines = list(db.session.scalars(
        select(EventStory).join(Event, Event.id == EventStory.event_id)
        .where(EventStory.revision > since, Event.community_id == peer.community_id)
        .order_by(EventStory.revision).limit(limit)))
    uids = uids_of(line.recorded_by_id for line in lines)
    live = [(line.revision, line_replica(line, uids)) for line in lines]
    return records.with_tombstones(TOLD, live, since, limit, peer.community_id)


def line_base_of(replica: dict) -> dict:
    return {"deleted": bool(replica.get("deleted"))}


def lines_as_they_stand(ids) -> dict[str, dict]:
    ids = list(dict.fromkeys(ids))
    lines = list(db.session.scalars(select(EventStory).where(EventStory.id.in_(ids)))) if ids else []
    uids = uids_of(line.recorded_by_id for line in lines)
    found = {line.id: line_replica(line, uids) for line in lines}
    return {str(i): found.get(i) or records.deleted_replica(TOLD, i) for i in ids}


def parse_line(line_id: uuid.UUID, data: dict) -> LineReplica:
    base = records.replica_base(data)
    if records.is_deleted_replica(data):
        return LineReplica(deleted=True, base=base)
    event_id = _whole(data.get("event"), "data.event")
    story_id = records.parse_uuid(data.get("story"), "data.story")
    if line_id != service.told_line_id(event_id, story_id):
        raise Problem("wrong_line_id", field="id")
    return LineReplica(deleted=False, event=event_id, story=story_id,
                       recorded_by=parse_uid(data.get("recorded_by"), "data.recorded_by"),
                       created_at=parse_time(data.get("created_at"), "data.created_at") or utcnow(), base=base)


def _delete_line(line: EventStory, community_id: int, revs) -> None:
    service.bury_line(line.id, community_id, revs)
    db.session.delete(line)
    db.session.flush()


def apply_line(peer, line_id: uuid.UUID, r: LineReplica, revs) -> str:
    """Apply one replica inside the caller's savepoint; returns the result."""
    line = db.session.get(EventStory, line_id)
    # What this side last agreed on with the other: there when it said so (a node always
    # takes central's state).
    agreed_there = (r.base or {}).get("deleted")
    if r.deleted:
        if line is None:
            if records.is_buried(TOLD, line_id):
                return records.UNCHANGED
            service.bury_line(line_id, peer.community_id, revs)  # so it is not brought back
            return records.UPDATED
        event = db.session.get(Event, line.event_id)
        if event.community_id != peer.community_id:
            raise Problem("forbidden", status=403, field="id")
        if peer.from_central or agreed_there is False:
            _delete_line(line, event.community_id, revs)
            return records.UPDATED
        peer.note_conflict(TOLD, line_id, "content_conflict", event=event.id)  # central ticked it meanwhile
        return records.UNCHANGED

    event = db.session.get(Event, r.event)
    if event is None:
        raise Problem("unknown_event", field="data.event")
    if event.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.event")
    story = db.session.get(Story, r.story)
    if story is None:
        raise Problem("unknown_story", field="data.story")  # not here yet: the node sends stories first
    if story.status == STATUS_WITHDRAWN:  # lines go with the story
        if line is not None:
            _delete_line(line, event.community_id, revs)
        elif not records.is_buried(TOLD, line_id):
            service.bury_line(line_id, event.community_id, revs)
        return records.UNCHANGED
    if story.community_id != event.community_id:
        raise Problem("unknown_story", field="data.story")
    people = accounts_by_uid([r.recorded_by])
    recorder_id = account_id(r.recorded_by, people, "data.recorded_by")
    if line is not None:
        stamps = (recorder_id, isoformat(r.created_at))
        if peer.from_central and stamps != (line.recorded_by_id, isoformat(line.created_at)):
            line.recorded_by_id, line.created_at = recorder_id, r.created_at  # central's, exactly
            line.revision = revs.next()
            return records.UPDATED
        return records.UNCHANGED
    if records.is_buried(TOLD, line_id) and not peer.from_central and agreed_there is not True:
        peer.note_conflict(TOLD, line_id, "content_conflict", event=event.id)  # central unticked it meanwhile
        return records.UNCHANGED
    db.session.add(EventStory(id=line_id, event_id=event.id, story_id=story.id, recorded_by_id=recorder_id,
                              revision=revs.next(), created_at=r.created_at))
    records.unbury(TOLD, line_id)
    db.session.flush()
    return records.CREATED
