"""Conflicts decided by rule during replication (docs/sync.md, Camp nodes), on either side:
kept for the admin pages and written to the audit log, and a username rename undone.

The rules, by code (the replication decides; this module keeps and shows what it decided):
- ``central_moderation_wins``: the central server's moderation decision was kept, and the
  node's edit of the content too.
- ``withdrawal_wins``: a withdrawal made on one side removed the story on both.
- ``username_renamed``: a username taken on both sides; one account was renamed, reversibly
  (detail {"from": old, "to": new, "account": uid}).
- ``content_conflict``: two edits of one story on a stale base; the losing text is kept as a
  conflict for its author.
"""
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit, policy
from ..accounts.models import Account
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..timeutil import utcnow
from .models import NodeConflict, NodeLink, NodeToken

CENTRAL_MODERATION_WINS = "central_moderation_wins"
WITHDRAWAL_WINS = "withdrawal_wins"
USERNAME_RENAMED = "username_renamed"
CONTENT_CONFLICT = "content_conflict"

RULE_LABELS = {
    CENTRAL_MODERATION_WINS: _l("The central server's moderation decision was kept; the camp's edit was kept too."),
    WITHDRAWAL_WINS: _l("A withdrawal made on one side removed the story on both."),
    USERNAME_RENAMED: _l("The username was taken on both sides, so one account was renamed."),
    CONTENT_CONFLICT: _l("It was changed in two places at once; the central server's version was kept (for a story, the text that lost is kept for its author)."),
    "deletion_wins": _l("It was deleted on one side, so it was deleted on both."),
    "translation_exists": _l("The story already had a translation into that language on the central server; that one was kept."),
    "already_reported": _l("The same person reported the story on both sides; one report was kept."),
    "reaction_exists": _l("The same person gave the same reaction to the story on both sides; one was kept."),
}

KIND_LABELS = {
    "story": _l("Story"),
    "account": _l("Account"),
    "translation": _l("Translation"),
    "report": _l("Report"),
    "attendance": _l("Attendance"),
    "attendance_story": _l("Story told at an event"),
    "help_request": _l("Request for help"),
    "help_message": _l("Message in a request for help"),
    "event": _l("Event"),
    "media": _l("Media file"),
    "reply": _l("Reply"),
    "reaction": _l("Reaction"),
}


def rule_label(rule: str) -> str:
    label = RULE_LABELS.get(rule)
    return str(label) if label is not None else rule


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def _story_id(kind: str, record_id: str):
    if kind != "story":
        return None
    try:
        return uuid.UUID(str(record_id))
    except ValueError:
        return None


def _community_of(node_id: int | None) -> int | None:
    """The community replicated: the token's on central, the link's on a node."""
    if node_id is not None:
        token = db.session.get(NodeToken, node_id)
        return token.community_id if token is not None else None
    link = db.session.scalar(select(NodeLink).limit(1))
    return link.community_id if link is not None else None


def record(node_id: int | None, kind: str, record_id, rule: str, detail: dict | None = None) -> NodeConflict:
    """Keep a conflict decided by ``rule``, and say so in the audit log; in the caller's
    transaction (it commits with the replicated change, or neither is kept).

    ``node_id``: the node's token on central, None on a node. ``detail``: ids, codes, times and
    for a rename the two usernames; never story text. The audit event holds the rule, the kind
    and the record's id only.
    """
    conflict = NodeConflict(node_id=node_id, kind=kind, record_id=str(record_id), rule=rule,
                            detail=dict(detail or {}), at=utcnow())
    db.session.add(conflict)
    audit.record("node.conflict", None, story_id=_story_id(kind, record_id), community_id=_community_of(node_id),
                 rule=rule, kind=kind, record=str(record_id))
    return conflict


def _visible(actor):
    """SQL condition for the conflicts this actor sees: all for a site admin; for a facilitator,
    those of their communities' nodes (on central) and, on a node of their community, its own."""
    communities = policy.node_community_ids(actor)
    if communities is None:
        return None
    if not communities:
        raise Problem("forbidden", status=403)
    link = db.session.scalar(select(NodeLink).limit(1))
    here = NodeConflict.node_id.is_(None) if link is not None and link.community_id in communities else false()
    return or_(and_(NodeConflict.node_id.is_not(None), NodeToken.community_id.in_(communities)), here)


def listing(actor, *, node_id: int | None = None, limit: int = 200) -> list[NodeConflict]:
    """The conflicts this actor may see, newest first (of one node's token when ``node_id``)."""
    query = (select(NodeConflict).outerjoin(NodeToken, NodeToken.id == NodeConflict.node_id)
             .order_by(NodeConflict.at.desc(), NodeConflict.id.desc()).limit(limit))
    visible = _visible(actor)
    if visible is not None:
        query = query.where(visible)
    if node_id is not None:
        query = query.where(NodeConflict.node_id == node_id)
    return list(db.session.scalars(query))


def can_undo(actor, conflict: NodeConflict) -> bool:
    """Whether the page offers to undo this conflict (undo_rename checks again)."""
    return (conflict.rule == USERNAME_RENAMED and conflict.reversed_at is None
            and policy.can_undo_rename(actor))


def undo_rename(actor, conflict_id: int) -> NodeConflict:
    """Give a renamed account its original username back, if no one holds it now (site admins).

    The unique username decides, not a look-up first: ``username_taken`` when it is held.
    """
    if not policy.can_undo_rename(actor):
        raise Problem("forbidden", status=403)
    try:
        with write_transaction():
            conflict = db.session.get(NodeConflict, conflict_id)
            if conflict is None:
                raise Problem("not_found", status=404)
            detail = conflict.detail or {}
            if conflict.rule != USERNAME_RENAMED or conflict.reversed_at is not None or not detail.get("from"):
                raise Problem("rename_not_undoable", status=409)
            try:
                uid = uuid.UUID(str(detail.get("account")))
            except ValueError:
                raise Problem("not_found", status=404) from None
            account = db.session.scalar(select(Account).where(Account.uid == uid))
            if account is None:
                raise Problem("not_found", status=404)
            account.username = detail["from"]
            conflict.reversed_at = utcnow()
            db.session.flush()
            audit.record("node.rename_undone", actor, community_id=_community_of(conflict.node_id),
                         subject=account.id, conflict=conflict.id)
    except IntegrityError:
        raise Problem("username_taken", status=409, field="username") from None
    return conflict
