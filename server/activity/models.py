import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Follow(db.Model):
    """An account follows one community or one story (never both in one row, never twice).

    The unique constraints make following idempotent (a form sent twice, a replayed push);
    ``sync_id`` is the record's id for phones (records.py) and ``revision`` its place in the
    pull cursor. Deleted with the account, the community or the story (ON DELETE CASCADE).
    """
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("account_id", "community_id", name="uq_follows_account_community"),
        UniqueConstraint("account_id", "story_id", name="uq_follows_account_story"),
        CheckConstraint("(community_id IS NULL) <> (story_id IS NULL)", name="one_target"),
        Index("uq_follows_sync_id", "sync_id", unique=True),
        Index("ix_follows_revision", "revision"),
        Index("ix_follows_community_id", "community_id"),
        Index("ix_follows_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=True)
    story_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    community = relationship("Community", lazy="joined")
