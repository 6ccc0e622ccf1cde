"""Camp nodes' tables. On the central server: the node tokens it issued and the conflicts
decided for them. On a node: its link to the central server (address, token, checkpoints), what
it last exchanged with central for each record, and the conflicts decided there."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class NodeToken(db.Model):
    """Central: one camp node allowed to replicate one community (or one event of it).

    The token is shown once, when issued; only its SHA-256 is kept. Revoking it stops the node
    at its next request; what it already sent stays.
    """
    __tablename__ = "node_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True)
    label: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    community = relationship("Community", lazy="joined")


class NodeEcho(db.Model):
    """Central: revisions made by applying a node's push. Its own records are not sent back to
    that node on its next pull (it has them), which keeps the wire to the payload."""
    __tablename__ = "node_echoes"
    node_id: Mapped[int] = mapped_column(ForeignKey("node_tokens.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class NodeConflict(db.Model):
    """A conflict decided by rule during replication (docs/sync.md, Camp nodes), on either side.

    ``detail`` holds ids, codes and times, and for a username renamed the two names (admins
    see usernames anyway); never story text.
    """
    __tablename__ = "node_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node_tokens.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[str] = mapped_column(String(64), nullable=False)
    rule: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class NodeLink(db.Model):
    """A node: its one central server, and how far replication with it has come.

    ``push_revision``: every local change at or below it has been acknowledged by central.
    ``pull_cursor``: central's cursor after the last page applied here. Both only move after
    a chunk is acknowledged or applied, so a cut or a crash resumes from there.
    """
    __tablename__ = "node_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    central_url: Mapped[str] = mapped_column(String(500), nullable=False)
    token: Mapped[str] = mapped_column(String(200), nullable=False)  # this node's own credential
    community_id: Mapped[int] = mapped_column(Integer, nullable=False)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    node_id: Mapped[int] = mapped_column(Integer, nullable=False)  # its NodeToken's id on central
    label: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    push_revision: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    pull_cursor: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    initialised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The running (or last) sync, for the node's admin page: phase, records, bytes, times.
    progress: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")


class NodeDigest(db.Model):
    """A node: what it and central last agreed on for one record (a hash of its replica, its
    etag and moderation stamp). A local record whose replica still hashes the same is not
    pushed again, and a pushed edit names the base it was made on."""
    __tablename__ = "node_digests"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    base: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
