"""Stored media files and unfinished (or finished) tus uploads."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.sql.expression import false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class MediaFile(db.Model):
    """A checked file in the content-addressed store, keyed by the SHA-256 of the uploaded bytes.

    Images are stored re-encoded (so ``size`` may differ from ``uploaded_size``); audio is
    stored byte for byte.
    """
    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    uploaded_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A recording's length, measured when it was stored (the feed shows it before any byte of it
    # is fetched); None for photos, and for recordings stored before it was kept.
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A voice stored disguised (disguise.py): players say so. The original was never stored.
    disguised: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # The first uploader; later uploaders of the same bytes are known by their MediaUpload.
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Faces found in a photo (faces.py): [[x, y, width, height], ...] in the stored image's
    # pixels, and when it was looked at; None until checked (photos stored before #17 are
    # checked when the moderation queue or `kultialogo media faces` meets them).
    faces: Mapped[list | None] = mapped_column(JSON, nullable=True)
    faces_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MediaUpload(db.Model):
    """One tus upload. The bytes received so far live in the staging folder, not here:
    the partial file's length is the upload's offset.
    """
    __tablename__ = "media_uploads"
    __table_args__ = (Index("ix_media_uploads_owner_sha256", "owner_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, unguessable
    owner_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    length: Mapped[int] = mapped_column(BigInteger, nullable=False)
    declared_type: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
