"""The audit log: who did what to which story or community, and the consent recorded.

It holds ids, kinds and times only, never story text or names, so it may outlive a withdrawn
story or a deleted account (an actor's id is set to NULL when their account is deleted).
"""
import uuid
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    story_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"), nullable=True, index=True)
    # Kinds, flags and times only (e.g. {"kind": "verbal", "guardian": true}); no personal data.
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


def record(action: str, actor=None, *, story_id=None, community_id=None, **detail) -> None:
    """Add an event to the caller's transaction (it commits, or rolls back, with the change)."""
    db.session.add(AuditEvent(action=action, actor_id=getattr(actor, "id", actor), story_id=story_id,
                              community_id=community_id, detail=detail, at=utcnow()))
