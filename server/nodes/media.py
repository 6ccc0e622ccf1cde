"""Media between a node and central: files are named by the SHA-256 of the upload they came
from (media/), and travel as each side stores them (cleaned), so both hold the same bytes."""

from pathlib import Path

from PIL import Image
from sqlalchemy import String, cast, select

from .. import attachments
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..media.checks import check_file
from ..media.models import MediaFile
from ..media.service import save_stream
from ..media.store import get_store
from ..stories.models import Story
from ..timeutil import utcnow

READ_SIZE = 256 * 1024


def file_in_scope(community_id: int, sha256: str):
    """(MediaFile, path) when a story of the community names the file, or a reply or help
    request there (attachments.py), else None."""
    named = db.session.scalar(select(Story.id).where(
        Story.community_id == community_id, cast(Story.media, String).like(f'%"{sha256}"%')).limit(1))
    if named is None and not attachments.named_in_community(sha256, community_id):
        return None
    media = db.session.get(MediaFile, sha256)
    path = get_store().local_path(sha256) if media is not None else None
    return (media, path) if path is not None and path.exists() else None


def missing(hashes: list[str]) -> list[str]:
    """Which of these files this side lacks (no row, or no bytes in the store)."""
    if not hashes:
        return []
    store = get_store()
    have = set(db.session.scalars(select(MediaFile.sha256).where(MediaFile.sha256.in_(hashes))))
    return [h for h in dict.fromkeys(hashes) if h not in have or not store.exists(h)]


def _carries_metadata(path) -> bool:
    """A photo must come as the sending side stored it: pixels only (media/checks.py)."""
    with Image.open(path) as image:
        return bool(image.getexif()) or any(k in image.info for k in ("exif", "xmp", "icc_profile", "comment",
                                                                        "XML:com.adobe.xmp"))


def receive(sha256: str, declared: str, stream, length: int) -> MediaFile:
    """Store a file a node sends in a request: whole (``length``), hashing to ``declared``."""
    existing = held(sha256)
    if existing is not None:
        for _ in iter(lambda: stream.read(READ_SIZE), b""):
            pass  # drain: the keep-alive connection carries the next request
        return existing
    staging = get_store().scratch_file()
    try:
        digest, size = save_stream(stream, staging)
        if size != length:
            raise Problem("bad_request", status=400, field="body")
        if digest != declared:
            raise Problem("checksum_mismatch", status=460)
        return keep(sha256, staging)
    finally:
        staging.unlink(missing_ok=True)


def held(sha256: str) -> MediaFile | None:
    """The file, when this side has it already (its row and its bytes)."""
    existing = db.session.get(MediaFile, sha256)
    return existing if existing is not None and get_store().exists(sha256) else None


def keep(sha256: str, path: Path) -> MediaFile:
    """Keep a complete file from the other side, already whole (hashed by the caller, or by the
    export's checksums), under its store key ``sha256``: of a type and size the app accepts
    (checked again from its bytes) and without metadata. ``path`` is moved into the store (it
    must be on the store's filesystem: a scratch file)."""
    existing = held(sha256)
    if existing is not None:
        return existing
    store = get_store()
    scratch = store.scratch_file()
    try:
        checked = check_file(path, scratch)  # refuses what the app would refuse from a phone
        if checked.content_type.startswith("image/") and _carries_metadata(path):
            raise Problem("bad_media_type", status=415)
        size = path.stat().st_size
        store.put(sha256, path)
        media = MediaFile(sha256=sha256, content_type=checked.content_type, size=size, uploaded_size=size,
                          width=checked.width, height=checked.height, duration_ms=checked.duration_ms,
                          uploader_id=None, created_at=utcnow())
        with write_transaction():
            if db.session.get(MediaFile, sha256) is None:
                db.session.add(media)
        return db.session.get(MediaFile, sha256)
    finally:
        scratch.unlink(missing_ok=True)
