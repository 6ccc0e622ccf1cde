"""The job table: work queued in the same transaction as what caused it."""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Job(db.Model):
    """One piece of background work. ``waiting`` until ``run_at``; ``running`` while a worker
    holds its lease (``locked_until``: a worker that died lets it go when the lease ends);
    ``dead`` after its last attempt failed (kept for an operator, never retried). A job that
    ran is deleted: the table holds only what is still to do, or what needs a person."""
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    # JSON: ids and codes only, never story text or personal data (it sits in a table admins read)
    payload: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="waiting")
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the exception's type name, never its message (it may quote what the job handled)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # a periodic job's slot ("media.gc@2026-12-05T11"): a unique key, so two workers that both
    # see the slot due queue it once
    unique_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_jobs_due", "state", "run_at"),)
