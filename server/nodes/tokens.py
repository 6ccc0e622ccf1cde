"""Node tokens (on the central server): what lets a camp node replicate one community, or one
event of it.

A token is ``kn_`` and 256 random bits, shown once when issued; only its SHA-256 is stored
and looked up by equality. The token is random, so a plain hash (no key, unlike join codes)
is enough, and the time a look-up takes says nothing about any token.

Who: site admins, and facilitators of the token's community (policy.can_manage_nodes).
"""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from .. import audit, policy
from ..communities.models import Community
from ..database import write_transaction
from ..errors import Problem
from ..events.models import Event
from ..extensions import db
from ..timeutil import as_utc, utcnow
from ..userinput import clean_text
from .models import NodeToken

PREFIX = "kn_"
TOKEN_MAX = 200  # what a presented token may be at most (NodeLink.token is String(200))
LABEL_MAX = 80
# last_seen_at is written at most this often: not one write for every chunk a node sends.
SEEN_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require(actor, community_id: int) -> None:
    if not policy.can_manage_nodes(actor, community_id):
        raise Problem("forbidden", status=403)


def issue(actor, community, *, event=None, label: str = "") -> tuple[str, NodeToken]:
    """A token for a camp node of ``community`` (or of one ``event`` of it, an Event or its id).

    Returns (token, record): the token is in no other place, so show it now.
    """
    _require(actor, community.id)
    event_id = getattr(event, "id", event)
    if event_id is not None:
        found = db.session.get(Event, event_id)
        if found is None or found.community_id != community.id:
            raise Problem("unknown_node_event", field="event")
    label = clean_text(label or "", "label", LABEL_MAX, multiline=False)
    token = PREFIX + secrets.token_urlsafe(32)
    record = NodeToken(token_hash=token_hash(token), community_id=community.id, event_id=event_id,
                       label=label, created_by_id=actor.id, created_at=utcnow())
    with write_transaction():
        db.session.add(record)
        db.session.flush()
        audit.record("node_token.issue", actor, community_id=community.id, node=record.id, event=event_id)
    return token, record


def revoke(actor, token_id: int) -> NodeToken:
    """Stop a token: the node's next request is refused. What it sent before stays."""
    with write_transaction():
        record = db.session.get(NodeToken, token_id)
        if record is None:
            raise Problem("not_found", status=404)
        _require(actor, record.community_id)
        if record.revoked_at is None:
            record.revoked_at = utcnow()
            audit.record("node_token.revoke", actor, community_id=record.community_id, node=record.id)
    return record


def node_for(token) -> NodeToken | None:
    """The live (not revoked) token record for a token a node presents, or None.

    Notes the time it was seen, at most once a minute, in its own write transaction: call it
    before opening yours (as authentication at the start of a request does), since that commits
    whatever the session holds.
    """
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > TOKEN_MAX:
        return None
    record = db.session.scalar(select(NodeToken).where(NodeToken.token_hash == token_hash(token)))
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    seen = as_utc(record.last_seen_at)
    if seen is None or seen < now - SEEN_EVERY:
        stale = or_(NodeToken.last_seen_at.is_(None), NodeToken.last_seen_at < now - SEEN_EVERY)
        with write_transaction() as session:  # conditional: two requests at once write once
            session.execute(update(NodeToken).where(NodeToken.id == record.id, stale)
                            .values(last_seen_at=now).execution_options(synchronize_session=False))
    return record


def tokens_for(actor) -> list[NodeToken]:
    """The tokens this actor may see, newest first: every one for a site admin, those of the
    communities they facilitate for a facilitator; anyone else is refused."""
    communities = policy.node_community_ids(actor)
    if communities is not None and not communities:
        raise Problem("forbidden", status=403)
    query = select(NodeToken).order_by(NodeToken.created_at.desc(), NodeToken.id.desc())
    if communities is not None:
        query = query.where(NodeToken.community_id.in_(communities))
    return list(db.session.scalars(query))



def communities_for(actor) -> list[Community]:
    """Communities this actor may issue node tokens for (the issue form's choices)."""
    communities = policy.node_community_ids(actor)
    query = select(Community).order_by(Community.slug)
    if communities is not None:
        query = query.where(Community.id.in_(communities))
    return list(db.session.scalars(query))


def events_named(records) -> dict[int, Event]:
    """The events some tokens are for, by id (to name them on the page)."""
    ids = {r.event_id for r in records if r.event_id is not None}
    return {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_(ids)))} if ids else {}
