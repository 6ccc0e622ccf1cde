"""Event attendance as record kinds, for facilitators' phones offline (docs/sync.md, PROTOCOL 3).

attendance: one record per event, its id handed out by the server (the attendance page and
pulls). Pushed data {"event": int, "head_count": int|null, "attendees": [{"account": int,
"gender", "age", "origin": str|null}], "tallies": {"gender": {"woman": 3}, ...}}. Same content:
unchanged; other content on the stored etag (or on none while nothing is recorded): updated;
on a stale one: conflict, nothing changed, the stored record answered.

attendance_story: a story told at an event, {"event": int, "story": UUID}; its id is
events.service.told_line_id(event, story), printed per checkbox on the attendance page. Upsert
creates it (again: unchanged), delete removes it and leaves a tombstone.

Both are pushed and pulled by the facilitators of the event's community and admins only
(policy.can_manage_events, policy.event_records_community_ids). The writes are those of the
attendance form (events.service), so the form and the phones share one code path.
"""
import dataclasses
import uuid

from sqlalchemy import inspect, select, true
from sqlalchemy.orm import selectinload

from .. import policy, records
from ..errors import Problem
from ..extensions import db
from ..records import CONFLICT, CREATED, DELETE, REPLICATE, UNCHANGED, UPDATED, UPSERT, Batch, Item, Kind, Result
from ..stories.models import Story
from ..timeutil import isoformat
from . import replication, service
from .models import DIMENSIONS, Event, EventStory

ATTENDEE_KEYS = frozenset({"account", *DIMENSIONS})


def _whole(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem("bad_type", field=name)
    return value


def _visible(viewer, column):
    """SQL: rows of the communities whose event records this viewer pulls (None: no rows)."""
    ids = policy.event_records_community_ids(viewer)
    if ids is None:
        return true()
    return column.in_(sorted(ids)) if ids else None


def _merge(first: list, second: list, limit: int) -> list:
    return sorted(first + second, key=lambda pair: pair[0])[:limit]


def _managed_event(actor, event: Event | None, missing: Problem) -> Event:
    """The event if the actor may record at it: ``missing`` when they may not even see it."""
    if event is None or not policy.can_view_events(actor, event.community_id):
        raise missing
    if not policy.can_manage_events(actor, event.community_id):
        raise Problem("forbidden", status=403)
    return event


# --- attendance --------------------------------------------------------------------------------

def attendance_view(event: Event) -> dict:
    """The attendance record as a pull gives it: the pushed keys, and the server's (id, etag,
    revision, and the event's title, first day and community, to show it by)."""
    content = service.attendance_content(event.id, service.stored_attendance(event))
    return {"type": service.ATTENDANCE, "id": str(event.attendance_id), **content,
            "title": event.title, "starts_on": event.starts_on.isoformat(), "community": event.community.slug,
            "revision": event.attendance_revision, "etag": service.quoted_etag(event)}


@dataclasses.dataclass
class _PushedAttendance:
    event_id: int
    attendance: service.Attendance | None  # None: head_count null (not recorded)


_COUNT = {"type": "integer", "minimum": 0, "maximum": service.HEAD_COUNT_MAX}
_ANSWER = {dimension: {"type": "string", "nullable": True, "enum": [*values, None]}
           for dimension, values in DIMENSIONS.items()}
_ATTENDANCE_DATA = {
    "event": {"type": "integer", "description": "the event's id"},
    "head_count": {**_COUNT, "nullable": True, "description": "null: not recorded yet"},
    "attendees": {"type": "array", "description": "members of the community who came, with the answers they gave",
                  "items": {"type": "object", "required": ["account"], "additionalProperties": False,
                            "properties": {"account": {"type": "integer"}, **_ANSWER}}},
    "tallies": {"type": "object", "description": "anonymous counts of the people not linked, per answer",
                "properties": {dimension: {"type": "object", "additionalProperties": False,
                                           "properties": {value: _COUNT for value in values}}
                               for dimension, values in DIMENSIONS.items()}},
}
_TOLD_DATA = {"event": {"type": "integer", "description": "the event's id"},
              "story": {"type": "string", "format": "uuid"}}


def _view_schema(name: str, data: dict, **server: dict) -> dict:
    return {"type": "object", "properties": {
        "type": {"type": "string", "enum": [name]}, "id": {"type": "string", "format": "uuid"}, **data,
        **server, "revision": {"type": "integer"}}}


class AttendanceKind(Kind):
    name = service.ATTENDANCE
    ops = (UPSERT, REPLICATE)
    replicated = True
    data_keys = frozenset({"event", "head_count", "attendees", "tallies"})
    data_schema = {"type": "object", "required": ["event", "head_count"], "properties": _ATTENDANCE_DATA}
    view_schema = _view_schema(service.ATTENDANCE, _ATTENDANCE_DATA, title={"type": "string"},
                               starts_on={"type": "string", "format": "date"},
                               community={"type": "string", "description": "community slug"},
                               etag={"type": "string", "description": "quoted, as base_etag takes it"})
    # Keys of the view a phone may send back as they came; ignored.
    server_keys = frozenset({"type", "id", "title", "starts_on", "community", "revision", "etag"})

    def parse(self, item: Item) -> _PushedAttendance:
        if item.op == REPLICATE:
            return replication.parse_attendance(records.data_of(item))
        if isinstance(item.data, dict):
            item = dataclasses.replace(item, data={k: v for k, v in item.data.items() if k not in self.server_keys})
        data = super().parse(item)
        if "event" not in data:
            raise Problem("missing_field", field="event")
        event_id = _whole(data["event"], "event")
        head = data.get("head_count")
        attendees_in, tallies_in = data.get("attendees") or [], data.get("tallies") or {}
        if not isinstance(attendees_in, list):
            raise Problem("bad_type", field="attendees")
        if not isinstance(tallies_in, dict) or not all(isinstance(v, dict) for v in tallies_in.values()):
            raise Problem("bad_type", field="tallies")
        attendees = {}
        for entry in attendees_in:
            if not isinstance(entry, dict) or "account" not in entry or set(entry) - ATTENDEE_KEYS:
                raise Problem("bad_type", field="attendees")
            account_id = _whole(entry["account"], "attendees")
            answers = {d: entry.get(d) for d in DIMENSIONS}
            if account_id in attendees or not all(a is None or isinstance(a, str) for a in answers.values()):
                raise Problem("bad_type", field="attendees")
            attendees[account_id] = answers
        if head is None:
            if attendees or any(tallies_in.values()):
                raise Problem("bad_count", field="head_count", max=service.HEAD_COUNT_MAX)
            return _PushedAttendance(event_id, None)
        return _PushedAttendance(event_id, service.Attendance(head_count=head, attendees=attendees,
                                                              tallies=tallies_in))

    def batch(self, actor, revs) -> Batch:
        return AttendanceBatch(self, actor, revs)

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.attendance_replicas(peer, since, limit)

    def base_of(self, replica: dict) -> dict:
        return replication.attendance_base_of(replica)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        visible = _visible(viewer, Event.community_id)
        if visible is None:
            return []
        events = db.session.scalars(
            select(Event).where(Event.attendance_revision > since, visible)
            .options(selectinload(Event.attendees), selectinload(Event.tallies))
            .order_by(Event.attendance_revision).limit(limit)).unique()
        rows = [(event.attendance_revision, attendance_view(event)) for event in events]
        gone = records.tombstones(self.name, since, limit, _visible(viewer, records.Tombstone.community_id))
        return _merge(rows, gone, limit)


class _Batch(Batch):
    """apply() answers a refused item as rejected: the engine leaves Problems to the kinds."""

    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self._answered: list[tuple[Result, object]] = []
        self._replicated: list[tuple[Item, Result]] = []

    def apply(self, item: Item) -> Result:
        try:
            if item.op == REPLICATE:  # a camp node's replica, or on a node central's
                with db.session.begin_nested():
                    result = Result(self._replicate(item))
                self._replicated.append((item, result))
                return result
            return self._apply(item)
        except Problem as problem:  # raised before writing, or its savepoint is rolled back
            return Result.rejected(problem)

    def _replicate(self, item: Item) -> str:
        raise NotImplementedError

    def _as_they_stand(self, ids) -> dict[str, dict]:
        raise NotImplementedError

    def finish(self) -> None:
        # A peer's answer is each record as it now stands here, whole: it applies that in turn.
        stand = self._as_they_stand([item.id for item, _result in self._replicated])
        for item, result in self._replicated:
            result.record = stand[str(item.id)]

    def _answer(self, result: Result, record) -> Result:
        self._answered.append((result, record))
        return result


class AttendanceBatch(_Batch):
    def _replicate(self, item: Item) -> str:
        return replication.apply_attendance(self.actor, item.id, item.parsed, self.revs)

    def _as_they_stand(self, ids) -> dict[str, dict]:
        return replication.attendance_as_they_stand(ids)

    def _apply(self, item: Item) -> Result:
        pushed: _PushedAttendance = item.parsed
        event = db.session.scalar(select(Event).where(Event.attendance_id == item.id))
        event = _managed_event(self.actor, event, Problem("not_found", status=404, field="id"))
        if pushed.event_id != event.id:
            raise Problem("wrong_event", field="event")
        stored = service.current_etag(event)
        if pushed.attendance is None:
            new = service.attendance_etag(service.attendance_content(event.id, None))
            if new != stored:  # clearing recorded attendance is not a thing: a count is needed
                raise Problem("bad_count", field="head_count", max=service.HEAD_COUNT_MAX)
            cleaned = None
        else:
            cleaned = service.clean_attendance(event.community, pushed.attendance)
            new = service.attendance_etag(service.attendance_content(event.id, cleaned))
        if new == stored:
            return self._answer(Result(UNCHANGED), event)
        base = records.strip_etag(item.base_etag)
        if base != stored and not (base is None and event.head_count is None):
            return self._answer(Result(CONFLICT), event)
        with db.session.begin_nested():
            service.save_attendance(self.actor, event, cleaned, self.revs)
        return self._answer(Result(UPDATED), event)

    def finish(self) -> None:
        super().finish()
        # After every item: two items for one event both answer with what is committed.
        for result, event in self._answered:
            result.record = attendance_view(event)


# --- attendance_story --------------------------------------------------------------------------

def line_view(line: EventStory) -> dict:
    return {"type": service.TOLD, "id": str(line.id), "event": line.event_id, "story": str(line.story_id),
            "revision": line.revision, "created_at": isoformat(line.created_at)}


class ToldKind(Kind):
    name = service.TOLD
    ops = (UPSERT, DELETE, REPLICATE)
    replicated = True
    data_keys = frozenset({"event", "story"})
    data_schema = {"type": "object", "required": ["event", "story"], "properties": _TOLD_DATA}
    view_schema = _view_schema(service.TOLD, _TOLD_DATA, created_at={"type": "string", "format": "date-time"})
    server_keys = frozenset({"type", "id", "revision", "created_at"})

    def parse(self, item: Item) -> tuple[int, uuid.UUID] | None:
        if item.op == REPLICATE:
            return replication.parse_line(item.id, records.data_of(item))
        if isinstance(item.data, dict):
            item = dataclasses.replace(item, data={k: v for k, v in item.data.items() if k not in self.server_keys})
        data = super().parse(item)
        if data is None:  # delete: the id says it all
            return None
        for key in ("event", "story"):
            if key not in data:
                raise Problem("missing_field", field=key)
        event_id, story_id = _whole(data["event"], "event"), records.parse_uuid(data["story"], "story")
        if item.id != service.told_line_id(event_id, story_id):
            raise Problem("wrong_line_id", field="id")
        return event_id, story_id

    def batch(self, actor, revs) -> Batch:
        return ToldBatch(self, actor, revs)

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.line_replicas(peer, since, limit)

    def base_of(self, replica: dict) -> dict:
        return replication.line_base_of(replica)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        visible = _visible(viewer, Event.community_id)
        if visible is None:
            return []
        lines = db.session.scalars(
            select(EventStory).join(Event, Event.id == EventStory.event_id)
            .where(EventStory.revision > since, visible).order_by(EventStory.revision).limit(limit))
        rows = [(line.revision, line_view(line)) for line in lines]
        gone = records.tombstones(self.name, since, limit, _visible(viewer, records.Tombstone.community_id))
        return _merge(rows, gone, limit)


class ToldBatch(_Batch):
    def _replicate(self, item: Item) -> str:
        return replication.apply_line(self.actor, item.id, item.parsed, self.revs)

    def _as_they_stand(self, ids) -> dict[str, dict]:
        return replication.lines_as_they_stand(ids)

    def _apply(self, item: Item) -> Result:
        if item.op == DELETE:
            return self._delete(item)
        event_id, story_id = item.parsed
        event = _managed_event(self.actor, db.session.get(Event, event_id), Problem("unknown_event", field="event"))
        line = db.session.get(EventStory, item.id)
        if line is not None:
            return self._answer(Result(UNCHANGED), line)
        story = db.session.get(Story, story_id)
        if not service.may_tick(self.actor, event, story):
            raise Problem("unknown_story", field="story")
        with db.session.begin_nested():
            line = service.add_told_line(self.actor, event, story, self.revs)
        return self._answer(Result(CREATED), line)

    def _delete(self, item: Item) -> Result:
        line = db.session.get(EventStory, item.id)
        if line is None:
            # Never made, or deleted already: nothing to do. Answer its tombstone to those who
            # may see it; someone who records at no event is refused, as for an upsert.
            if policy.event_records_community_ids(self.actor) == set():
                raise Problem("forbidden", status=403)
            return self._answer(Result(UNCHANGED), self._tombstone(item.id))
        event = _managed_event(self.actor, db.session.get(Event, line.event_id),
                               Problem("not_found", status=404, field="id"))
        with db.session.begin_nested():
            revision = service.remove_told_line(self.actor, event, line, self.revs)
        return self._answer(Result(UPDATED), records.tombstone_view(self.kind.name, item.id, revision))

    def _tombstone(self, line_id) -> dict | None:
        stone = db.session.get(records.Tombstone, (self.kind.name, str(line_id)))
        ids = policy.event_records_community_ids(self.actor)
        if stone is None or (ids is not None and stone.community_id not in ids):
            return None
        return records.tombstone_view(self.kind.name, line_id, stone.revision)

    def finish(self) -> None:
        super().finish()
        for result, record in self._answered:
            if isinstance(record, EventStory):
                # Made and then deleted by a later item of the same push: its tombstone.
                record = self._tombstone(record.id) if inspect(record).was_deleted else line_view(record)
            result.record = record


ATTENDANCE_KIND = AttendanceKind()
TOLD_KIND = ToldKind()
