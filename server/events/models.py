"""Events (assemblies, storytelling sessions, exchanges, camps, trainings) and who came.

Attendance is a head count plus, optionally, the community members who were there (linked
attendees) and numbers for the people who were not linked (tallies). Gender, age band and
newcomer/local are counted only where the person agreed to give them: a linked attendee's
answers are kept per event (NULL: not given), and the facilitator may add anonymous counts.
Everything not given is the rest of the head count, so no total can exceed the head count
(events.service checks it before anything is stored).

An event's attendance is also a record that facilitators' phones sync (events/records.py):
its id, etag and revision live on the event. Stories told at an event, as the facilitator
ticks them, are lines of their own (EventStory), beside the link an author gives their story.
"""
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

KIND_ASSEMBLY = "assembly"
KIND_STORYTELLING = "storytelling"
KIND_EXCHANGE = "exchange"
KIND_CAMP = "camp"
KIND_TRAINING = "training"
EVENT_KINDS = (KIND_ASSEMBLY, KIND_STORYTELLING, KIND_EXCHANGE, KIND_CAMP, KIND_TRAINING)

EVENT_TITLE_MAX = 140
EVENT_PLACE_MAX = 120  # a town or a few words, never coordinates (as a story's place)
HEAD_COUNT_MAX = 100_000

# The answers a person may give (and the order they are shown and exported in). "Not given"
# is never stored: it is what is left of the head count.
NOT_GIVEN = "not_given"
DIMENSIONS = {
    "gender": ("woman", "man", "other"),
    "age": ("under_18", "18_25", "26_40", "41_65", "over_65"),
    "origin": ("newcomer", "local"),
}


class Event(db.Model):
    __tablename__ = "events"
    # A community's events by date (its list, the write form's select, the dashboard).
    # sqlite_autoincrement: a deleted event's id, named in the audit log, is never reused (0008).
    __table_args__ = (Index("ix_events_community_starts", "community_id", "starts_on"),
                      Index("ix_events_attendance_id", "attendance_id", unique=True),
                      Index("ix_events_attendance_revision", "attendance_revision"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # camps last several days
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # NULL until the attendance is recorded.
    head_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # The attendance as a synced record: its id (the server hands it out on the attendance page
    # and in pulls), the hash of its content, and the revision of its last change. The service
    # sets the etag and revision on every change (events.service.stamp_attendance); an etag ""
    # (a row made some other way, as test data) is computed from the rows when it is needed.
    attendance_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    attendance_etag: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    attendance_revision: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    community = relationship("Community", lazy="joined")
    attendees: Mapped[list["EventAttendee"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventAttendee.id")
    tallies: Mapped[list["EventTally"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventTally.id")


class EventAttendee(db.Model):
    """A community member who was at an event, with the answers they agreed to give.

    When their account is deleted the row stays without the link (account_id NULL): the
    answers are no longer anyone's, and the event's numbers for the funder stay right.
    """
    __tablename__ = "event_attendees"
    __table_args__ = (UniqueConstraint("event_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    age: Mapped[str | None] = mapped_column(String(16), nullable=True)
    origin: Mapped[str | None] = mapped_column(String(16), nullable=True)

    event: Mapped[Event] = relationship(back_populates="attendees")
    account = relationship("Account", lazy="joined")


class EventTally(db.Model):
    """How many people who were not linked gave one answer (e.g. gender = woman: 7)."""
    __tablename__ = "event_tallies"
    __table_args__ = (UniqueConstraint("event_id", "dimension", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    dimension: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[str] = mapped_column(String(16), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)

    event: Mapped[Event] = relationship(back_populates="tallies")


class EventStory(db.Model):
    """A story told at an event, as a facilitator recorded it (the attendance page, or a phone).

    Its id is the same for everyone who ticks the same story at the same event
    (events.service.told_line_id), so two phones recording offline make one line. It goes with
    the event and with the story (ON DELETE CASCADE; withdrawal deletes it and leaves a
    tombstone); a deleted facilitator's lines stay, without recorded_by.
    """
    __tablename__ = "event_stories"
    __table_args__ = (UniqueConstraint("event_id", "story_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    story_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True,
                                                       index=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
