"""Help requests: asking, claiming, answering and closing; the queue; the numbers.

Pages (routes.py) and the sync (records.py) come here; every check is in kultialogo.policy.
Writers call these inside a write transaction with a RevisionBlock (``revs``): each change
takes a revision, so the pull cursor carries it to the phones of those who may see it.
"""
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from statistics import median

from limits import parse_many
from sqlalchemy import String, and_, cast, false, func, or_, select

from .. import attachments, audit, limits, policy, records
from ..accounts.models import Account
from ..communities.models import Community
from ..errors import Problem
from ..extensions import db, limiter
from ..database import write_transaction
from ..revisions import RevisionBlock
from ..timeutil import as_utc, isoformat, utcnow
from ..userinput import clean_language, clean_text
from .models import (CONSENT_KINDS, CONSENT_SELF, OUTCOMES, STATE_CLAIMED, STATE_CLOSED, STATE_OPEN, TOPICS,
                     HelpMessage, HelpRequest)

CREATED, UNCHANGED, UPDATED, CONFLICT = "created", "unchanged", "updated", "conflict"


# --- Checking what people send ----------------------------------------------------------------

def clean_request(topic, language, body, has_recording: bool = False) -> tuple[str, str, str]:
    if topic is None:
        raise Problem("missing_field", field="topic")
    if topic not in TOPICS:
        raise Problem("bad_help_topic", field="topic")
    if language is None:
        raise Problem("missing_field", field="language")
    language = clean_language(language)
    if body is None:
        raise Problem("missing_field", field="body")
    body = clean_text(body, "body", limits.HELP_BODY_MAX, multiline=True)
    if not body.strip() and not has_recording:  # asked by voice: the words may be left out
        raise Problem("empty", field="body")
    return topic, language, body


def clean_message(body, has_recording: bool = False) -> str:
    if body is None:
        raise Problem("missing_field", field="body")
    body = clean_text(body, "body", limits.HELP_MESSAGE_MAX, multiline=True)
    if not body.strip() and not has_recording:
        raise Problem("empty", field="body")
    return body


def clean_outcome(outcome) -> str:
    if outcome not in OUTCOMES:
        raise Problem("bad_help_outcome", field="outcome")
    return outcome


# --- One budget per person for requests and messages ------------------------------------------

HELP_SCOPE = "help-writes"


def help_limits() -> str:
    return f"{limits.HELP_WRITES_PER_MINUTE} per minute;{limits.HELP_WRITES_PER_HOUR} per hour"


def spend_help_budget(actor) -> None:
    """Count one request or message against the person's budget (pages and pushes alike), or
    refuse it with 429 help_rate_limited: the phone keeps it and sends it again later."""
    if not limiter.enabled:
        return  # RATELIMIT_ENABLED off (the size bench, some tests): no storage to count in
    strategy = limiter.limiter
    budgets = parse_many(help_limits())
    key = f"help:{actor.id}"
    for budget in budgets:
        if not strategy.test(budget, key, HELP_SCOPE):
            raise Problem("help_rate_limited", status=429, max=budget.amount)
    for budget in budgets:
        strategy.hit(budget, key, HELP_SCOPE)


# --- Reading ----------------------------------------------------------------------------------

def find(sync_id) -> HelpRequest | None:
    return db.session.scalar(select(HelpRequest).where(HelpRequest.sync_id == sync_id))


def get_for(viewer, sync_id) -> HelpRequest:
    """The request if this viewer may see it; otherwise 404, never saying that it exists."""
    found = find(sync_id)
    if found is None or not policy.can_see_help_request(viewer, found):
        raise Problem("not_found", status=404)
    return found


def requests_of(person) -> list[HelpRequest]:
    return list(db.session.scalars(select(HelpRequest).where(HelpRequest.asker_id == person.id)
                                   .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())))


def queue(helper) -> dict[str, list[HelpRequest]]:
    """The open and claimed requests of the communities this person helps in, by topic (in the
    fixed order of TOPICS), oldest first: who waits longest comes first."""
    ids = helper.helped_community_ids() if policy.signed_in(helper) else set()
    if not ids:
        return {}
    rows = db.session.scalars(select(HelpRequest).where(
        HelpRequest.community_id.in_(ids), HelpRequest.state != STATE_CLOSED)
        .order_by(HelpRequest.created_at, HelpRequest.id))
    grouped: dict[str, list[HelpRequest]] = {}
    for row in rows:
        grouped.setdefault(row.topic, []).append(row)
    return {topic: grouped[topic] for topic in TOPICS if topic in grouped}


def askable_communities(person) -> list[Community]:
    return sorted((m.community for m in person.memberships), key=lambda c: c.slug)


def people_to_ask_for(actor) -> list[tuple[Community, list[Account]]]:
    """Members of the communities this facilitator facilitates, for whom they may open a request."""
    ids = actor.facilitated_community_ids()
    out = []
    for community in sorted((m.community for m in actor.memberships if m.community_id in ids), key=lambda c: c.slug):
        members = db.session.scalars(select(Account).join(Account.memberships).where(
            Account.memberships.any(community_id=community.id), Account.id != actor.id)
            .distinct().order_by(Account.username))
        out.append((community, list(members)))
    return out


# --- Writing (inside the caller's write transaction) --------------------------------------------

@dataclass
class Outcome:
    result: str
    request: HelpRequest | None = None
    message: HelpMessage | None = None


def ask(actor, community_id: int, topic: str, language: str, body: str, revs, *, sync_id=None,
        asker=None, consent_kind: str = CONSENT_SELF, media=None) -> Outcome:
    """Open a request. ``asker``: the person a facilitator opens it for (with consent_kind
    verbal or written); otherwise the actor asks for themselves. The same id again with the same
    content is unchanged (a replay), with other content a conflict."""
    asker = asker or actor
    if asker.id != actor.id:
        if not policy.can_ask_for_help_for(actor, asker, community_id):
            raise Problem("forbidden", status=403)
        if consent_kind not in CONSENT_KINDS or consent_kind == CONSENT_SELF:
            raise Problem("bad_consent", field="consent_kind")
    elif not policy.can_ask_for_help(actor, community_id):
        raise Problem("not_member", status=403, field="community")
    if sync_id is not None:
        found = find(sync_id)
        if found is not None:
            if not policy.can_see_help_request(actor, found) and found.recorded_by_id != actor.id:
                raise Problem("forbidden", status=403, field="id")
            same = (found.community_id, found.asker_id, found.topic, found.language, found.body) == (
                community_id, asker.id, topic, language, body) and (not media or found.media == media)
            return Outcome(UNCHANGED if same else CONFLICT, found)
    spend_help_budget(actor)
    now = utcnow()
    request = HelpRequest(sync_id=sync_id or uuid.uuid4(), community_id=community_id, asker_id=asker.id,
                          topic=topic, language=language, body=body, media=list(media or []),
                          state=STATE_OPEN, created_at=now,
                          revision=revs.next())
    if asker.id != actor.id:
        request.recorded_by_id, request.consent_kind, request.consent_at = actor.id, consent_kind, now
    db.session.add(request)
    db.session.flush()
    # Not in the audit log: who asked for help is for the asker and the helpers only, and the
    # audit log is exported (the consent record stays on the request itself).
    return Outcome(CREATED, request)


def _claim(actor, request: HelpRequest, revs) -> None:
    request.state, request.claimed_by_id = STATE_CLAIMED, actor.id
    request.revision = revs.next()


def claim(actor, request: HelpRequest, revs) -> str:
    if request.state == STATE_CLAIMED and request.claimed_by_id == actor.id:
        return UNCHANGED
    if not policy.can_claim_help_request(actor, request):
        raise Problem("help_not_claimable", status=409)
    _claim(actor, request, revs)
    audit.record("help.claim", actor, community_id=request.community_id)
    return UPDATED


def answer(actor, request: HelpRequest, body: str, revs, *, sync_id=None, media=None) -> Outcome:
    """Add a message. A helper's first answer on an unclaimed request claims it, and the first
    answer of any helper is the request's time to first answer (the dashboard's median)."""
    if sync_id is not None:
        found = db.session.scalar(select(HelpMessage).where(HelpMessage.sync_id == sync_id))
        if found is not None:
            if found.author_id != actor.id:
                raise Problem("forbidden", status=403, field="id")
            same = (found.request_id, found.body) == (request.id, body) and (not media or found.media == media)
            return Outcome(UNCHANGED if same else CONFLICT, request, found)
    if not policy.can_answer_help_request(actor, request):
        if request.state == STATE_CLOSED:
            raise Problem("help_closed", status=409)
        raise Problem("forbidden", status=403)
    spend_help_budget(actor)
    now = utcnow()
    message = HelpMessage(sync_id=sync_id or uuid.uuid4(), request_id=request.id, author_id=actor.id,
                          body=body, media=list(media or []), created_at=now, revision=revs.next())
    db.session.add(message)
    if actor.id != request.asker_id:
        changed = False
        if request.claimed_by_id is None:
            request.state, request.claimed_by_id, changed = STATE_CLAIMED, actor.id, True
        if request.first_answer_at is None:
            request.first_answer_at, changed = now, True
        if changed:
            request.revision = revs.next()
    db.session.flush()
    return Outcome(CREATED, request, message)


def close(actor, request: HelpRequest, outcome: str, revs) -> str:
    if request.state == STATE_CLOSED:
        return UNCHANGED
    if not policy.can_close_help_request(actor, request):
        raise Problem("forbidden", status=403)
    if actor.id == request.asker_id and not policy.helps_in(actor, request.community_id):
        outcome = "no_longer_needed"  # the asker says they no longer need it; helpers say how it ended
    request.state, request.outcome, request.closed_at = STATE_CLOSED, clean_outcome(outcome), utcnow()
    request.revision = revs.next()
    audit.record("help.close", actor, community_id=request.community_id, outcome=request.outcome)
    return UPDATED


@contextmanager
def writing():
    """One write transaction for a page's change: yields the RevisionBlock the writers take."""
    with write_transaction():
        revs = RevisionBlock(db.session)
        yield revs
        revs.flush()


# --- Views (the sync's records, the data download) ---------------------------------------------

def request_view(request: HelpRequest, viewer=None) -> dict:
    out = {"type": "help_request", "id": str(request.sync_id), "community": request.community.slug,
           "topic": request.topic, "language": request.language, "body": request.body,
           "media": list(request.media or []), "state": request.state, "outcome": request.outcome,
           "asker": request.asker.username if request.asker else None,
           "claimed_by": request.claimed_by.username if request.claimed_by else None,
           "created_at": isoformat(request.created_at), "first_answer_at": isoformat(request.first_answer_at),
           "closed_at": isoformat(request.closed_at), "consent": {"kind": request.consent_kind,
                                                                   "at": isoformat(request.consent_at)},
           "revision": request.revision}
    return out


def message_view(message: HelpMessage) -> dict:
    return {"type": "help_message", "id": str(message.sync_id), "request": str(message.request.sync_id),
            "body": message.body, "media": list(message.media or []),
            "author": message.author.username if message.author else None,
            "from_asker": message.author_id is not None and message.author_id == message.request.asker_id,
            "created_at": isoformat(message.created_at), "revision": message.revision}


def visible_clause(viewer):
    """SQL condition over HelpRequest for the requests this viewer may see (None: nothing)."""
    if not policy.signed_in(viewer):
        return None
    helped = viewer.helped_community_ids()
    clause = HelpRequest.asker_id == viewer.id
    if helped:
        clause = or_(clause, HelpRequest.community_id.in_(helped))
    return clause


TOMBSTONE_AUDIENCE = "help"  # records.Tombstone.audience of deleted requests and messages


def tombstone_clause(viewer):
    """Tombstones of deleted requests and messages go to the same people as the records did:
    the asker (owner_id) and the helpers of the community."""
    tomb = records.Tombstone
    helped = viewer.helped_community_ids()
    return and_(tomb.audience == TOMBSTONE_AUDIENCE,
                or_(tomb.owner_id == viewer.id, tomb.community_id.in_(helped) if helped else false()))


def _with_tombstones(kind: str, viewer, out, since: int, limit: int):
    out += records.tombstones(kind, since, limit, tombstone_clause(viewer))
    return sorted(out, key=lambda change: change[0])[:limit]


def request_changes(viewer, since: int, limit: int) -> list[tuple[int, dict]]:
    visible = visible_clause(viewer)
    if visible is None:
        return []
    rows = db.session.scalars(select(HelpRequest).where(HelpRequest.revision > since, visible)
                              .order_by(HelpRequest.revision).limit(limit))
    return _with_tombstones("help_request", viewer, [(row.revision, request_view(row)) for row in rows],
                            since, limit)


def message_changes(viewer, since: int, limit: int) -> list[tuple[int, dict]]:
    visible = visible_clause(viewer)
    if visible is None:
        return []
    rows = db.session.scalars(select(HelpMessage).join(HelpRequest, HelpRequest.id == HelpMessage.request_id)
                              .where(HelpMessage.revision > since, visible)
                              .order_by(HelpMessage.revision).limit(limit))
    return _with_tombstones("help_message", viewer, [(row.revision, message_view(row)) for row in rows],
                            since, limit)


def help_for_activity(viewer, since_revision: int, limit: int, newest: bool = False) -> list[tuple[int, dict]]:
    """For the activity list (activity/ registers this as a source): what happened after
    ``since_revision`` that concerns this viewer, as (revision, entry), oldest first.

    The asker: new messages from others in their requests, and their requests' changes of
    state (claimed, closed). A mediator or coach: new requests in the communities they help in.
    Entries carry no text of the request (a neutral line is the caller's): {"kind":
    "help_message" | "help_state" | "help_new", "request": id, "topic", "state", "at", "revision"}
    ("at": when it happened, as far as the request knows). ``newest``: the latest ``limit``,
    newest first (the /activity page). Nobody else ever gets anything from here.
    """
    order = (lambda column: column.desc()) if newest else (lambda column: column)
    if not policy.signed_in(viewer):
        return []
    out: list[tuple[int, dict]] = []
    mine = db.session.scalars(select(HelpMessage).join(HelpRequest, HelpRequest.id == HelpMessage.request_id)
                              .where(HelpRequest.asker_id == viewer.id, HelpMessage.revision > since_revision,
                                     or_(HelpMessage.author_id.is_(None), HelpMessage.author_id != viewer.id))
                              .order_by(order(HelpMessage.revision)).limit(limit))
    for m in mine:
        out.append((m.revision, {"kind": "help_message", "request": str(m.request.sync_id),
                                 "topic": m.request.topic, "state": m.request.state,
                                 "at": isoformat(m.created_at), "revision": m.revision}))
    states = db.session.scalars(select(HelpRequest).where(
        HelpRequest.asker_id == viewer.id, HelpRequest.revision > since_revision,
        HelpRequest.state != STATE_OPEN).order_by(order(HelpRequest.revision)).limit(limit))
    for r in states:
        # a claim keeps no time of its own: the first answer's, else the request's
        at = r.closed_at or r.first_answer_at or r.created_at
        out.append((r.revision, {"kind": "help_state", "request": str(r.sync_id), "topic": r.topic,
                                 "state": r.state, "at": isoformat(at), "revision": r.revision}))
    helped = viewer.helped_community_ids()
    if helped:
        new = db.session.scalars(select(HelpRequest).where(
            HelpRequest.community_id.in_(helped), HelpRequest.asker_id != viewer.id,
            HelpRequest.state == STATE_OPEN, HelpRequest.revision > since_revision)
            .order_by(order(HelpRequest.revision)).limit(limit))
        for r in new:
            out.append((r.revision, {"kind": "help_new", "request": str(r.sync_id), "topic": r.topic,
                                     "state": r.state, "at": isoformat(r.created_at), "revision": r.revision}))
    return sorted(out, key=lambda entry: entry[0], reverse=newest)[:limit]


# --- Recordings (attachments.py): heard only by those who see the request ----------------------

def _naming(column, sha256: str):
    return cast(column, String).like(f'%"{sha256}"%')


def requests_naming(sha256: str):
    return select(HelpRequest.id).where(_naming(HelpRequest.media, sha256))


def messages_naming(sha256: str):
    return select(HelpMessage.id).where(_naming(HelpMessage.media, sha256))


def request_named_in_community(sha256: str, community_id: int) -> bool:
    return db.session.scalar(requests_naming(sha256).where(HelpRequest.community_id == community_id).limit(1)) is not None


def message_named_in_community(sha256: str, community_id: int) -> bool:
    return db.session.scalar(messages_naming(sha256).join(HelpRequest, HelpRequest.id == HelpMessage.request_id)
                             .where(HelpRequest.community_id == community_id).limit(1)) is not None


def may_hear_request(viewer, sha256: str) -> bool:
    found = db.session.scalars(select(HelpRequest).where(_naming(HelpRequest.media, sha256)))
    return any(policy.can_see_help_request(viewer, r) for r in found)


def may_hear_message(viewer, sha256: str) -> bool:
    found = db.session.scalars(select(HelpMessage).where(_naming(HelpMessage.media, sha256)))
    return any(policy.can_see_help_request(viewer, m.request) for m in found)


def recordings(record) -> list[dict]:
    """A request's or message's recording for the page (``help_recordings`` in templates)."""
    return [item for item in attachments.describe(record.media) if item["kind"] == "audio"]


# --- A person's data ------------------------------------------------------------------------

def personal_export(person) -> dict:
    """Their own requests, each with its whole thread, and the messages they wrote as a helper."""
    # "media": the recordings' SHA-256; their bytes are in media/ of the same download.
    own = [{**request_view(r), "messages": [message_view(m) for m in r.messages]}
           for r in requests_of(person)]
    answered = db.session.scalars(select(HelpMessage).join(HelpRequest, HelpRequest.id == HelpMessage.request_id)
                                  .where(HelpMessage.author_id == person.id, HelpRequest.asker_id != person.id)
                                  .order_by(HelpMessage.created_at))
    return {"help_requests.json": own, "help_messages.json": [message_view(m) for m in answered]}


def forget(person, choice, revs) -> None:
    """Always deleted, whatever the person chose for their stories: their requests with every
    message in them, and the messages they wrote in other people's requests. Each leaves a
    tombstone (an id only) for the phones that held it: the community's helpers, the asker."""
    for request in requests_of(person):
        attachments.release(request.media)  # recordings go once this commits
        for message in request.messages:
            attachments.release(message.media)
            records.bury("help_message", message.sync_id, revs, community_id=request.community_id,
                         audience=TOMBSTONE_AUDIENCE)
        records.bury("help_request", request.sync_id, revs, community_id=request.community_id,
                     audience=TOMBSTONE_AUDIENCE)
        db.session.delete(request)
    db.session.flush()
    for message in db.session.scalars(select(HelpMessage).where(HelpMessage.author_id == person.id)):
        records.bury("help_message", message.sync_id, revs, community_id=message.request.community_id,
                     owner_id=message.request.asker_id, audience=TOMBSTONE_AUDIENCE)
        attachments.release(message.media)
        db.session.delete(message)
    db.session.flush()


# --- Numbers (the dashboard, exports): counts only, never text or people ------------------------

def counts(community_ids, start=None, end=None) -> list[dict]:
    """Requests by community, topic, state and outcome, made in [start, end) if given.
    ``community_ids``: None for every community."""
    query = (select(HelpRequest.community_id, HelpRequest.topic, HelpRequest.state, HelpRequest.outcome,
                    func.count().label("n"))
             .group_by(HelpRequest.community_id, HelpRequest.topic, HelpRequest.state, HelpRequest.outcome))
    if community_ids is not None:
        if not community_ids:
            return []
        query = query.where(HelpRequest.community_id.in_(community_ids))
    if start is not None:
        query = query.where(HelpRequest.created_at >= start)
    if end is not None:
        query = query.where(HelpRequest.created_at < end)
    return [{"community_id": row.community_id, "topic": row.topic, "state": row.state,
             "outcome": row.outcome, "count": row.n} for row in db.session.execute(query)]


def median_hours_to_first_answer(community_ids, start=None, end=None) -> float | None:
    query = select(HelpRequest.created_at, HelpRequest.first_answer_at).where(HelpRequest.first_answer_at.is_not(None))
    if community_ids is not None:
        if not community_ids:
            return None
        query = query.where(HelpRequest.community_id.in_(community_ids))
    if start is not None:
        query = query.where(HelpRequest.created_at >= start)
    if end is not None:
        query = query.where(HelpRequest.created_at < end)
    waits = [(as_utc(answered) - as_utc(asked)).total_seconds() / 3600 for asked, answered in db.session.execute(query)]
    return round(median(waits), 1) if waits else None
