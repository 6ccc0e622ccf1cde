"""Help requests and their messages between a camp node and central (docs/sync.md, Camp nodes).

A request's replica is the whole request of the node's community: asker, claimer and the
facilitator who opened it for someone by uid, topic, language, words, state and times; a
message's is its request, author by uid, words and time; a deleted one is {"type", "id",
"deleted": true}. Applying one follows the rules, whichever side applies it:
- neither is ever edited: words, asker, topic and language are those it was made with (the
  same id with other words is ``content_conflict``, and each side keeps its own);
- a request only moves forward, open → claimed → closed, so the two sides merge by taking the
  further state: a close (with its outcome and time) made on either side stands; the earlier
  first answer stands; when both sides claimed it for different people, central's claimer
  stays (``central_moderation_wins``);
- a deletion (the asker's account deleted) wins on both sides (``deletion_wins``).
Replicated ones spend nobody's help budget (the side where they were written spent it). Both
sides show them only to the asker and the community's mediators and coaches (policy.py): a
node learns who those are with the accounts (accounts/records.py).
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import attachments, limits, records
from ..accounts.uids import account_id, accounts_by_uid, as_text, parse_uid, uids_of
from ..errors import Problem
from ..extensions import db
from ..stories.schema import parse_time
from ..stories.service import missing_media
from ..timeutil import as_utc, isoformat, utcnow
from ..userinput import clean_language, clean_text
from .models import CONSENT_KINDS, OUTCOMES, STATE_CLOSED, STATE_OPEN, STATES, TOPICS, HelpMessage, HelpRequest
from .service import TOMBSTONE_AUDIENCE, find

REQUEST, MESSAGE = "help_request", "help_message"
_ORDER = {state: n for n, state in enumerate(STATES)}  # open < claimed < closed


@dataclass
class RequestReplica:
    deleted: bool
    asker: uuid.UUID | None = None
    topic: str = ""
    language: str = ""
    body: str = ""
    state: str = STATE_OPEN
    outcome: str | None = None
    claimed_by: uuid.UUID | None = None
    recorded_by: uuid.UUID | None = None
    consent_kind: str = "self"
    created_at: datetime | None = None
    first_answer_at: datetime | None = None
    closed_at: datetime | None = None
    consent_at: datetime | None = None
    media: tuple = ()  # a recording, sent before the replica (nodes/replication.py)


@dataclass
class MessageReplica:
    deleted: bool
    request: uuid.UUID | None = None
    author: uuid.UUID | None = None
    body: str = ""
    created_at: datetime | None = None
    media: tuple = ()


# --- Reading ------------------------------------------------------------------------------------

def request_replica(r: HelpRequest, uids: dict) -> dict:
    return {"type": REQUEST, "id": str(r.sync_id), "asker": as_text(uids.get(r.asker_id)), "topic": r.topic,
            "language": r.language, "body": r.body, "media": list(r.media or []), "state": r.state, "outcome": r.outcome,
            "claimed_by": as_text(uids.get(r.claimed_by_id)), "recorded_by": as_text(uids.get(r.recorded_by_id)),
            "consent_kind": r.consent_kind, "created_at": isoformat(r.created_at),
            "first_answer_at": isoformat(r.first_answer_at), "closed_at": isoformat(r.closed_at),
            "consent_at": isoformat(r.consent_at)}


def message_replica(m: HelpMessage, uids: dict) -> dict:
    return {"type": MESSAGE, "id": str(m.sync_id), "request": str(m.request.sync_id),
            "author": as_text(uids.get(m.author_id)), "body": m.body, "media": list(m.media or []),
            "created_at": isoformat(m.created_at)}


def request_replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    rows = list(db.session.scalars(select(HelpRequest).where(
        HelpRequest.revision > since, HelpRequest.community_id == peer.community_id)
        .order_by(HelpRequest.revision).limit(limit)))
    uids = uids_of([i for r in rows for i in (r.asker_id, r.claimed_by_id, r.recorded_by_id)])
    return records.with_tombstones(REQUEST, [(r.revision, request_replica(r, uids)) for r in rows],
                                   since, limit, peer.community_id)


def message_replicas(peer, since: int, limit: int) -> list[tuple[int, dict]]:
    rows = list(db.session.scalars(select(HelpMessage).join(HelpRequest, HelpRequest.id == HelpMessage.request_id)
                                   .where(HelpMessage.revision > since, HelpRequest.community_id == peer.community_id)
                                   .order_by(HelpMessage.revision).limit(limit)))
    uids = uids_of(m.author_id for m in rows)
    return records.with_tombstones(MESSAGE, [(m.revision, message_replica(m, uids)) for m in rows],
                                   since, limit, peer.community_id)


def as_they_stand(kind: str, ids) -> dict[str, dict]:
    """{id: replica} of these records as they now stand here (deleted ones as such)."""
    ids = list(dict.fromkeys(ids))
    model = HelpRequest if kind == REQUEST else HelpMessage
    found = {row.sync_id: row for row in db.session.scalars(select(model).where(model.sync_id.in_(ids)))} if ids else {}
    if kind == REQUEST:
        uids = uids_of([i for r in found.values() for i in (r.asker_id, r.claimed_by_id, r.recorded_by_id)])
        live = {i: request_replica(r, uids) for i, r in found.items()}
    else:
        uids = uids_of(m.author_id for m in found.values())
        live = {i: message_replica(m, uids) for i, m in found.items()}
    return {str(i): live[i] if i in live else records.deleted_replica(kind, i) for i in ids}


# --- Checking -----------------------------------------------------------------------------------

def _time(data, key):
    return parse_time(data.get(key), f"data.{key}")


def parse_request(data: dict) -> RequestReplica:
    if records.is_deleted_replica(data):
        return RequestReplica(deleted=True)
    topic, state, outcome, consent = data.get("topic"), data.get("state"), data.get("outcome"), data.get("consent_kind")
    if topic not in TOPICS:
        raise Problem("bad_help_topic", field="data.topic")
    if state not in STATES:
        raise Problem("bad_request", field="data.state")
    if outcome is not None and outcome not in OUTCOMES:
        raise Problem("bad_help_outcome", field="data.outcome")
    if consent not in CONSENT_KINDS:
        raise Problem("bad_consent", field="data.consent_kind")
    return RequestReplica(
        deleted=False, asker=parse_uid(data.get("asker"), "data.asker"), topic=topic,
        language=clean_language(data.get("language")),
        body=clean_text(data.get("body") or "", "data.body", limits.HELP_BODY_MAX, multiline=True),
        state=state, outcome=outcome, claimed_by=parse_uid(data.get("claimed_by"), "data.claimed_by"),
        recorded_by=parse_uid(data.get("recorded_by"), "data.recorded_by"), consent_kind=consent,
        created_at=_time(data, "created_at") or utcnow(), first_answer_at=_time(data, "first_answer_at"),
        closed_at=_time(data, "closed_at"), consent_at=_time(data, "consent_at"),
        media=attachments.parse_recordings(data.get("media"), "data.media"))


def parse_message(data: dict) -> MessageReplica:
    if records.is_deleted_replica(data):
        return MessageReplica(deleted=True)
    return MessageReplica(
        deleted=False, request=records.parse_uuid(data.get("request"), "data.request"),
        author=parse_uid(data.get("author"), "data.author"),
        body=clean_text(data.get("body") or "", "data.body", limits.HELP_MESSAGE_MAX, multiline=True),
        created_at=_time(data, "created_at") or utcnow(),
        media=attachments.parse_recordings(data.get("media"), "data.media"))


# --- Applying -----------------------------------------------------------------------------------

def _gone(peer, kind: str, row, sync_id, revs) -> str:
    """Deleted on the other side: deleted here too, and never brought back."""
    if row is not None:
        if kind == REQUEST:
            for message in row.messages:
                records.bury(MESSAGE, message.sync_id, revs, community_id=row.community_id,
                             owner_id=row.asker_id, audience=TOMBSTONE_AUDIENCE)
        community, owner = (row.community_id, row.asker_id) if kind == REQUEST else (
            row.request.community_id, row.request.asker_id)
        records.bury(kind, sync_id, revs, community_id=community, owner_id=owner, audience=TOMBSTONE_AUDIENCE)
        db.session.delete(row)
        db.session.flush()
        return records.UPDATED
    if records.is_buried(kind, sync_id):
        return records.UNCHANGED
    records.bury(kind, sync_id, revs, community_id=peer.community_id, audience=TOMBSTONE_AUDIENCE)
    return records.UPDATED


def _earlier(a, b):
    if a is None or b is None:
        return a or b
    return a if as_utc(a) <= as_utc(b) else b


def apply_request(peer, sync_id: uuid.UUID, r: RequestReplica, revs) -> str:
    found = find(sync_id)
    if r.deleted:
        return _gone(peer, REQUEST, found, sync_id, revs)
    if found is None and records.is_buried(REQUEST, sync_id):
        peer.note_conflict(REQUEST, sync_id, "deletion_wins")
        return records.UNCHANGED
    people = accounts_by_uid([r.asker, r.claimed_by, r.recorded_by])
    asker = account_id(r.asker, people, "data.asker")
    if asker is None:
        raise Problem("no_such_account", status=409, field="data.asker")
    claimed_by = account_id(r.claimed_by, people, "data.claimed_by")
    recorded_by = account_id(r.recorded_by, people, "data.recorded_by")
    if found is None:
        if missing_media(r.media):
            return records.MEDIA_MISSING  # the node sends files first; the next sync brings it
        db.session.add(HelpRequest(
            sync_id=sync_id, community_id=peer.community_id, asker_id=asker, topic=r.topic, language=r.language,
            body=r.body, media=list(r.media), state=r.state, outcome=r.outcome, claimed_by_id=claimed_by, created_at=r.created_at,
            first_answer_at=r.first_answer_at, closed_at=r.closed_at, recorded_by_id=recorded_by,
            consent_kind=r.consent_kind, consent_at=r.consent_at, revision=revs.next()))
        db.session.flush()
        return records.CREATED
    if found.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="id")
    if (found.asker_id, found.topic, found.language, found.body) != (asker, r.topic, r.language, r.body):
        peer.note_conflict(REQUEST, sync_id, "content_conflict")  # never edited: each keeps its words
    before = (found.state, found.outcome, found.claimed_by_id, found.first_answer_at, found.closed_at)
    if _ORDER[r.state] > _ORDER[found.state]:
        found.state = r.state
    if r.state == STATE_CLOSED and found.outcome is None:
        found.outcome, found.closed_at = r.outcome, r.closed_at
    if claimed_by is not None and claimed_by != found.claimed_by_id:
        if found.claimed_by_id is None or peer.from_central:
            found.claimed_by_id = claimed_by
        else:
            peer.note_conflict(REQUEST, sync_id, "central_moderation_wins")
    found.first_answer_at = _earlier(found.first_answer_at, r.first_answer_at)
    if (found.state, found.outcome, found.claimed_by_id, found.first_answer_at, found.closed_at) == before:
        return records.UNCHANGED
    found.revision = revs.next()
    db.session.flush()
    return records.UPDATED


def apply_message(peer, sync_id: uuid.UUID, r: MessageReplica, revs) -> str:
    found = db.session.scalar(select(HelpMessage).where(HelpMessage.sync_id == sync_id))
    if r.deleted:
        return _gone(peer, MESSAGE, found, sync_id, revs)
    if found is None and records.is_buried(MESSAGE, sync_id):
        peer.note_conflict(MESSAGE, sync_id, "deletion_wins")
        return records.UNCHANGED
    request = find(r.request)
    if request is None:
        if records.is_buried(REQUEST, r.request):  # its request was deleted here: so is it
            peer.note_conflict(MESSAGE, sync_id, "deletion_wins")
            records.bury(MESSAGE, sync_id, revs, community_id=peer.community_id, audience=TOMBSTONE_AUDIENCE)
            return records.UNCHANGED
        raise Problem("unknown_help_request", field="data.request")  # in a later chunk or page
    if request.community_id != peer.community_id:
        raise Problem("forbidden", status=403, field="data.request")
    people = accounts_by_uid([r.author])
    author = account_id(r.author, people, "data.author")
    if found is not None:
        if (found.request_id, found.author_id, found.body) != (request.id, author, r.body):
            peer.note_conflict(MESSAGE, sync_id, "content_conflict")  # never edited: each keeps its words
        return records.UNCHANGED
    if missing_media(r.media):
        return records.MEDIA_MISSING
    db.session.add(HelpMessage(sync_id=sync_id, request_id=request.id, author_id=author, body=r.body,
                               media=list(r.media), created_at=r.created_at, revision=revs.next()))
    db.session.flush()
    return records.CREATED
