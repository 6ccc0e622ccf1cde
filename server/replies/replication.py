"""Replies and reactions between a camp node and the central server (docs/sync.md, Camp nodes).

A replica is the whole record as one side stores it, people named by uid; a deleted one is
{"type", "id", "deleted": true}. Applying one follows the rules, whichever side applies it:
- a reply's words and a reaction never change once written: the same id with other content is
  refused (``record_id_taken``);
- central owns moderation (a reply's ``status``): a node's is taken when central's has not
  changed since the base both agreed on, else ``central_moderation_wins``;
- a deletion made anywhere wins (by its author, a facilitator, the story's withdrawal): the
  record goes on both sides and its id never comes back (``deletion_wins``);
- one reaction per person, story and kind: when the camp's and central's are two ids for one
  reaction, central's stays and the camp's is deleted (``reaction_exists``).
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from .. import attachments, limits, records
from ..accounts.uids import account_id, accounts_by_uid, as_text, parse_uid, uids_of
from ..errors import Problem
from ..extensions import db
from ..stories.models import STATUS_WITHDRAWN, Story
from ..stories.schema import parse_time
from ..stories.service import missing_media
from ..timeutil import isoformat, utcnow
from ..userinput import clean_text
from . import service
from .models import REACTION_KINDS, REPLY_STATUSES, Reaction, Reply

REPLY, REACTION = service.REPLY, service.REACTION


@dataclass
class Replica:
    deleted: bool
    story: uuid.UUID | None = None
    person: uuid.UUID | None = None  # a reply's author, a reaction's account
    body: str = ""
    status: str = ""
    kind: str = ""
    created_at: datetime | None = None
    base: dict = field(default_factory=dict)
    media: tuple = ()  # a voice reply's recording (sent before the replica: nodes/replication.py)


# --- Reading ------------------------------------------------------------------------------------

def reply_replica(r: Reply, uids: dict) -> dict:
    return {"type": REPLY, "id": str(r.sync_id), "story": str(r.story_id), "author": as_text(uids.get(r.author_id)),
            "body": r.body, "media": list(r.media or []), "status": r.status, "created_at": isoformat(r.created_at)}


def reaction_replica(r: Reaction, uids: dict) -> dict:
    return {"type": REACTION, "id": str(r.sync_id), "story": str(r.story_id),
            "account": as_text(uids.get(r.account_id)), "kind": r.kind, "created_at": isoformat(r.created_at)}


_MODEL = {REPLY: (Reply, "author_id", reply_replica), REACTION: (Reaction, "account_id", reaction_replica)}


def replicas(name: str, peer, since: int, limit: int) -> list[tuple[int, dict]]:
    model, person, replica_of = _MODEL[name]
    rows = list(db.session.scalars(
        select(model).join(Story, Story.id == model.story_id)
        .where(model.revision > since, Story.community_id == peer.community_id)
        .order_by(model.revision).limit(limit)))
    uids = uids_of(getattr(r, person) for r in rows)
    live = [(r.revision, replica_of(r, uids)) for r in rows]
    return records.with_tombstones(name, live, since, limit, peer.community_id)


def as_they_stand(name: str, ids) -> dict[str, dict]:
    """{id: replica} of these records as they now stand here; a deleted one (or one never held)
    as its deleted replica."""
    model, person, replica_of = _MODEL[name]
    ids = list(dict.fromkeys(ids))
    found = {r.sync_id: r for r in db.session.scalars(select(model).where(model.sync_id.in_(ids)))} if ids else {}
    uids = uids_of(getattr(r, person) for r in found.values())
    return {str(i): replica_of(found[i], uids) if i in found else records.deleted_replica(name, i) for i in ids}


# --- Checking -----------------------------------------------------------------------------------

def parse(name: str, data: dict) -> Replica:
    """Check a replica without the database; raise Problem."""
    base = records.replica_base(data)
    if records.is_deleted_replica(data):
        return Replica(deleted=True, base=base)
    story = records.parse_uuid(data.get("story"), "data.story")
    created = parse_time(data.get("created_at"), "data.created_at") or utcnow()
    if name == REPLY:
        if data.get("status") not in REPLY_STATUSES:
            raise Problem("bad_request", field="data.status")
        body = clean_text(data.get("body") or "", "data.body", limits.REPLY_BODY_MAX, multiline=True)
        return Replica(deleted=False, story=story, person=parse_uid(data.get("author"), "data.author"), body=body,
                       status=data["status"], created_at=created, base=base,
                       media=attachments.parse_recordings(data.get("media"), "data.media"))
    if data.get("kind") not in REACTION_KINDS:
        raise Problem("bad_reaction", field="data.kind")
    person = parse_uid(data.get("account"), "data.account")
    if person is None:
        raise Problem("missing_field", field="data.account")
    return Replica(deleted=False, story=story, person=person, kind=data["kind"], created_at=created, base=base)


# --- Applying -----------------------------------------------------------------------------------

def _find(name, sync_id):
    return service.find_reply(sync_id) if name == REPLY else service.find_reaction(sync_id)


def _bury(name, record, revs) -> None:
    if name == REPLY:
        service.bury_reply(record, record.story, revs)
    else:
        service.bury_reaction(record, record.story, revs)
    db.session.flush()


def _gone(name, peer, sync_id, revs) -> str:
    """This id is deleted here: remember it (a tombstone), so it is never brought back."""
    found = _find(name, sync_id)
    if found is not None:
        _bury(name, found, revs)
        return records.UPDATED
    if records.is_buried(name, sync_id):
        return records.UNCHANGED
    records.bury(name, sync_id, revs, community_id=peer.community_id, audience="facilitators")
    return records.UPDATED


def apply(name: str, peer, sync_id: uuid.UUID, r: Replica, revs) -> str:
    """Apply one replica inside the caller's savepoint; returns the result (the batch answers
    with the record as it then stands here)."""
    if r.deleted:
        return _gone(name, peer, sync_id, revs)
    story = db.session.get(Story, r.story)
    if story is None:
        raise Problem("unknown_story", field="data.story")  # not here yet: the node sends stories first
    found = _find(name, sync_id)
    if story.status == STATUS_WITHDRAWN:  # they went with it, here and there
        peer.note_conflict(name, sync_id, "withdrawal_wins", story=str(story.id))
        _gone(name, peer, sync_id, revs)
        return records.UNCHANGED
    if story.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.story")
    if found is None and records.is_buried(name, sync_id):
        peer.note_conflict(name, sync_id, "deletion_wins", story=str(story.id))
        return records.UNCHANGED
    people = accounts_by_uid([r.person])
    person_id = account_id(r.person, people, "data.author" if name == REPLY else "data.account")
    if name == REPLY:
        return _apply_reply(peer, sync_id, r, story, person_id, found, revs)
    return _apply_reaction(peer, sync_id, r, story, person_id, found, revs)


def _apply_reply(peer, sync_id, r: Replica, story, author_id, found: Reply | None, revs) -> str:
    if found is None:
        if missing_media(r.media):
            return records.MEDIA_MISSING  # the node sends files first; the next sync brings it
        db.session.add(Reply(sync_id=sync_id, story_id=story.id, author_id=author_id, body=r.body, status=r.status,
                             media=list(r.media), created_at=r.created_at, updated_at=r.created_at,
                             revision=revs.next()))
        db.session.flush()
        return records.CREATED
    if found.story_id != story.id or found.body != r.body or found.author_id != author_id:
        raise Problem("record_id_taken", field="id")  # a reply is never edited
    changed = False
    if r.status != found.status:
        if peer.from_central or found.status == (r.base or {}).get("status"):
            found.status, changed = r.status, True
        else:
            peer.note_conflict(REPLY, sync_id, "central_moderation_wins")
    if peer.from_central and isoformat(found.created_at) != isoformat(r.created_at):
        found.created_at, changed = r.created_at, True  # central's stamp, exactly
    if not changed:
        return records.UNCHANGED
    found.updated_at = utcnow()
    found.revision = revs.next()
    db.session.flush()
    return records.UPDATED


def _apply_reaction(peer, sync_id, r: Replica, story, account_id_, found: Reaction | None, revs) -> str:
    if found is not None:
        if (found.story_id, found.account_id, found.kind) != (story.id, account_id_, r.kind):
            raise Problem("record_id_taken", field="id")  # a reaction is never changed
        if peer.from_central and isoformat(found.created_at) != isoformat(r.created_at):
            found.created_at = r.created_at
            found.revision = revs.next()
            return records.UPDATED
        return records.UNCHANGED
    other = service.existing_reaction(story.id, account_id_, r.kind)
    if other is not None:
        detail = {"story": str(story.id), "reaction": r.kind}
        if not peer.from_central:  # central's stays; the camp's goes (its answer: a tombstone)
            peer.note_conflict(REACTION, sync_id, "reaction_exists", **detail, kept=str(other.sync_id))
            _gone(REACTION, peer, sync_id, revs)
            return records.CONFLICT
        peer.note_conflict(REACTION, other.sync_id, "reaction_exists", **detail, kept=str(sync_id))
        _bury(REACTION, other, revs)  # on a node: central's takes its place
    db.session.add(Reaction(sync_id=sync_id, story_id=story.id, account_id=account_id_, kind=r.kind,
                            created_at=r.created_at, revision=revs.next()))
    db.session.flush()
    return records.CREATED
