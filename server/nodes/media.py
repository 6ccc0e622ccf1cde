"""Media between a node and central: files are named by the SHA-256 of the upload they came
from (media/), and travel as each side stores them (cleaned), so both hold the same bytes."""
import hashlib
import io

from PIL import Image
from sqlalchemy import String, cast, select

from .. import limits
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..media.checks import check_file
from ..media.models import MediaFile
from ..media.store import get_store
from ..stories.models import Story
from ..timeutil import utcnow

READ_SIZE = 256 * 1024


def file_in_scope(community_id: int, sha256: str):
    """(MediaFile, path) when a story of the community names the file, else None."""
    named = db.session.scalar(select(Story.id).where(
        Story.community_id == community_id, cast(Story.media, String).like(f'%"{sha256}"%')).limit(1))
    media = db.session.get(MediaFile, sha256) if named is not None else None
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
    """Store a file sent by the other side: whole, hashing to ``declared``, of a type and size
    the app accepts (checked again from its bytes), without metadata."""
    existing = db.session.get(MediaFile, sha256)
    store = get_store()
    if existing is not None and store.exists(sha256):
        for _ in iter(lambda: stream.read(READ_SIZE), b""):
            pass  # drain: the keep-alive connection carries the next request
        return existing
    staging = store.scratch_file()
    scratch = store.scratch_file()
    digest = hashlib.sha256()
    size = 0
    try:
        with open(staging, "wb") as out:
            while chunk := stream.read(READ_SIZE):
                size += len(chunk)
                if size > limits.MEDIA_MAX_BYTES:
                    raise Problem("too_large", status=413, max=limits.MEDIA_MAX_BYTES)
                digest.update(chunk)
                out.write(chunk)
        if size != length:
            raise Problem("bad_request", status=400, field="body")
        if digest.hexdigest() != declared:
            raise Problem("checksum_mismatch", status=460)
        checked = check_file(staging, scratch)  # refuses what the app would refuse from a phone
        if checked.content_type.startswith("image/") and _carries_metadata(staging):
            raise Problem("bad_media_type", status=415)
        store.put(sha256, staging)
        media = MediaFile(sha256=sha256, content_type=checked.content_type, size=size, uploaded_size=size,
                          width=checked.width, height=checked.height, duration_ms=checked.duration_ms,
                          uploader_id=None, created_at=utcnow())
        with write_transaction():
            if db.session.get(MediaFile, sha256) is None:
                db.session.add(media)
        return db.session.get(MediaFile, sha256)
    finally:
        staging.unlink(missing_ok=True)
        scratch.unlink(missing_ok=True)
