import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, Uuid)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

STATUS_PENDING = "pending"
STATUS_PUBLISHED = "published"
STATUS_REJECTED = "rejected"
STATUS_HIDDEN = "hidden"
STATUS_WITHDRAWN = "withdrawn"
STATUSES = (STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED, STATUS_HIDDEN, STATUS_WITHDRAWN)

VISIBILITY_PUBLIC = "public"
VISIBILITY_COMMUNITY = "community"
VISIBILITY_FACILITATORS = "facilitators"
VISIBILITIES = (VISIBILITY_PUBLIC, VISIBILITY_COMMUNITY, VISIBILITY_FACILITATORS)

AUTHOR_DISPLAYS = ("pseudonym", "name", "anonymous")
CONSENT_KINDS = ("self", "verbal", "written")


class Story(db.Model):
    """A story. Its id is made on the device; the primary key makes every upload idempotent."""
    __tablename__ = "stories"
    __table_args__ = (
        # The feed's keyset pages, one audience at a time, in (received_at, id) order (migration 0012).
        Index("ix_stories_feed", "status", "visibility", "received_at", "id"),
        Index("ix_stories_community_feed", "community_id", "status", "visibility", "received_at", "id"),
        # The dashboard's counts by week read this index alone (migration 0005).
        Index("ix_stories_received", "received_at", "status", "community_id", "language"),
        Index("ix_stories_waiting", "status", "community_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    # NULL only for the tombstone of a story withdrawn before it ever arrived.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True)

    # Author-owned content.
    title: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str] = mapped_column(String(35), nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False)
    author_display: Mapped[str] = mapped_column(String(16), nullable=False, default="pseudonym")
    consent_kind: Mapped[str] = mapped_column(String(16), nullable=False, default="self")
    consent_recorded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    media: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # Safety choices made at writing time (docs/sync.md, Stories).
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # free text or a town, never coordinates
    about_minor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_guardian: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The facilitator who recorded the story on the author's behalf (a managed participant
    # or someone telling it aloud); may withdraw it on the person's request.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    # The event where the story was told (events/), if any; the author chooses it.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # device claim

    # Server-owned.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=STATUS_PENDING)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    etag: Mapped[str] = mapped_column(String(40), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Once a story has been visible beyond its author, devices may hold copies, so later
    # changes that hide it must reach them as tombstones.
    ever_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Why a story was rejected or hidden: a code (moderation/models.py MODERATION_REASONS, or
    # "reported"), translated when shown, and the facilitator's optional note in their words.
    moderation_reason_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    moderation_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the note
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    author = relationship("Account", foreign_keys=[author_id], lazy="joined")
    community = relationship("Community", lazy="joined")
    conflicts: Mapped[list["StoryConflict"]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="StoryConflict.id")
    # People's translations (translations/models.py); they go with the text (erase_content runs
    # the translations domain's withdrawal hook).
    translations: Mapped[list["StoryTranslation"]] = relationship(  # noqa: F821
        back_populates="story", cascade="all, delete-orphan", passive_deletes=True,
        order_by="StoryTranslation.language")


class StoryConflict(db.Model):
    """A losing version from a stale edit, kept so that nothing anyone wrote is lost."""
    __tablename__ = "story_conflicts"
    __table_args__ = (UniqueConstraint("story_id", "etag"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True)
    etag: Mapped[str] = mapped_column(String(40), nullable=False)
    content: Mapped[dict] = mapped_column(JSON, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    story: Mapped[Story] = relationship(back_populates="conflicts")


class StoryCount(db.Model):
    """How many stories arrived in a UTC day or calendar month in a community, by their status
    now or by their language: the dashboard's story charts add these up instead of counting
    stories, so they cost the same at a thousand stories and at a million.

    Kept by database triggers and the push's batch insert (migration 0025), never written by
    the ORM. ``community_id`` is 0 for stories in no community; withdrawn stories are not
    counted; rows that reach 0 are deleted.
    """
    __tablename__ = "story_counts"
    period: Mapped[str] = mapped_column(String(5), primary_key=True)     # "day" or "month"
    start: Mapped[date] = mapped_column(Date, primary_key=True)          # the day, or the month's first
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)  # "status" or "language"
    value: Mapped[str] = mapped_column(String(35), primary_key=True)
    stories: Mapped[int] = mapped_column(Integer, nullable=False)


COUNT_DIMENSIONS = ("language", "status")
