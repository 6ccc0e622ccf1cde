"""Translations between a camp node and the central server (docs/sync.md, Camp nodes).

A replica is the whole translation as one side stores it: its story, language and text, the
translator by uid, its status and times, and its etag; a deleted one is {"type", "id",
"deleted": true}. Applying one follows the rules, whichever side applies it:
- the translator owns the content: the other side's text is taken when this side has not
  changed it since the base both agreed on; if both changed it, central keeps its own and the
  conflict ``content_conflict`` is listed (a node takes central's, and lists it too);
- central owns the review (``status``): a node's is taken when central's has not changed since
  the base, else ``central_moderation_wins``;
- a deletion made anywhere wins (removed, rejected in review, its story withdrawn): the
  translation is deleted on both sides and never comes back (``deletion_wins``);
- one translation per story and language: when the node's and central's are two different
  translations into one language, central's stays and the node's is deleted
  (``translation_exists``).
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from .. import audit, limits, records
from ..accounts.uids import account_id, accounts_by_uid, as_text, parse_uid, uids_of
from ..errors import Problem
from ..extensions import db
from ..stories.models import AUTHOR_DISPLAYS, STATUS_WITHDRAWN, Story
from ..stories.schema import parse_time
from ..stories.service import content_etag
from ..timeutil import isoformat, utcnow
from ..userinput import clean_language, clean_text
from . import service
from .models import TRANSLATION_PUBLISHED, TRANSLATION_STATUSES, StoryTranslation

NAME = "translation"


@dataclass
class Replica:
    deleted: bool
    story: uuid.UUID | None = None
    language: str = ""
    title: str = ""
    body: str = ""
    translator_display: str = "pseudonym"
    translator: uuid.UUID | None = None
    status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    base: dict = field(default_factory=dict)  # {"etag", "status"} both sides last agreed on

    def etag(self) -> str:
        return content_etag({"story": str(self.story), "language": self.language, "title": self.title,
                             "body": self.body, "translator_display": self.translator_display})


# --- Reading ------------------------------------------------------------------------------------

def etag(translation: StoryTranslation) -> str:
    return content_etag({"story": str(translation.story_id), "language": translation.language,
                         "title": translation.title, "body": translation.body,
                         "translator_display": translation.translator_display})


def replica_of(t: StoryTranslation, uids: dict) -> dict:
    return {"type": NAME, "id": str(t.sync_id), "story": str(t.story_id), "language": t.language,
            "title": t.title, "body": t.body, "translator_display": t.translator_display,
            "translator": as_text(uids.get(t.translator_id)), "status": t.status,
            "created_at": isoformat(t.created_at), "updated_at": isoformat(t.updated_at), "etag": etag(t)}


def replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    rows = list(db.session.scalars(
        select(StoryTranslation).join(Story, Story.id == StoryTranslation.story_id)
        .where(StoryTranslation.revision > since, Story.community_id == peer.community_id)
        .order_by(StoryTranslation.revision).limit(limit)))
    uids = uids_of(t.translator_id for t in rows)
    live = [(t.revision, replica_of(t, uids)) for t in rows]
    return records.with_tombstones(NAME, live, since, limit, peer.community_id)


def base_of(replica: dict) -> dict:
    return {"etag": replica.get("etag"), "status": replica.get("status")}


def as_they_stand(ids) -> dict[str, dict]:
    """{id: replica} of these translations as they now stand here; a deleted one (or one never
    held) as its deleted replica."""
    ids = list(dict.fromkeys(ids))
    found = {t.sync_id: t for t in db.session.scalars(
        select(StoryTranslation).where(StoryTranslation.sync_id.in_(ids)))} if ids else {}
    uids = uids_of(t.translator_id for t in found.values())
    return {str(i): replica_of(found[i], uids) if i in found else records.deleted_replica(NAME, i) for i in ids}


# --- Checking -----------------------------------------------------------------------------------

def parse(data: dict) -> Replica:
    """Check a replica without the database; raise Problem."""
    base = records.replica_base(data)
    if records.is_deleted_replica(data):
        return Replica(deleted=True, base=base)
    display, status = data.get("translator_display"), data.get("status")
    if display not in AUTHOR_DISPLAYS:
        raise Problem("bad_request", field="data.translator_display")
    if status not in TRANSLATION_STATUSES:
        raise Problem("bad_request", field="data.status")
    return Replica(
        deleted=False, story=records.parse_uuid(data.get("story"), "data.story"),
        language=clean_language(data.get("language")),
        title=clean_text(data.get("title") or "", "data.title", limits.STORY_TITLE_MAX, multiline=False),
        body=clean_text(data.get("body") or "", "data.body", limits.STORY_BODY_MAX, multiline=True),
        translator_display=display, translator=parse_uid(data.get("translator"), "data.translator"),
        status=status, created_at=parse_time(data.get("created_at"), "data.created_at") or utcnow(),
        updated_at=parse_time(data.get("updated_at"), "data.updated_at") or utcnow(), base=base)


# --- Applying -----------------------------------------------------------------------------------

def _find(sync_id) -> StoryTranslation | None:
    return db.session.scalar(select(StoryTranslation).where(StoryTranslation.sync_id == sync_id))


def _delete(translation: StoryTranslation, revs) -> None:
    story = translation.story
    if translation.status == TRANSLATION_PUBLISHED:
        story.revision = revs.next()  # the story's list of published translations changed
    service.bury(translation, story, revs)
    db.session.flush()


def _gone(peer, sync_id, revs) -> str:
    """This id is deleted here: remember it (a tombstone), so it is never brought back."""
    found = _find(sync_id)
    if found is not None:
        if not peer.from_central:
            audit.record("translation.remove", None, story_id=found.story_id,
                         community_id=found.story.community_id, language=found.language, via="node")
        _delete(found, revs)
        return records.UPDATED
    if records.is_buried(NAME, sync_id):
        return records.UNCHANGED
    records.bury(NAME, sync_id, revs, community_id=peer.community_id, audience="facilitators")
    return records.UPDATED


def _take(t: StoryTranslation, r: Replica, translator, *, content: bool, status: bool) -> None:
    if content:
        t.title, t.body, t.translator_display = r.title, r.body, r.translator_display
        t.translator = translator
        t.translator_id = translator.id if translator is not None else None
    if status:
        t.status = r.status
    t.updated_at = r.updated_at


def apply(peer, sync_id: uuid.UUID, r: Replica, revs) -> str:
    """Apply one replica inside the caller's savepoint; returns the result (the batch answers
    with the translation as it then stands here)."""
    if r.deleted:
        return _gone(peer, sync_id, revs)
    story = db.session.get(Story, r.story)
    if story is None:
        raise Problem("unknown_story", field="data.story")  # not here yet: the node sends stories first
    found = _find(sync_id)
    if found is not None and (found.story_id != r.story or found.language != r.language):
        raise Problem("id_mismatch", field="id")  # one id, one story and language
    if story.status == STATUS_WITHDRAWN:  # its translations went with it, here and there
        peer.note_conflict(NAME, sync_id, "withdrawal_wins", story=str(story.id))
        _gone(peer, sync_id, revs)
        return records.UNCHANGED
    if story.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.story")
    if found is None and records.is_buried(NAME, sync_id):
        peer.note_conflict(NAME, sync_id, "deletion_wins", story=str(story.id))
        return records.UNCHANGED
    people = accounts_by_uid([r.translator])
    translator_id = account_id(r.translator, people, "data.translator")

    if found is None:
        other = service.find(story.id, r.language)
        if other is not None:
            detail = {"story": str(story.id), "language": r.language, "kept": str(other.sync_id)}
            if not peer.from_central:  # central's stays; the node's goes (its answer: a tombstone)
                peer.note_conflict(NAME, sync_id, "translation_exists", **detail)
                _gone(peer, sync_id, revs)
                return records.CONFLICT
            # On a node: central's takes the slot, and the camp's one goes.
            peer.note_conflict(NAME, other.sync_id, "translation_exists", **{**detail, "kept": str(sync_id)})
            _delete(other, revs)
        t = StoryTranslation(story_id=story.id, language=r.language, title=r.title, body=r.body,
                             translator_id=translator_id, translator_display=r.translator_display,
                             status=r.status, created_at=r.created_at, updated_at=r.updated_at,
                             sync_id=sync_id, revision=revs.next())
        story.translations.append(t)
        records.unbury(NAME, sync_id)
        if r.status == TRANSLATION_PUBLISHED:
            story.revision = revs.next()
        if not peer.from_central:
            audit.record("translation.add", translator_id, story_id=story.id, community_id=story.community_id,
                         language=r.language, status=r.status, via="node")
        db.session.flush()
        return records.CREATED

    base = r.base or {}
    mine = etag(found)
    take_content = take_status = False
    if r.etag() != mine or translator_id != found.translator_id:
        if peer.from_central or records.strip_etag(base.get("etag")) == mine:
            take_content = True
            if peer.from_central and records.strip_etag(base.get("etag")) not in (mine, None):
                peer.note_conflict(NAME, sync_id, "content_conflict")  # both changed it: central's stands
        else:
            peer.note_conflict(NAME, sync_id, "content_conflict")
    if r.status != found.status:
        if peer.from_central or found.status == base.get("status"):
            take_status = True
        else:
            peer.note_conflict(NAME, sync_id, "central_moderation_wins")
    if not take_content and not take_status:
        stamps = (isoformat(r.created_at), isoformat(r.updated_at))
        if peer.from_central and (isoformat(found.created_at), isoformat(found.updated_at)) != stamps:
            found.created_at, found.updated_at = r.created_at, r.updated_at  # central's stamps, exactly
            found.revision = revs.next()
            return records.UPDATED
        return records.UNCHANGED
    was_published = found.status == TRANSLATION_PUBLISHED
    _take(found, r, people.get(r.translator), content=take_content, status=take_status)
    if peer.from_central:
        found.created_at = r.created_at
    found.revision = revs.next()
    if was_published or found.status == TRANSLATION_PUBLISHED:
        found.story.revision = revs.next()
    if not peer.from_central:
        audit.record("translation.update", translator_id, story_id=story.id, community_id=story.community_id,
                     language=found.language, status=found.status, via="node")
    db.session.flush()
    return records.UPDATED
