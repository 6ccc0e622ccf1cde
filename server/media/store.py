"""Where media bytes live: a small interface with two backends, chosen by ``MEDIA_STORE``.

- ``local`` (the default): a content-addressed folder under ``DATA_DIR/media``.
- ``s3``: an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph...), through boto3, so several
  app servers share the same files.

Two kinds of bytes:
- finished files, content-addressed by SHA-256 (``put``/``exists``/``local_path``/``delete``),
  written to a temporary name and renamed into place (or uploaded whole), so a reader never
  sees half a file;
- tus staging files for uploads in progress (``staging_path``), always on a local disk: the
  partial file's length is the upload's offset. Workers of one machine share it (DATA_DIR), so
  an upload resumes on whichever worker the next request reaches; app servers on several
  machines need ``DATA_DIR`` on a shared volume or a proxy that keeps a client on one machine
  (docs/production.md).
"""
import os
import re
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Iterator, Protocol

from flask import current_app

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class MediaStore(Protocol):
    def put(self, sha256: str, source: Path) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def local_path(self, sha256: str) -> Path | None: ...
    def delete(self, sha256: str) -> None: ...
    def staging_path(self, upload_id: str) -> Path: ...
    def scratch_file(self) -> Path: ...
    def stored_items(self) -> Iterator[tuple[str, float]]: ...
    def check(self) -> None: ...


class LocalStore:
    """Files under ``<DATA_DIR>/media/ab/cd/<sha256>``; staging in ``.uploads``, scratch in ``.tmp``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.staging = self.root / ".uploads"
        self.tmp = self.root / ".tmp"
        for folder in (self.root, self.staging, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, source: Path) -> None:
        """Move ``source`` (a file in scratch or staging, same filesystem) into place atomically."""
        target = self._path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(source, target)  # atomic on POSIX; an identical file may already be there

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        return path if path.is_file() else None

    def delete(self, sha256: str) -> None:
        try:
            self._path(sha256).unlink()
        except FileNotFoundError:
            pass

    def staging_path(self, upload_id: str) -> Path:
        if not re.match(r"^[0-9a-f]{32}$", upload_id):
            raise ValueError("not an upload id")
        return self.staging / upload_id

    def scratch_file(self) -> Path:
        """A new empty file beside the store (same filesystem, so ``put`` can rename it)."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="enc-")
        os.close(fd)
        return Path(name)

    def drop_copies(self, keep) -> None:
        """Local copies of files kept elsewhere: none here (S3Store keeps some)."""

    def check(self) -> None:
        """Write, read back and delete a tiny file where stored files are made (the scratch
        folder, same filesystem as the store); OSError if any step fails (/healthz)."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="health-")
        try:
            os.write(fd, b"ok")
            if os.pread(fd, 2, 0) != b"ok":
                raise OSError("the media store gave back other bytes than written")
        finally:
            os.close(fd)
            os.unlink(name)

    def stored_hashes(self):
        """Every sha256 with a file in the store (for garbage collection)."""
        for sha256, _mtime in self.stored_items():
            yield sha256

    def stored_items(self):
        """(sha256, last modified as epoch seconds) of every stored file."""
        for path in self.root.glob("??/??/*"):
            if SHA256_RE.match(path.name):
                try:
                    yield path.name, path.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue


class S3Store(LocalStore):
    """Finished files in a bucket, under ``<prefix>ab/cd/<sha256>``; staging and scratch stay
    on the local disk (``DATA_DIR/media``, as for LocalStore).

    Readers of a file (sending it, checking it, zipping it into an export) get a local copy:
    ``local_path`` fetches the object once into ``.cache`` and serves from there, so the code
    above is the same for both backends. The cache holds at most ``cache_max_bytes`` (the
    least recently used copies go first) and ``delete`` removes the copy with the object; a
    copy whose object another machine deleted is never served, because every reader checks
    the database row first, and ``kultialogo media gc`` drops such copies.
    """

    def __init__(self, root: Path, bucket: str, client, prefix: str = "media/", cache_max_bytes: int = 2 << 30):
        super().__init__(root)
        self.bucket, self.client, self.prefix = bucket, client, prefix
        self.cache = self.root / ".cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.cache_max_bytes = cache_max_bytes
        self._fetched = 0
        self._lock = threading.Lock()

    def _key(self, sha256: str) -> str:
        if not SHA256_RE.match(sha256):
            raise ValueError("not a sha256")
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _cached(self, sha256: str) -> Path:
        return self.cache / self._key(sha256)[len(self.prefix):]

    def _missing(self, error) -> bool:
        return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def put(self, sha256: str, source: Path) -> None:
        """Upload ``source`` whole (an object appears complete or not at all), then keep it as
        the local copy: the file is usually read again at once (faces, the first view)."""
        self.client.upload_file(str(source), self.bucket, self._key(sha256),
                                ExtraArgs={"ContentType": "application/octet-stream"})
        target = self._cached(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self._trim_soon()

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
            return True
        except ClientError as error:
            if self._missing(error):
                return False
            raise

    def local_path(self, sha256: str) -> Path | None:
        from botocore.exceptions import ClientError
        target = self._cached(sha256)
        if target.is_file():
            os.utime(target)  # recently used: trimmed last
            return target
        scratch = self.scratch_file()
        try:
            self.client.download_file(self.bucket, self._key(sha256), str(scratch))
        except ClientError as error:
            scratch.unlink(missing_ok=True)
            if self._missing(error):
                return None
            raise
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch, target)
        self._trim_soon()
        return target

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))
        self._cached(sha256).unlink(missing_ok=True)

    def stored_items(self):
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for entry in page.get("Contents", []):
                name = entry["Key"].rsplit("/", 1)[-1]
                if SHA256_RE.match(name):
                    modified = entry["LastModified"]
                    yield name, modified.timestamp() if isinstance(modified, datetime) else float(modified)

    def cached_hashes(self):
        for path in self.cache.glob("??/??/*"):
            if SHA256_RE.match(path.name):
                yield path.name

    def drop_copy(self, sha256: str) -> None:
        self._cached(sha256).unlink(missing_ok=True)

    def drop_copies(self, keep) -> None:
        """Drop the local copies of files not in ``keep``: another machine deleted them."""
        for sha256 in list(self.cached_hashes()):
            if sha256 not in keep:
                self.drop_copy(sha256)

    def check(self) -> None:
        """LocalStore's check (staging and scratch are local), then the bucket answers; OSError
        otherwise, as /healthz expects."""
        from botocore.exceptions import BotoCoreError, ClientError
        super().check()
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise OSError(f"the bucket does not answer: {type(error).__name__}") from None

    def _trim_soon(self) -> None:
        """Every 32 files fetched or stored, trim the cache to its size (least recently used first)."""
        with self._lock:
            self._fetched += 1
            if self._fetched % 32:
                return
        self.trim_cache()

    def trim_cache(self) -> int:
        entries = []
        for path in self.cache.glob("??/??/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _m, size, _p in entries)
        removed = 0
        for _mtime, size, path in sorted(entries):
            if total <= self.cache_max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed


def s3_client(config):
    """A boto3 client for the configured bucket; credentials the usual way (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    import boto3
    from botocore.config import Config
    endpoint = config.get("S3_ENDPOINT_URL") or None
    return boto3.client("s3", endpoint_url=endpoint, region_name=config.get("S3_REGION") or None,
                        config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                      s3={"addressing_style": "path"} if endpoint else {}))


def make_store(config) -> LocalStore:
    root = Path(config["DATA_DIR"]) / "media"
    kind = config.get("MEDIA_STORE", "local")
    if kind == "local":
        return LocalStore(root)
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("MEDIA_STORE is s3 but S3_BUCKET (KULTIALOGO_S3_BUCKET) is not set")
        return S3Store(root, config["S3_BUCKET"], s3_client(config), config.get("S3_PREFIX", "media/"),
                       int(config.get("MEDIA_CACHE_MAX_BYTES", 2 << 30)))
    raise RuntimeError(f"MEDIA_STORE must be local or s3, not {kind!r}")


def get_store() -> LocalStore:
    """The app's store (one per app, made on first use)."""
    store = current_app.extensions.get("kultialogo_media_store")
    if store is None:
        store = make_store(current_app.config)
        current_app.extensions["kultialogo_media_store"] = store
    return store
