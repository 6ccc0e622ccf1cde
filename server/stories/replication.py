"""Stories between a camp node and the central server (docs/sync.md, Camp nodes).

A replica is the whole story as one side stores it: content, author and recorder by uid,
status and moderation, times. Applying one follows the rules, whichever side applies it:
- the author owns content: another side's content is taken when this side has not changed
  since the base both agreed on; otherwise central keeps the losing text as a conflict for
  the author (nothing written is lost), and a node keeps its own edit, which it pushes next;
- central owns moderation: a node's decision is taken only when central has not moderated the
  story since the base; on a node, central's decision is always taken;
- a withdrawal made anywhere wins over everything and erases the content (media included).
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import audit, records
from ..accounts.models import Account
from ..communities.models import Community
from ..errors import Problem
from ..extensions import db
from ..timeutil import isoformat, utcnow
from . import service
from .models import STATUS_PUBLISHED, STATUS_WITHDRAWN, STATUSES, Story
from .schema import StoryContent, parse_time, validate_content

NOTE_MAX = 2000


@dataclass
class Replica:
    withdrawn: bool
    author: uuid.UUID | None
    content: StoryContent | None = None
    etag: str = ""
    created_at: datetime | None = None
    received_at: datetime | None = None
    recorded_by: uuid.UUID | None = None
    status: str = STATUS_WITHDRAWN
    ever_published: bool = False
    moderation: dict | None = None  # code, note, by (uid), at (datetime)
    base: dict | None = None        # {"etag", "moderated_at"} both sides last agreed on


# --- Reading ----------------------------------------------------------------------------------

def uids_of(ids) -> dict[int, uuid.UUID]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Account.id, Account.uid).where(Account.id.in_(ids))).all())


def replica_of(story: Story, uids: dict[int, uuid.UUID]) -> dict:
    def uid(account_id):
        value = uids.get(account_id)
        return str(value) if value else None

    if story.status == STATUS_WITHDRAWN:
        return {"type": "story", "id": str(story.id), "status": STATUS_WITHDRAWN, "author": uid(story.author_id)}
    return {"type": "story", "id": str(story.id), "etag": story.etag, "content": service.story_content(story),
            "created_at": isoformat(story.created_at), "received_at": isoformat(story.received_at),
            "author": uid(story.author_id), "recorded_by": uid(story.recorded_by_id),
            "status": story.status, "ever_published": bool(story.ever_published),
            "moderation": {"code": story.moderation_reason_code, "note": story.moderation_reason or "",
                           "by": uid(story.moderated_by_id), "at": isoformat(story.moderated_at)}}


def replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    stories = list(db.session.scalars(
        select(Story).where(Story.revision > since, Story.community_id == peer.community_id)
        .order_by(Story.revision).limit(limit)))
    uids = uids_of([s.author_id for s in stories] + [s.recorded_by_id for s in stories]
                   + [s.moderated_by_id for s in stories])
    return [(s.revision, replica_of(s, uids)) for s in stories]


def base_of(replica: dict) -> dict:
    return {"etag": replica.get("etag", ""), "moderated_at": (replica.get("moderation") or {}).get("at")}


# --- Checking ---------------------------------------------------------------------------------

def _uid(value, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    return records.parse_uuid(value, field)


def parse(data: dict) -> Replica:
    """Check a replica without the database; raise Problem."""
    status = data.get("status")
    if status not in STATUSES:
        raise Problem("bad_request", field="data.status")
    author = _uid(data.get("author"), "data.author")
    if status == STATUS_WITHDRAWN:
        return Replica(withdrawn=True, author=author)
    content = validate_content(data.get("content"))
    moderation = data.get("moderation") or {}
    base = data.get("base") or {}
    if not isinstance(moderation, dict) or not isinstance(base, dict):
        raise Problem("bad_type", field="data.moderation")
    code, note = moderation.get("code"), moderation.get("note") or ""
    if (code is not None and (not isinstance(code, str) or len(code) > 20)) or not isinstance(note, str) \
            or len(note) > NOTE_MAX:
        raise Problem("bad_request", field="data.moderation")
    etag = data.get("etag")
    if not isinstance(etag, str) or len(etag) > 40 or not isinstance(data.get("ever_published"), bool):
        raise Problem("bad_request", field="data.etag")
    return Replica(
        withdrawn=False, author=author, content=content, etag=etag,
        created_at=parse_time(data.get("created_at"), "data.created_at"),
        received_at=parse_time(data.get("received_at"), "data.received_at") or utcnow(),
        recorded_by=_uid(data.get("recorded_by"), "data.recorded_by"), status=status,
        ever_published=data["ever_published"],
        moderation={"code": code, "note": note, "by": _uid(moderation.get("by"), "data.moderation.by"),
                    "at": parse_time(moderation.get("at"), "data.moderation.at")},
        base={"etag": base.get("etag"), "moderated_at": base.get("moderated_at")})


# --- Applying ---------------------------------------------------------------------------------

def _accounts(*uids) -> dict[uuid.UUID, Account]:
    wanted = {u for u in uids if u is not None}
    if not wanted:
        return {}
    return {a.uid: a for a in db.session.scalars(select(Account).where(Account.uid.in_(wanted)))}


def _moderation_of(story: Story, uids) -> tuple:
    return (story.status, story.moderation_reason_code, story.moderation_reason or "",
            uids.get(story.moderated_by_id), isoformat(story.moderated_at))


def apply(peer, story_id: uuid.UUID, replica: Replica, revs) -> tuple[str, Story | None]:
    """Apply one replica inside the caller's savepoint; returns (result, story)."""
    story = db.session.get(Story, story_id)
    people = _accounts(replica.author, replica.recorded_by, (replica.moderation or {}).get("by"))
    # Everyone a replica names must be known here; refused, it comes again once they are (a
    # story stored with an empty moderator would differ from its replica, and travel forever).
    for uid, field in ((replica.author, "data.author"), (replica.recorded_by, "data.recorded_by"),
                       ((replica.moderation or {}).get("by"), "data.moderation.by")):
        if uid is not None and uid not in people:
            raise Problem("no_such_account", status=409, field=field)
    author = people.get(replica.author)
    if story is not None and story.community_id not in (None, peer.community_id):
        raise Problem("forbidden", status=403, field="id")

    if replica.withdrawn:
        return _withdraw(story_id, story, author, revs)
    if story is not None and story.status == STATUS_WITHDRAWN:
        # Withdrawn here: the other side's copy goes too (it learns from this side's replica).
        peer.note_conflict("story", story_id, "withdrawal_wins")
        return records.UNCHANGED, story

    community = db.session.scalar(select(Community).where(Community.slug == replica.content.community))
    if community is None or community.id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.content.community")
    missing = service.missing_media(replica.content.media)
    if missing:
        return records.MEDIA_MISSING, None
    mod = replica.moderation
    moderator = people.get(mod["by"])
    now = utcnow()
    if story is None:
        story = Story(id=story_id, author_id=author.id if author else None,
                      recorded_by_id=people[replica.recorded_by].id if replica.recorded_by in people else None,
                      created_at=replica.created_at, received_at=replica.received_at, updated_at=now,
                      etag=service.content_etag(replica.content.as_dict()), status=replica.status,
                      ever_published=replica.ever_published or replica.status == STATUS_PUBLISHED,
                      moderation_reason_code=mod["code"], moderation_reason=mod["note"],
                      moderated_by_id=moderator.id if moderator else None, moderated_at=mod["at"],
                      revision=revs.next(), **service.content_columns(replica.content, community))
        db.session.add(story)
        db.session.flush()
        if not peer.from_central:
            service.audit_consent(author, story_id, community.id, replica.content, "node")
        return records.CREATED, story

    changed = False
    base = replica.base or {}
    new_etag = service.content_etag(replica.content.as_dict())
    if new_etag != story.etag:
        if records.strip_etag(base.get("etag")) == story.etag:
            service.apply_content(story, replica.content, community)
            story.etag = new_etag
            changed = True
        elif not peer.from_central:  # both changed it: the node's text is kept for the author
            if service.keep_conflict(story, replica.content, new_etag, now):
                peer.note_conflict("story", story_id, "content_conflict")
                changed = True
        # on a node, its own edit stays; it goes to central with the next push
    uids = {a.id: str(a.uid) for a in people.values()}
    if story.moderated_by_id is not None and story.moderated_by_id not in uids:
        uids.update({k: str(v) for k, v in uids_of([story.moderated_by_id]).items()})
    theirs = (replica.status, mod["code"], mod["note"], str(mod["by"]) if mod["by"] else None, isoformat(mod["at"]))
    if theirs != _moderation_of(story, uids):
        if peer.from_central or isoformat(story.moderated_at) == base.get("moderated_at"):
            story.status, story.moderation_reason_code, story.moderation_reason = replica.status, mod["code"], mod["note"]
            story.moderated_by_id = moderator.id if moderator else None
            story.moderated_at = mod["at"]
            changed = True
        else:
            peer.note_conflict("story", story_id, "central_moderation_wins")
    if changed:
        story.updated_at = now
        story.ever_published = bool(story.ever_published or replica.ever_published or story.status == STATUS_PUBLISHED)
        story.revision = revs.next()
        db.session.flush()
        return records.UPDATED, story
    return records.UNCHANGED, story


def _withdraw(story_id, story, author, revs) -> tuple[str, Story]:
    now = utcnow()
    if story is None:  # withdrawn before this side ever had it: a tombstone, so it never comes back
        story = Story(id=story_id, author_id=author.id if author else None, community_id=None, language="und",
                      visibility="facilitators", etag="", status=STATUS_WITHDRAWN, received_at=now,
                      updated_at=now, revision=revs.next())
        db.session.add(story)
        db.session.flush()
        return records.CREATED, story
    if story.status == STATUS_WITHDRAWN:
        return records.UNCHANGED, story
    audit.record("story.withdraw", author, story_id=story.id, community_id=story.community_id, via="node")
    service.erase_content(author, story, revs=revs)
    story.status = STATUS_WITHDRAWN
    story.updated_at = now
    story.revision = revs.next()
    db.session.flush()
    return records.UPDATED, story
