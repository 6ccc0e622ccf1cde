"""Reports on stories, and the reason codes of moderation decisions.

A report is one person's "this should not be here" about one story. The unique constraint on
(story_id, reporter_id) is what makes the same person reporting twice count once (no
check-then-insert). When an account is deleted its reports stay, without the reporter
(ON DELETE SET NULL): they were made by distinct people, so they keep counting, and a deleted
account can never report again, so the constraint still holds for every living account.
"""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

# Why a person reports a story.
REPORT_REASONS = ("personal_data", "hateful", "spam", "other")
# Why a facilitator rejects or hides a story (shown to its author in their own language).
MODERATION_REASONS = ("personal_data", "hateful", "off_topic", "spam", "other")
# Set by the server itself when enough distinct people reported a story.
REASON_REPORTED = "reported"


class StoryReport(db.Model):
    __tablename__ = "story_reports"
    __table_args__ = (
        UniqueConstraint("story_id", "reporter_id"),
        # The reports queue and the auto-hide count read the open reports of a story.
        Index("ix_story_reports_open", "resolved_at", "story_id"),
        Index("uq_story_reports_sync_id", "sync_id", unique=True),  # migration 0013
        Index("ix_story_reports_revision", "revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    # As a sync record (moderation/records.py): the id phones know it by, and its revision.
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=True, default=uuid.uuid4)
    revision: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    story = relationship("Story", lazy="joined")


class ReplyReport(db.Model):
    """One person's report of a reply to a story: the same rules as StoryReport (one per person
    and reply by the unique constraint; enough distinct reporters hide the reply). Deleted with
    the reply (ON DELETE CASCADE), so a withdrawn story takes them too."""
    __tablename__ = "reply_reports"
    __table_args__ = (
        UniqueConstraint("reply_id", "reporter_id", name="uq_reply_reports_reply_reporter"),
        Index("ix_reply_reports_open", "resolved_at", "reply_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("story_replies.id", ondelete="CASCADE"), nullable=False)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
