"""Media logic shared by the tus endpoints and the plain HTML form: one path to the store.

Every file goes through ``_store_checked``: whole-file SHA-256, real type from the bytes,
size and pixel bounds, image re-encoding, atomic write, then the database row. Anything
refused is deleted before the refusal is raised.
"""
import base64
import binascii
import fcntl
import hashlib
import os
import re
import secrets
import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import String, cast, delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected

from .. import attachments, limits, policy
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..i18n import native_digits
from ..observability import metrics
from ..stories.models import Story
from ..timeutil import as_utc, utcnow
from .checks import check_file, kind_of, max_bytes_for, sniff
from .models import MediaFile, MediaUpload
from .store import SHA256_RE, get_store

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum"
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}
UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
READ_SIZE = 64 * 1024


# --- Looking files up --------------------------------------------------------------------

def stored_hashes(hashes) -> set[str]:
    """Which of these SHA-256 the store holds (the story service's ``media_missing`` check,
    through a stories/hooks.py media store)."""
    wanted = [h for h in set(hashes) if isinstance(h, str)]
    if not wanted:
        return set()
    return set(db.session.scalars(select(MediaFile.sha256).where(MediaFile.sha256.in_(wanted))))


def _referencing_stories_query(sha256: str):
    # Story.media is a JSON list of hex strings; its text holds the quoted hash. A LIKE on
    # the JSON text works the same on SQLite and PostgreSQL (no JSON operators needed).
    return select(Story).where(cast(Story.media, String).like(f'%"{sha256}"%'))


def referencing_stories(sha256: str) -> list[Story]:
    return list(db.session.scalars(_referencing_stories_query(sha256)))


def is_uploader(viewer, sha256: str, media: MediaFile) -> bool:
    if not policy.signed_in(viewer):
        return False
    if media.uploader_id == viewer.id:
        return True
    return db.session.scalar(select(MediaUpload.id).where(
        MediaUpload.owner_id == viewer.id, MediaUpload.sha256 == sha256,
        MediaUpload.completed_at.is_not(None)).limit(1)) is not None


def file_for(viewer, sha256: str) -> tuple[MediaFile, Path]:
    """The stored file if this viewer may have it; 404 otherwise (never reveal it exists).

    Served to whoever may see a story that references it; a file no story references yet
    only to its uploader(s) and admins.
    """
    if not SHA256_RE.match(sha256 or ""):
        raise Problem("not_found", status=404)
    media = db.session.get(MediaFile, sha256)
    if media is None:
        raise Problem("not_found", status=404)
    stories = referencing_stories(sha256)
    # Other records naming the file (a voice reply, a help request: attachments.py) let in
    # exactly those who may see them, whatever the uploader or an admin.
    others = [r for r in attachments.referrers()
              if db.session.execute(r.referencing(sha256).limit(1)).first() is not None]
    if stories or others:
        allowed = (any(policy.can_view_story(viewer, s) for s in stories)
                   or any(r.may_hear(viewer, sha256) for r in others))
    else:
        allowed = policy.signed_in(viewer) and (viewer.is_admin or is_uploader(viewer, sha256, media))
    if not allowed:
        raise Problem("not_found", status=404)
    # Only now the bytes (from a bucket, a fetch): no one else's request costs a download.
    path = get_store().local_path(sha256)
    if path is None:
        raise Problem("not_found", status=404)
    return media, path


# --- tus: creation -----------------------------------------------------------------------

def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""
    out: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value.strip() else ""
        except (binascii.Error, UnicodeDecodeError):
            raise Problem("bad_upload", field="Upload-Metadata") from None
    return out


def _parse_int_header(value: str | None, name: str) -> int:
    if value is None or not re.fullmatch(r"[0-9]{1,18}", value):
        raise Problem("bad_upload", field=name)
    return int(value)


def create_upload(owner, length_header: str | None, metadata_header: str | None) -> tuple[MediaUpload, bool]:
    """Start (or find) an upload. Returns ``(upload, already_stored)``.

    A file already in the store is not sent again: the upload is recorded as complete at once.
    (Creating the same unfinished file twice gives two uploads: tus clients start a new one
    at offset 0, and resume an old one by its URL.)
    """
    length = _parse_int_header(length_header, "Upload-Length")
    meta = parse_metadata(metadata_header)
    sha256 = (meta.get("sha256") or "").strip().lower()
    if not SHA256_RE.match(sha256):
        raise Problem("bad_upload", field="sha256")
    for key in ("type", "filename"):
        if key not in meta:
            raise Problem("bad_upload", field=key)
    if length == 0:
        raise Problem("empty_media", status=400)
    declared = meta["type"].strip().lower()[:100]
    if length > max_bytes_for(declared):
        raise Problem("too_large", status=413, max=max_bytes_for(declared))
    now = utcnow()
    with write_transaction():
        if db.session.get(MediaFile, sha256) is not None:
            upload = MediaUpload(id=secrets.token_hex(16), owner_id=owner.id, sha256=sha256, length=length,
                                 declared_type=declared, filename=meta["filename"][:255],
                                 created_at=now, expires_at=now, completed_at=now)
            db.session.add(upload)
            return upload, True
        open_uploads = db.session.scalar(select(func.count()).select_from(MediaUpload).where(
            MediaUpload.owner_id == owner.id, MediaUpload.completed_at.is_(None), MediaUpload.expires_at > now))
        if open_uploads >= limits.MEDIA_OPEN_UPLOADS_MAX:
            raise Problem("too_many_uploads", status=429, max=limits.MEDIA_OPEN_UPLOADS_MAX)
        upload = MediaUpload(id=secrets.token_hex(16), owner_id=owner.id, sha256=sha256, length=length,
                             declared_type=declared, filename=meta["filename"][:255], created_at=now,
                             expires_at=now + timedelta(hours=limits.MEDIA_UPLOAD_EXPIRY_HOURS))
        get_store().staging_path(upload.id).touch()
        db.session.add(upload)
    return upload, False


def upload_for(owner, upload_id: str) -> MediaUpload:
    """The requester's own upload; 404 for anyone else's, an unknown or an expired one."""
    if not UPLOAD_ID_RE.match(upload_id or ""):
        raise Problem("not_found", status=404)
    upload = db.session.get(MediaUpload, upload_id)
    if upload is None or upload.owner_id != owner.id:
        raise Problem("not_found", status=404)
    if upload.completed_at is None and as_utc(upload.expires_at) <= utcnow():
        raise Problem("not_found", status=404)
    return upload


# --- tus: offset and appending -----------------------------------------------------------

RECEIVED_KEY = "kultialogo_media_received"


def count_received(app) -> None:
    """Count the bytes every file receives in PATCH bodies, kept or not (a cut chunk too), in
    ``app.extensions[RECEIVED_KEY]``: {sha256: bytes}. For tests and benchmarks that check
    that a resumed upload re-sends less than a chunk; never served over HTTP."""
    app.extensions[RECEIVED_KEY] = {"lock": threading.Lock(), "bytes": {}}


def _count_received(sha256: str, received: int) -> None:
    counter = current_app.extensions.get(RECEIVED_KEY)
    if counter is not None:
        with counter["lock"]:
            counter["bytes"][sha256] = counter["bytes"].get(sha256, 0) + received


class _Locked:
    """The staging file opened and flock'ed: one writer at a time, across threads and processes."""

    def __init__(self, path: Path, exclusive: bool):
        self.path = path
        self.exclusive = exclusive

    def __enter__(self):
        try:
            self.fh = open(self.path, "r+b")
        except FileNotFoundError:
            self.fh = None
            return self
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB if self.exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            self.fh.close()
            raise Problem("upload_busy", status=423) from None
        if os.fstat(self.fh.fileno()).st_nlink == 0:  # finished or discarded while we waited
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None
        return self

    def __exit__(self, *exc):
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


def _after_staging_gone(upload: MediaUpload) -> int:
    upload = db.session.get(MediaUpload, upload.id, populate_existing=True)
    if upload is not None and upload.completed_at is not None:
        return upload.length
    raise Problem("not_found", status=404)


def offset_of(upload: MediaUpload) -> int:
    if upload.completed_at is not None:
        return upload.length
    with _Locked(get_store().staging_path(upload.id), exclusive=False) as locked:
        if locked.fh is None:
            return _after_staging_gone(upload)
        return os.fstat(locked.fh.fileno()).st_size


def parse_checksum(header: str | None):
    """``Upload-Checksum: <algorithm> <base64 digest>`` → (hash constructor, digest) or None."""
    if header is None:
        return None
    name, _, value = header.strip().partition(" ")
    if name.lower() not in CHECKSUMS:
        raise Problem("bad_checksum_algorithm", status=400)
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise Problem("bad_upload", field="Upload-Checksum") from None
    return CHECKSUMS[name.lower()], digest


def append(upload: MediaUpload, *, offset_header, content_type, checksum_header, stream, content_length) -> int:
    """Append one PATCH body at ``Upload-Offset``; returns the new offset.

    A wrong offset is 409; a chunk whose checksum differs is cut off again (460) and the
    offset stays where it was. On the last byte the file is checked and stored.
    """
    if upload.completed_at is not None:
        return upload.length  # a known file sent again: harmless, body ignored
    if (content_type or "").split(";")[0].strip().lower() != "application/offset+octet-stream":
        raise Problem("bad_upload", status=415, field="Content-Type")
    offset = _parse_int_header(offset_header, "Upload-Offset")
    checksum = parse_checksum(checksum_header)
    with _Locked(get_store().staging_path(upload.id), exclusive=True) as locked:
        if locked.fh is None:
            return _after_staging_gone(upload)
        fh = locked.fh
        current = os.fstat(fh.fileno()).st_size
        if offset != current:
            problem = Problem("offset_mismatch", status=409, offset=current)
            problem.headers["Upload-Offset"] = str(current)
            raise problem
        room = upload.length - current
        if content_length is not None and content_length > room:
            raise Problem("too_large", status=413, max=upload.length)
        hasher = checksum[0]() if checksum else None
        fh.seek(current)
        received = 0
        try:
            while piece := stream.read(min(READ_SIZE, room - received + 1)):
                received += len(piece)
                if received > room:
                    raise Problem("too_large", status=413, max=upload.length)
                if hasher:
                    hasher.update(piece)
                fh.write(piece)
        except (Problem, ClientDisconnected, OSError) as exc:
            # A refused chunk goes; a cut one keeps what arrived unless it was to be
            # checked (tus core: the server should keep as much as possible).
            fh.flush()
            keep = current if hasher or isinstance(exc, Problem) else current + min(received, room)
            fh.truncate(keep)
            raise
        finally:
            _count_received(upload.sha256, received)
        fh.flush()
        if hasher and hasher.digest() != checksum[1]:
            fh.truncate(current)
            raise Problem("checksum_mismatch", status=460)
        new_offset = current + received
        if new_offset < upload.length:
            return new_offset
        os.fsync(fh.fileno())
        _finish(upload)
        return upload.length


def _finish(upload: MediaUpload) -> None:
    """The last byte arrived: verify, check, store, or discard everything."""
    store = get_store()
    staging = store.staging_path(upload.id)
    try:
        if _sha256_of(staging) != upload.sha256:
            raise Problem("checksum_mismatch", status=460)
        _store_checked(upload.owner_id, staging, upload.sha256, upload.length)
    except Problem:
        _discard(upload)
        raise
    with write_transaction():
        row = db.session.get(MediaUpload, upload.id)
        row.completed_at = utcnow()
    staging.unlink(missing_ok=True)


def _discard(upload: MediaUpload) -> None:
    get_store().staging_path(upload.id).unlink(missing_ok=True)
    with write_transaction():
        db.session.execute(delete(MediaUpload).where(MediaUpload.id == upload.id))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _store_checked(owner_id: int | None, path: Path, sha256: str, uploaded_size: int) -> MediaFile:
    """Check the complete file at ``path`` (already known to hash to ``sha256``) and store it.

    Raises Problem when refused; the caller deletes ``path``. Nothing refused reaches the store.
    """
    existing = db.session.get(MediaFile, sha256)
    if existing is not None and get_store().exists(sha256):
        return existing
    store = get_store()
    scratch = store.scratch_file()
    try:
        checked = check_file(path, scratch)
        size = checked.path.stat().st_size
        store.put(sha256, checked.path)  # the cleaned copy, under the upload's hash (as photos)
    finally:
        scratch.unlink(missing_ok=True)
    media = MediaFile(sha256=sha256, content_type=checked.content_type, size=size,
                      uploaded_size=uploaded_size, width=checked.width, height=checked.height,
                      duration_ms=checked.duration_ms, uploader_id=owner_id, created_at=utcnow())
    if media.content_type.startswith("image/"):
        # Within the upload's time budget: phones send 1600 px photos, checked in well under
        # 300 ms (bench/faces.py), so a moderator never meets a photo not yet looked at.
        media.faces, media.faces_checked_at = _detect_stored(sha256), utcnow()
    try:
        with write_transaction():
            db.session.merge(media) if existing is not None else db.session.add(media)
    except IntegrityError:
        pass  # stored at the same moment by someone else: same bytes, same id
    else:
        metrics.count_upload(kind_of(media.content_type), size)
    return db.session.get(MediaFile, sha256)


# --- Without JavaScript: a file posted in a form -----------------------------------------

def save_stream(stream, path: Path, max_bytes: int = limits.MEDIA_MAX_BYTES) -> tuple[str, int]:
    """Copy a stream into ``path`` (SHA-256 on the way); Problem 413 past ``max_bytes``, which
    the caller's ``finally`` cleans up. Returns (sha256 hex, size)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as out:
        while chunk := stream.read(READ_SIZE):
            size += len(chunk)
            if size > max_bytes:
                raise Problem("too_large", status=413, max=max_bytes)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def ingest_upload(owner, fileobj, max_bytes: int = limits.MEDIA_MAX_BYTES, audio_only: bool = False) -> str:
    """Store a file posted through the plain HTML form; returns its SHA-256.

    Same checks as a tus upload; the hash is computed here since no client declared it.
    ``audio_only`` refuses anything but a recording before it is stored (a voice reply).
    """
    staging = get_store().staging_path(secrets.token_hex(16))
    try:
        sha256, size = save_stream(fileobj, staging, max_bytes)
        if size == 0:
            raise Problem("empty_media", status=400)
        if audio_only:
            with open(staging, "rb") as fh:
                detected = sniff(fh.read(4096))
            if detected is None or kind_of(detected) != "audio":
                raise Problem("bad_media_type", status=415)
        _store_checked(owner.id, staging, sha256, size)
        return sha256
    finally:
        staging.unlink(missing_ok=True)


# --- Clean-up ----------------------------------------------------------------------------

def release_after_commit(hashes) -> None:
    """Delete these files once the current transaction commits, if no story references them.

    Called when a story is withdrawn (release_with_story); after the commit so that a
    rolled-back withdrawal never loses a file.
    """
    hashes = [h for h in (hashes or []) if isinstance(h, str) and SHA256_RE.match(h)]
    if hashes:
        db.session().info.setdefault("kultialogo_media_release", set()).update(hashes)


def release_with_story(actor, story, revs) -> None:
    """A withdrawn story's files go once the withdrawal commits, if no other story uses them
    (a stories/hooks.py withdrawal hook: it runs while the story still names its files)."""
    release_after_commit(story.media)


def install_release_hook() -> None:
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)


def _after_rollback(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("kultialogo_media_release", None)


def _after_commit(session) -> None:
    # Fired for savepoints too: wait for the real commit, when the write lock is released.
    # (Deleting re-checks references, so a rolled-back savepoint cannot cost a used file.)
    if session.in_nested_transaction():
        return
    pending = session.info.pop("kultialogo_media_release", None)
    if pending:
        # The session cannot run SQL inside after_commit; use a connection of its own.
        delete_unreferenced(pending, bind=session.get_bind())


def delete_unreferenced(hashes, bind=None) -> list[str]:
    """Delete the stored files (bytes and rows) that no story references; returns their ids."""
    bind = bind or db.engine
    deleted = []
    with bind.begin() as conn:  # one transaction: the reference check and the delete
        for sha256 in sorted(set(hashes)):
            used = conn.execute(_referencing_stories_query(sha256).with_only_columns(Story.id).limit(1)).first()
            used = used or any(conn.execute(r.referencing(sha256).limit(1)).first()
                               for r in attachments.referrers())
            if not used:
                deleted.append(sha256)
        if deleted:
            conn.execute(delete(MediaFile).where(MediaFile.sha256.in_(deleted)))
            conn.execute(delete(MediaUpload).where(MediaUpload.sha256.in_(deleted)))
    store = get_store()
    for sha256 in deleted:
        store.delete(sha256)
    return deleted


def collect_garbage(now=None) -> dict:
    """``kultialogo media gc``: expired unfinished uploads, stray staging and scratch files,
    files no story has referenced for MEDIA_UNREFERENCED_DAYS, and stored bytes without a
    database row (a crash between rename and commit)."""
    now = now or utcnow()
    store = get_store()
    with write_transaction():
        expired = list(db.session.scalars(select(MediaUpload.id).where(
            MediaUpload.completed_at.is_(None), MediaUpload.expires_at <= now)))
        if expired:
            db.session.execute(delete(MediaUpload).where(MediaUpload.id.in_(expired)))
    for upload_id in expired:
        store.staging_path(upload_id).unlink(missing_ok=True)
    live = set(db.session.scalars(select(MediaUpload.id).where(MediaUpload.completed_at.is_(None))))
    grace = timedelta(hours=1).total_seconds()
    stray = 0
    for folder, keep in ((store.staging, live), (store.tmp, set())):
        for path in folder.iterdir():
            if path.name not in keep and now.timestamp() - path.stat().st_mtime > grace:
                path.unlink(missing_ok=True)
                stray += 1
    # Files no story took up (a story edited or never sent, a form refused after its files).
    cutoff = now - timedelta(days=limits.MEDIA_UNREFERENCED_DAYS)
    candidates = list(db.session.scalars(select(MediaFile.sha256).where(MediaFile.created_at < cutoff)))
    db.session.rollback()  # end the read before delete_unreferenced writes (SQLite's one writer)
    unreferenced = delete_unreferenced(candidates) if candidates else []
    known = set(db.session.scalars(select(MediaFile.sha256)))
    orphans = 0
    for sha256, modified in list(store.stored_items()):
        if sha256 not in known and now.timestamp() - modified > grace:
            store.delete(sha256)
            orphans += 1
    store.drop_copies(keep=known)  # a bucket's local copies of files deleted elsewhere
    return {"expired_uploads": len(expired), "stray_files": stray, "orphan_files": orphans,
            "unreferenced_files": len(unreferenced)}


def expired_uploads_waiting() -> int:
    """Unfinished uploads past their expiry, which `kultialogo media gc` removes (/metrics)."""
    return db.session.scalar(select(func.count()).select_from(MediaUpload).where(
        MediaUpload.completed_at.is_(None), MediaUpload.expires_at <= utcnow())) or 0


def photos_unchecked_for_faces() -> int:
    """Photos stored before faces were flagged, which the review queue or `kultialogo media
    faces` checks (/metrics)."""
    return db.session.scalar(select(func.count()).select_from(MediaFile).where(
        MediaFile.faces_checked_at.is_(None), MediaFile.content_type.like("image/%"))) or 0


def options_headers() -> dict[str, str]:
    return {"Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(limits.MEDIA_MAX_BYTES),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUMS)}



def ingest_form_files(owner, **files) -> list[str]:
    """Files posted in the plain write form (``photo=``, ``audio=``): their SHA-256, in order.

    An empty file input arrives as a part with no name; it is skipped. A refusal names the
    form field it came from.
    """
    hashes = []
    for name, storage in files.items():
        if storage is None or not getattr(storage, "filename", None):
            continue
        try:
            sha256 = ingest_upload(owner, storage.stream)
        except Problem as problem:
            problem.field = name
            raise
        if sha256 not in hashes:
            hashes.append(sha256)
    return hashes


def _kept_files(actor, hashes) -> dict[str, str]:
    """Of the files a form says it kept (its confirmation step, #17), those this person
    uploaded, by kind ({"image": sha256, "audio": sha256}): a hash alone must not let anyone
    attach, and so publish, someone else's file. Others are left out without a word."""
    kept = {}
    for sha256 in hashes or []:
        media = db.session.get(MediaFile, sha256) if SHA256_RE.match(sha256 or "") else None
        if media is not None and is_uploader(actor, sha256, media):
            kept.setdefault(kind_of(media.content_type), sha256)
    return kept


def form_content(actor, form) -> dict:
    """The write form's photo and recording, stored now (a stories/hooks.py form content),
    and those it kept from before (stored at its first post): a new file replaces the kept
    one of its kind. Photo first, as the phone sends them."""
    kept = _kept_files(actor, getattr(getattr(form, "kept_media", None), "data", None))
    photo, audio = form.photo.data, form.audio.data
    if getattr(photo, "filename", None):
        kept["image"] = ingest_form_files(actor, photo=photo)[0]
    if getattr(audio, "filename", None):
        disguise_it = getattr(form, "disguise_voice", None) is not None and form.disguise_voice.data
        if not disguise_it:
            kept["audio"] = ingest_form_files(actor, audio=audio)[0]
        else:  # in memory, as a reply's (media.FormRequest keeps the part there)
            kept["audio"] = ingest_recording(actor, audio, "audio", limits.VOICE_DISGUISE_MAX_BYTES, disguise=True)
    hashes = []
    for kind in ("image", "audio", *kept):
        if kind in kept and kept[kind] not in hashes:
            hashes.append(kept[kind])
    return {"media": hashes}


def story_media(story) -> list[dict]:
    """The story's stored files in its order, for pages (``story_media`` in templates)."""
    hashes = [h for h in (story.media or []) if isinstance(h, str)]
    if not hashes:
        return []
    rows = {m.sha256: m for m in db.session.scalars(select(MediaFile).where(MediaFile.sha256.in_(hashes)))}
    return [{"url": url_for("media.serve", sha256=h), "sha256": h, "content_type": rows[h].content_type,
             "kind": "image" if rows[h].content_type.startswith("image/") else "audio",
             "width": rows[h].width, "height": rows[h].height, "duration_ms": rows[h].duration_ms,
             "disguised": rows[h].disguised}
            for h in hashes if h in rows]


def ingest_recording(owner, storage, field: str, max_bytes: int, disguise: bool = False) -> str:
    """A recording posted with a reply or a help request (attachments.py): audio only, within
    the record's own limit; the refusal names the form field. ``disguise``: the voice is
    disguised in memory (the form's part is in memory, media.FormRequest) and only the
    disguised bytes are stored, as for a story."""
    try:
        if disguise:
            data = read_body_in_memory(storage.stream, None, min(max_bytes, limits.VOICE_DISGUISE_MAX_BYTES))
            return ingest_disguised(owner, data).sha256
        return ingest_upload(owner, storage.stream, max_bytes=max_bytes, audio_only=True)
    except Problem as problem:
        problem.field = field
        raise


def recordings_missing(owner, hashes) -> list[str]:
    """Of the files a pushed reply names, those this person has not uploaded as a recording (a
    hash alone must not let anyone attach, and so reveal, someone else's file)."""
    out = []
    for sha256 in hashes:
        media = db.session.get(MediaFile, sha256) if SHA256_RE.match(sha256 or "") else None
        if (media is None or kind_of(media.content_type) != "audio" or media.size > limits.REPLY_AUDIO_MAX_BYTES
                or not is_uploader(owner, sha256, media)):
            out.append(sha256)
    return out


def recordings_disguised(owner, hashes) -> bool:
    """Whether every one of these files is a recording ``owner`` uploaded, stored with its voice
    disguised (attachments.same_recordings)."""
    if not hashes or any(not SHA256_RE.match(h or "") for h in hashes):
        return False
    rows = {m.sha256: m for m in db.session.scalars(select(MediaFile).where(MediaFile.sha256.in_(set(hashes))))}
    return all(h in rows and rows[h].disguised and kind_of(rows[h].content_type) == "audio"
               and is_uploader(owner, h, rows[h]) for h in hashes)


def describe(hashes) -> list[dict]:
    """Stored recordings for a page, in order: served URL, type and length."""
    if not hashes:
        return []
    rows = {m.sha256: m for m in db.session.scalars(select(MediaFile).where(MediaFile.sha256.in_(hashes)))}
    return [{"url": url_for("media.serve", sha256=h), "content_type": rows[h].content_type,
             "kind": kind_of(rows[h].content_type), "duration_ms": rows[h].duration_ms,
             "disguised": rows[h].disguised}
            for h in hashes if h in rows]


def duration_seconds(ms: int) -> int:
    return max(1, round(ms / 1000))


def format_duration(ms: int) -> str:
    """A recording's length as a player shows it (m:ss), in the reader's digits."""
    seconds = duration_seconds(ms)
    return native_digits(f"{seconds // 60}:{seconds % 60:02d}")


# --- Faces (#17): flagged for moderators, blurred on request -------------------------------

PREVIEW_WIDTH = 200  # CSS pixels: the moderation preview's width (fits a 320 px phone with text at 200%)

def _detect_stored(sha256: str) -> list | None:
    from PIL import Image
    from . import faces
    path = get_store().local_path(sha256)
    if path is None:
        return None
    with Image.open(path) as image:
        return faces.detect(image)


def faces_of(media: MediaFile) -> list:
    """The face boxes of a stored photo, looking for them now if it was stored before #17."""
    if media.faces_checked_at is None:
        boxes = _detect_stored(media.sha256)
        if boxes is None:
            return []
        with write_transaction():
            row = db.session.get(MediaFile, media.sha256)
            if row is not None:
                row.faces, row.faces_checked_at = boxes, utcnow()
        return boxes
    return list(media.faces or [])


def check_unchecked_faces(limit: int | None = None) -> int:
    """``kultialogo media faces``: look for faces in every photo not yet checked; returns how many."""
    query = select(MediaFile).where(MediaFile.faces_checked_at.is_(None), MediaFile.content_type.like("image/%"))
    rows = list(db.session.scalars(query.limit(limit) if limit else query))
    for media in rows:
        faces_of(media)
    return len(rows)


def story_faces(story) -> list[dict]:
    """The photos of a public or community story with the faces found in them, for the
    moderation queue (``story_faces`` in templates); [] for other stories."""
    if story.visibility not in ("public", "community"):
        return []
    hashes = [h for h in (story.media or []) if isinstance(h, str)]
    rows = {m.sha256: m for m in db.session.scalars(select(MediaFile).where(MediaFile.sha256.in_(hashes)))} if hashes else {}
    out = []
    for h in hashes:
        media = rows.get(h)
        if media is None or not media.content_type.startswith("image/") or not media.width:
            continue
        # The no-JS click preview is shown at a fixed width (the browser sends the click in
        # shown pixels; ``shown`` lets the server scale it back to the photo's).
        shown = min(media.width, PREVIEW_WIDTH)
        out.append({"sha256": h, "url": url_for("media.serve", sha256=h), "width": media.width,
                    "height": media.height, "shown_width": shown,
                    "shown_height": max(1, round(media.height * shown / media.width)),
                    "boxes": faces_of(media),
                    "action": url_for("media.blur", story_id=story.id, sha256=h)})
    return out


def blur_story_photo(actor, story_id, sha256: str, boxes=None, point=None) -> str:
    """Blur the faces found in one of a story's photos (or the given boxes, or a box around a
    clicked point), store the result under its new hash, make the story reference it (a new
    revision, so phones get an edit on their next pull) and delete the old bytes if nothing
    else uses them. Moderators of the story's community only. Returns the new hash."""
    from PIL import Image
    from . import faces
    from .. import audit
    from ..revisions import RevisionBlock
    from ..stories.service import content_etag, story_content
    story = db.session.get(Story, story_id)
    if story is None or sha256 not in (story.media or []):
        raise Problem("not_found", status=404)
    if not policy.can_moderate_story(actor, story):
        raise Problem("forbidden", status=403)
    media = db.session.get(MediaFile, sha256)
    path = get_store().local_path(sha256) if media is not None else None
    if media is None or path is None or not media.content_type.startswith("image/"):
        raise Problem("not_found", status=404)
    with Image.open(path) as opened:
        image = opened.copy()
    if point is not None:
        x, y = point
        if not (0 <= x < image.width and 0 <= y < image.height):
            raise Problem("bad_region", status=400)
        boxes = [faces.click_box(x, y, image.width, image.height)]
    elif boxes is None:
        boxes = faces_of(media)
    boxes = [b for b in (faces.clamp(b, image.width, image.height) for b in boxes) if b]
    if not boxes:
        raise Problem("bad_region", status=400)
    data = faces.encode_jpeg(faces.blur(image, boxes))
    new_hash = hashlib.sha256(data).hexdigest()
    staging = get_store().staging_path(secrets.token_hex(16))
    try:
        staging.write_bytes(data)
        _store_checked(actor.id, staging, new_hash, len(data))
    finally:
        staging.unlink(missing_ok=True)
    with write_transaction():
        story = db.session.get(Story, story_id, populate_existing=True)
        revs = RevisionBlock(db.session)
        story.media = [new_hash if h == sha256 else h for h in (story.media or [])]
        story.etag = content_etag(story_content(story))
        story.revision = revs.next()
        # The new file keeps what detection found on it at storing (a face outside the blurred
        # box stays flagged; a blurred one is no longer found).
        audit.record("media.blur_faces", actor, story_id=story.id, community_id=story.community_id,
                     regions=len(boxes))
        revs.flush()
    delete_unreferenced([sha256])  # committed: the old bytes go unless another record uses them
    return new_hash


# --- A disguised voice: one request, held in memory ---------------------------------------

def ingest_disguised(owner, data: bytes) -> MediaFile:
    """Disguise the recording in ``data`` (disguise.py) and store only the disguised bytes.

    The original is read from memory and never written anywhere; the stored file is known by
    the SHA-256 of the disguised bytes. Problem when it is empty, not audio, or unreadable.
    """
    if not data:
        raise Problem("empty_media", status=400)
    content_type = sniff(data[:4096])
    if content_type is None or kind_of(content_type) != "audio":
        raise Problem("bad_media_type", status=415)
    from . import disguise  # late: numpy and PyAV load only when a voice is disguised
    from .checks import _DECODING
    with _DECODING:
        disguised, duration_ms = disguise.disguise(data, content_type)
    sha256 = hashlib.sha256(disguised).hexdigest()
    store = get_store()
    existing = db.session.get(MediaFile, sha256)
    if existing is None or not store.exists(sha256):
        scratch = store.scratch_file()
        try:
            scratch.write_bytes(disguised)  # the disguised bytes only
            store.put(sha256, scratch)
        finally:
            scratch.unlink(missing_ok=True)
    if existing is None:
        try:
            with write_transaction():
                db.session.add(MediaFile(sha256=sha256, content_type="audio/webm", size=len(disguised),
                                         uploaded_size=len(data), duration_ms=duration_ms, disguised=True,
                                         uploader_id=owner.id if owner is not None else None,
                                         created_at=utcnow()))
        except IntegrityError:
            pass
        else:
            metrics.count_upload("audio", len(disguised))
    return db.session.get(MediaFile, sha256)


def read_body_in_memory(stream, content_length, max_bytes: int) -> bytes:
    """The whole request body as bytes, refused past ``max_bytes`` (never spooled to disk)."""
    if content_length is not None and content_length > max_bytes:
        raise Problem("too_large", status=413, max=max_bytes)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Problem("too_large", status=413, max=max_bytes)
    return data
