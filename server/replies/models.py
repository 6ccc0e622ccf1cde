"""Replies to stories and reactions to them, and a story's "replies off" switch.

Each reply and reaction carries the id the phone made (``sync_id``) under a unique index, so a
replay is stored once; a reaction is one per person, story and kind by a database constraint
(uq_story_reactions_story_account_kind), not by a look-up first. Both go with their story's
content (ON DELETE CASCADE, and service.delete_with_story as a withdrawal hook).
"""
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

REPLY_PUBLISHED = "published"
REPLY_PENDING = "pending"  # waits for a facilitator, as a story in a community that reviews
REPLY_HIDDEN = "hidden"    # hidden by a facilitator (or by reports): its author and moderators see it
REPLY_STATUSES = (REPLY_PUBLISHED, REPLY_PENDING, REPLY_HIDDEN)

# The fixed set of reactions: no free emoji, no score.
REACTION_KINDS = ("thanks", "me_too", "learned")


class Reply(db.Model):
    __tablename__ = "story_replies"
    __table_args__ = (
        Index("uq_story_replies_sync_id", "sync_id", unique=True),
        Index("ix_story_replies_story", "story_id", "created_at"),
        Index("ix_story_replies_revision", "revision"),
        Index("ix_story_replies_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                                  nullable=True, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # At most one voice recording: a list of SHA-256, as a story's media (served and released by
    # the media domain through attachments.py).
    media: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=REPLY_PUBLISHED)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)

    author = relationship("Account", foreign_keys=[author_id], lazy="joined")
    story = relationship("Story", lazy="joined")


class Reaction(db.Model):
    __tablename__ = "story_reactions"
    __table_args__ = (
        UniqueConstraint("story_id", "account_id", "kind", name="uq_story_reactions_story_account_kind"),
        Index("uq_story_reactions_sync_id", "sync_id", unique=True),
        Index("ix_story_reactions_revision", "revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)

    story = relationship("Story", lazy="joined")


class RepliesOff(db.Model):
    """A story whose author turned replies off (no row: replies are on). Kept here, not on the
    story, so the story core knows nothing of replies."""
    __tablename__ = "story_replies_off"

    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    turned_off_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
