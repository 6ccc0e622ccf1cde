"""Reports between a camp node and the central server (docs/sync.md, Camp nodes).

A replica is the whole report: its story, reporter by uid, reason and note, when it was made,
and its resolution (when, and who by uid); a deleted one is {"type", "id", "deleted": true}.
Applying one follows the rules, whichever side applies it:
- a report is never edited: its story, reporter, reason and note are the ones it was made with;
- central owns the resolution: a node's is taken when central has not resolved the report
  since the base both agreed on, else ``central_moderation_wins``; a node takes central's;
- a report goes with its story's withdrawal, on both sides;
- one report per person and story: when a person reported the same story on both sides,
  central's stays and the node's is deleted (``already_reported``).
A replicated report spends no one's report budget (the side where it was made spent it) and
does not hide the story by itself: the automatic hide is decided where a report is made (a
node's hide travels as the story's status), counting every open report there.
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from .. import audit, records
from ..accounts.uids import account_id, accounts_by_uid, as_text, parse_uid, uids_of
from ..errors import Problem
from ..extensions import db
from ..stories.models import STATUS_WITHDRAWN, Story
from ..stories.schema import parse_time
from ..timeutil import isoformat, utcnow
from . import service
from .models import REPORT_REASONS, StoryReport

NAME = "report"


@dataclass
class Replica:
    deleted: bool
    story: uuid.UUID | None = None
    reporter: uuid.UUID | None = None
    reason: str = ""
    note: str = ""
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: uuid.UUID | None = None
    base: dict = field(default_factory=dict)  # {"resolved_at"} both sides last agreed on


# --- Reading ------------------------------------------------------------------------------------

def replica_of(report: StoryReport, uids: dict) -> dict:
    return {"type": NAME, "id": str(report.sync_id), "story": str(report.story_id),
            "reporter": as_text(uids.get(report.reporter_id)), "reason": report.reason, "note": report.note,
            "created_at": isoformat(report.created_at), "resolved_at": isoformat(report.resolved_at),
            "resolved_by": as_text(uids.get(report.resolved_by_id))}


def _replicas_of(rows) -> list[dict]:
    uids = uids_of([r.reporter_id for r in rows] + [r.resolved_by_id for r in rows])
    return [replica_of(r, uids) for r in rows]


def replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    rows = list(db.session.scalars(
        select(StoryReport).join(Story, Story.id == StoryReport.story_id)
        .where(StoryReport.revision > since, Story.community_id == peer.community_id)
        .order_by(StoryReport.revision).limit(limit)))
    live = [(r.revision, replica) for r, replica in zip(rows, _replicas_of(rows))]
    return records.with_tombstones(NAME, live, since, limit, peer.community_id)


def base_of(replica: dict) -> dict:
    return {"resolved_at": replica.get("resolved_at")}


def as_they_stand(ids) -> dict[str, dict]:
    """{id: replica} of these reports as they now stand here (deleted: the deleted replica)."""
    ids = list(dict.fromkeys(ids))
    rows = list(db.session.scalars(select(StoryReport).where(StoryReport.sync_id.in_(ids)))) if ids else []
    found = {r.sync_id: replica for r, replica in zip(rows, _replicas_of(rows))}
    return {str(i): found.get(i) or records.deleted_replica(NAME, i) for i in ids}


# --- Checking -----------------------------------------------------------------------------------

def parse(data: dict) -> Replica:
    base = records.replica_base(data)
    if records.is_deleted_replica(data):
        return Replica(deleted=True, base=base)
    reason, note = data.get("reason"), data.get("note") or ""
    if reason not in REPORT_REASONS:
        raise Problem("bad_reason", field="data.reason")
    _, note = service.clean_report(reason, note)
    return Replica(deleted=False, story=records.parse_uuid(data.get("story"), "data.story"),
                   reporter=parse_uid(data.get("reporter"), "data.reporter"), reason=reason, note=note,
                   created_at=parse_time(data.get("created_at"), "data.created_at") or utcnow(),
                   resolved_at=parse_time(data.get("resolved_at"), "data.resolved_at"),
                   resolved_by=parse_uid(data.get("resolved_by"), "data.resolved_by"), base=base)


# --- Applying -----------------------------------------------------------------------------------

def _find(sync_id) -> StoryReport | None:
    return db.session.scalar(select(StoryReport).where(StoryReport.sync_id == sync_id))


def bury(report: StoryReport, revs) -> None:
    """Delete a report for real, leaving a tombstone for the reporter's and moderators' phones."""
    records.bury(NAME, report.sync_id, revs, community_id=report.story.community_id, owner_id=report.reporter_id,
                 audience="facilitators")
    db.session.delete(report)
    db.session.flush()


def _gone(peer, sync_id, revs, community_id=None) -> str:
    """This report is deleted here (or never comes back here): a tombstone for the phones."""
    found = _find(sync_id)
    if found is not None:
        bury(found, revs)
        return records.UPDATED
    if records.is_buried(NAME, sync_id):
        return records.UNCHANGED
    records.bury(NAME, sync_id, revs, community_id=community_id or peer.community_id, audience="facilitators")
    return records.UPDATED


def apply(peer, sync_id: uuid.UUID, r: Replica, revs) -> str:
    """Apply one replica inside the caller's savepoint; returns the result (the batch answers
    with the report as it then stands here)."""
    if r.deleted:
        return _gone(peer, sync_id, revs)
    story = db.session.get(Story, r.story)
    if story is None:
        raise Problem("unknown_story", field="data.story")  # not here yet: the node sends stories first
    found = _find(sync_id)
    if found is not None and found.story_id != r.story:
        raise Problem("id_mismatch", field="id")
    if story.status == STATUS_WITHDRAWN:  # reports go with the story (a note may quote it)
        _gone(peer, sync_id, revs)
        return records.UNCHANGED
    if story.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.story")
    if found is None and records.is_buried(NAME, sync_id):
        return records.UNCHANGED
    people = accounts_by_uid([r.reporter, r.resolved_by])
    reporter_id = account_id(r.reporter, people, "data.reporter")
    resolver_id = account_id(r.resolved_by, people, "data.resolved_by")

    if found is None:
        earlier = None if reporter_id is None else db.session.scalar(select(StoryReport).where(
            StoryReport.story_id == story.id, StoryReport.reporter_id == reporter_id))
        if earlier is not None:  # one report per person and story
            detail = {"story": str(story.id), "kept": str(earlier.sync_id)}
            if not peer.from_central:  # central's stays; the node's goes (its answer: a tombstone)
                peer.note_conflict(NAME, sync_id, "already_reported", **detail)
                _gone(peer, sync_id, revs)
                return records.CONFLICT
            peer.note_conflict(NAME, earlier.sync_id, "already_reported", **{**detail, "kept": str(sync_id)})
            _gone(peer, earlier.sync_id, revs)
        db.session.add(StoryReport(story_id=story.id, reporter_id=reporter_id, reason=r.reason, note=r.note,
                                   created_at=r.created_at, resolved_at=r.resolved_at,
                                   resolved_by_id=resolver_id, sync_id=sync_id,
                                   revision=revs.next()))
        if not peer.from_central:
            audit.record("story.report", reporter_id, story_id=story.id, community_id=story.community_id,
                         reason=r.reason, via="node")
        db.session.flush()
        return records.CREATED

    changed = False
    if (found.reason, found.note, found.reporter_id) != (r.reason, r.note, reporter_id):
        if peer.from_central:  # never edited; central's copy is the one both keep
            found.reason, found.note, found.reporter_id = r.reason, r.note, reporter_id
            changed = True
        else:
            peer.note_conflict(NAME, sync_id, "content_conflict")
    if peer.from_central and isoformat(found.created_at) != isoformat(r.created_at):
        found.created_at = r.created_at
        changed = True
    if (isoformat(r.resolved_at), resolver_id) != (isoformat(found.resolved_at), found.resolved_by_id):
        if peer.from_central or (r.resolved_at is not None
                                 and isoformat(found.resolved_at) == (r.base or {}).get("resolved_at")):
            found.resolved_at, found.resolved_by_id = r.resolved_at, resolver_id
            changed = True
        elif r.resolved_at is not None:
            peer.note_conflict(NAME, sync_id, "central_moderation_wins")
    if not changed:
        return records.UNCHANGED
    found.revision = revs.next()
    db.session.flush()
    return records.UPDATED
