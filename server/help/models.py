"""Help requests: a person asks their community's mediators or coaches for help, privately.

Only the asker and the facilitators of that community marked as mediators or coaches ever see
a request or its messages (policy.py in this package). Never public, never in the feed, in no
export but counts by topic and outcome, purged with the asker's account.
"""
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

# The topics a person chooses from (labels.py names them in every language).
TOPICS = ("education_school", "work", "housing", "health", "documents", "family", "other")
STATE_OPEN, STATE_CLAIMED, STATE_CLOSED = "open", "claimed", "closed"
STATES = (STATE_OPEN, STATE_CLAIMED, STATE_CLOSED)
OUTCOMES = ("resolved", "referred", "no_longer_needed", "could_not_help")
# How the person agreed when a facilitator opened the request for them (as for stories).
CONSENT_SELF, CONSENT_VERBAL, CONSENT_WRITTEN = "self", "verbal", "written"
CONSENT_KINDS = (CONSENT_SELF, CONSENT_VERBAL, CONSENT_WRITTEN)


class HelpRequest(db.Model):
    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_revision", "revision"),
        Index("ix_help_requests_queue", "community_id", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id the phone made (the sync record's id, and the one in the page's address).
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    asker_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    topic: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(35), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # An optional voice recording (a list of at most one SHA-256, as a story's media), heard only
    # by those who see the request (attachments.py; service.may_hear).
    media: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=STATE_OPEN)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    first_answer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Opened on the person's behalf: the facilitator, and how the person agreed (as stories do).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    consent_kind: Mapped[str] = mapped_column(String(16), nullable=False, default=CONSENT_SELF)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)

    asker = relationship("Account", foreign_keys=[asker_id], lazy="joined")
    claimed_by = relationship("Account", foreign_keys=[claimed_by_id], lazy="joined")
    community = relationship("Community", lazy="joined")
    messages: Mapped[list["HelpMessage"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
        order_by="HelpMessage.created_at, HelpMessage.id")


class HelpMessage(db.Model):
    """One message in a request's private thread, by the asker or a helper."""
    __tablename__ = "help_messages"
    __table_args__ = (Index("ix_help_messages_revision", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    # NULL: a helper whose account was deleted (the asker keeps the answer they got).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    media: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # as the request's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)

    author = relationship("Account", lazy="joined")
    request: Mapped[HelpRequest] = relationship(back_populates="messages")
