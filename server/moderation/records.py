"""Reports of stories as a record kind of the sync (kultialogo.records).

A person can report a story from their phone offline; the report travels with their other
records. The id is the report's ``sync_id``, made by the phone. A report is never edited:
the same id again is "unchanged", with other words a conflict. Reporters' own phones pull their
reports (to show "you reported this", and when it was dealt with); the story's moderators
pull the reports of their communities. When the story is withdrawn its reports go (a note may
quote it), each leaving a tombstone for those phones.
"""
import uuid

from sqlalchemy import or_, select

from .. import limits, policy, records
from ..errors import Problem
from ..extensions import db
from ..stories.models import Story
from ..timeutil import isoformat
from . import replication, service
from .models import REPORT_REASONS, StoryReport

NAME = "report"
CONTENT_KEYS = ("story", "reason", "note")
SERVER_KEYS = ("id", "type", "created_at", "resolved", "revision")


def view(report: StoryReport) -> dict:
    return {"type": NAME, "id": str(report.sync_id), "story": str(report.story_id), "reason": report.reason,
            "note": report.note, "created_at": isoformat(report.created_at),
            "resolved": report.resolved_at is not None, "revision": report.revision}


class ReportBatch(records.SavepointBatch):
    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self.replicated: list[tuple[records.Item, records.Result]] = []

    def _apply(self, item) -> records.Result:
        if item.op == records.REPLICATE:
            # A camp node's replica (or on a node, central's): the report was made, and its
            # budget spent, where its reporter was; nobody's budget is spent again here.
            result = records.Result(replication.apply(self.actor, item.id, item.parsed, self.revs))
            self.replicated.append((item, result))
            return result
        story_id, reason, note = item.parsed
        found = db.session.scalar(select(StoryReport).where(StoryReport.sync_id == item.id))
        if found is not None:
            if found.reporter_id != self.actor.id:
                raise Problem("forbidden", status=403, field="id")
            same = (found.story_id, found.reason, found.note) == (story_id, reason, note)
            return records.Result(records.UNCHANGED if same else records.CONFLICT, view(found))
        if records.is_buried(NAME, item.id):
            raise Problem("deleted", status=409, field="id")  # its story was withdrawn meanwhile
        story = db.session.get(Story, story_id)
        if story is None or not policy.can_view_story(self.actor, story):
            raise Problem("not_found", status=404, field="story")
        if not policy.can_report_story(self.actor, story):
            raise Problem("not_reportable", status=409, field="story")
        service.spend_report_budget(self.actor)  # the same budget as the page and the API
        outcome = service.file_report(self.actor, story, reason, note, self.revs, sync_id=item.id)
        if not outcome.created:  # this person had reported the story already, from another device
            earlier = db.session.scalar(select(StoryReport).where(
                StoryReport.story_id == story.id, StoryReport.reporter_id == self.actor.id))
            return records.Result(records.UNCHANGED, view(earlier))
        db.session.flush()
        return records.Result(records.CREATED, view(db.session.scalar(
            select(StoryReport).where(StoryReport.sync_id == item.id))))

    def finish(self) -> None:
        stand = replication.as_they_stand([item.id for item, _result in self.replicated])
        for item, result in self.replicated:
            result.record = stand[str(item.id)]


_DATA = {"story": {"type": "string", "format": "uuid"},
         "reason": {"type": "string", "enum": list(REPORT_REASONS)},
         "note": {"type": "string", "maxLength": limits.REPORT_NOTE_MAX}}


class ReportKind(records.Kind):
    name = NAME
    ops = (records.UPSERT, records.REPLICATE)  # a report is dealt with by a facilitator, not taken back
    replicated = True
    data_keys = frozenset(CONTENT_KEYS + SERVER_KEYS)
    data_schema = {"type": "object", "required": ["story", "reason"], "properties": _DATA}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [NAME]}, "id": {"type": "string", "format": "uuid"}, **_DATA,
        "created_at": {"type": "string", "format": "date-time"}, "resolved": {"type": "boolean"},
        "revision": {"type": "integer"}}}

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse(records.data_of(item))
        data = super().parse(item)
        if data.get("story") is None:
            raise Problem("missing_field", field="story")
        reason, note = service.clean_report(data.get("reason"), data.get("note"))
        return records.parse_uuid(data["story"], "story"), reason, note

    def batch(self, actor, revs) -> ReportBatch:
        return ReportBatch(self, actor, revs)

    def bury_again(self, record_id: str, revs) -> bool:
        found = db.session.scalar(select(StoryReport).where(StoryReport.sync_id == uuid.UUID(record_id)))
        if found is not None:
            replication.bury(found, revs)
        return found is not None

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.replicas(peer, since, limit)

    def base_of(self, replica: dict) -> dict:
        return replication.base_of(replica)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        if not policy.signed_in(viewer):
            return []
        visible = StoryReport.reporter_id == viewer.id
        moderated = policy.managed_community_ids(viewer)  # None: every community (admins)
        if moderated is None:
            visible = None
        elif moderated:
            visible = or_(visible, Story.community_id.in_(moderated))
        query = (select(StoryReport).join(Story, Story.id == StoryReport.story_id)
                 .where(StoryReport.revision > since).order_by(StoryReport.revision).limit(limit))
        if visible is not None:
            query = query.where(visible)
        out = [(r.revision, view(r)) for r in db.session.scalars(query)]
        out += records.tombstones(NAME, since, limit, policy.tombstone_clause(viewer, records.Tombstone))
        return sorted(out, key=lambda change: change[0])[:limit]


KIND = ReportKind()
