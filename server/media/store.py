"""Where media bytes live: a small interface, a local folder today (an S3-compatible bucket later).

Two kinds of bytes:
- finished files, content-addressed by SHA-256 (``put``/``exists``/``local_path``/``delete``),
  written to a temporary name and renamed into place, so a reader never sees half a file;
- tus staging files for uploads in progress (``staging_path``), always on the local disk: the
  partial file's length is the upload's offset.
"""
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class MediaStore(Protocol):
    def put(self, sha256: str, source: Path) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def local_path(self, sha256: str) -> Path | None: ...
    def delete(self, sha256: str) -> None: ...
    def staging_path(self, upload_id: str) -> Path: ...
    def scratch_file(self) -> Path: ...


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

    def stored_hashes(self):
        """Every sha256 with a file in the store (for garbage collection)."""
        for path in self.root.glob("??/??/*"):
            if SHA256_RE.match(path.name):
                yield path.name


def get_store() -> LocalStore:
    """The app's store (one per app, made on first use)."""
    store = current_app.extensions.get("kultialogo_media_store")
    if store is None:
        store = LocalStore(Path(current_app.config["DATA_DIR"]) / "media")
        current_app.extensions["kultialogo_media_store"] = store
    return store
