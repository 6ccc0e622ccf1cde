"""Node tokens (placeholder until the admin pages land: issue, revoke, look up)."""
import hashlib
import secrets

from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from .models import NodeToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(actor, community, *, event=None, label=""):
    token = "kn_" + secrets.token_urlsafe(32)
    with write_transaction():
        row = NodeToken(token_hash=_hash(token), community_id=community.id,
                        event_id=event.id if event else None, label=label[:80],
                        created_by_id=getattr(actor, "id", None))
        db.session.add(row)
    return token, row


def node_for(token: str):
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(NodeToken).where(NodeToken.token_hash == _hash(token)))
    return row if row is not None and row.revoked_at is None else None
