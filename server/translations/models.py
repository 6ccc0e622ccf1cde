import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

TRANSLATION_PUBLISHED = "published"
TRANSLATION_PENDING = "pending"  # waits for a facilitator in the review queue
TRANSLATION_STATUSES = (TRANSLATION_PUBLISHED, TRANSLATION_PENDING)


class StoryTranslation(db.Model):
    """One person's translation of a story into one language (one per story and language).

    Deleted with the story's content (withdrawal, deletion): ON DELETE CASCADE and
    service.delete_with_story (a withdrawal hook that stories.service.erase_content runs).
    """
    __tablename__ = "story_translations"
    __table_args__ = (
        UniqueConstraint("story_id", "language", name="uq_story_translations_story_language"),
        # The feed's language filter and the review queue read by these.
        Index("ix_story_translations_language", "language", "status"),
        Index("ix_story_translations_status", "status", "created_at"),
        Index("uq_story_translations_sync_id", "sync_id", unique=True),  # migration 0013
        Index("ix_story_translations_revision", "revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False)
    language: Mapped[str] = mapped_column(String(35), nullable=False)
    title: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    # How the translator is shown: name, pseudonym (username) or anonymous, like author_display.
    translator_display: Mapped[str] = mapped_column(String(16), nullable=False, default="pseudonym")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=TRANSLATION_PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # As a sync record (translations/records.py): the id phones know it by, and its revision.
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=True, default=uuid.uuid4)
    revision: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    translator = relationship("Account", foreign_keys=[translator_id], lazy="joined")
    story = relationship("Story", back_populates="translations")


class FeedLanguageCount(db.Model):
    """How many stories a language has per audience, for the feed's language menu.

    Kept by database triggers (migration 0012), never written by the app: ``audience`` is the
    visibility of published stories in community ``owner_id``, or "author" for the stories of
    account ``owner_id`` that are not withdrawn. A story counts once for its original language
    and once for each published translation. Rows that reach 0 are deleted.
    """
    __tablename__ = "feed_language_counts"
    audience: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    stories: Mapped[int] = mapped_column(Integer, nullable=False)
