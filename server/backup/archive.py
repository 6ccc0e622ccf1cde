"""The backup file: an uncompressed tar of ``manifest.json``, its checksum, the database dump
and the media files, each file's SHA-256 and size in the manifest.

Plain Python over the standard library (no app, no database), so it can be read and checked
on its own. Uncompressed: photos and recordings are compressed already, and a plain tar can be
listed and copied by any tool on any machine.
"""
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

FORMAT = "kultialogo-backup"
VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_MEDIA_NAME = re.compile(r"^media/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be made or a file that cannot be restored; the message says why."""


def media_name(sha256: str) -> str:
    return f"media/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class _Hashing(io.RawIOBase):
    """Reads a file while hashing what was read (tarfile copies from it)."""

    def __init__(self, fh):
        self._fh = fh
        self.hash = hashlib.sha256()

    def readable(self):
        return True

    def read(self, size=-1):
        data = self._fh.read(size)
        self.hash.update(data)
        return data


class Writer:
    """Writes the archive to ``<path>.partial`` and renames it into place on ``close``; files
    are added with their checksums, the manifest last."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.files: dict[str, dict] = {}
        self._tar = tarfile.open(self.partial, "w", format=tarfile.PAX_FORMAT)

    def add(self, name: str, source: Path) -> bool:
        """Add one file; False if it vanished before it could be opened (a withdrawn story's
        photo deleted meanwhile: not backed up, as it should be)."""
        try:
            fh = open(source, "rb")
        except FileNotFoundError:
            return False
        with fh:
            info = tarfile.TarInfo(name)
            info.size = os.fstat(fh.fileno()).st_size  # an open file keeps its bytes if unlinked
            info.mode = 0o600
            reader = _Hashing(fh)
            self._tar.addfile(info, reader)
        self.files[name] = {"sha256": reader.hash.hexdigest(), "size": info.size}
        return True

    def _add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        self._tar.addfile(info, io.BytesIO(data))

    def close(self, manifest: dict) -> dict:
        manifest = {"format": FORMAT, "version": VERSION, **manifest, "files": self.files}
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        self._add_bytes(MANIFEST, data)
        self._add_bytes(MANIFEST_SUM, hashlib.sha256(data).hexdigest().encode() + b"\n")
        self._tar.close()
        with open(self.partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.partial, self.path)
        return manifest

    def abort(self) -> None:
        self._tar.close()
        self.partial.unlink(missing_ok=True)


def extract_checked(path: Path, into: Path) -> dict:
    """Check the whole archive and extract it into the (new, empty) folder ``into``.

    Every file must be named in the manifest with its SHA-256 and size, and every file the
    manifest names must be there; anything else raises BackupError (the caller removes
    ``into``). Returns the manifest.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    seen: dict[str, dict] = {}
    manifest_bytes = manifest_sum = None
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                name = member.name
                if not member.isfile():
                    raise BackupError(f"{path}: unexpected entry {name!r} (not a Kultialogo backup?).")
                if name in (MANIFEST, MANIFEST_SUM):
                    data = tar.extractfile(member).read()
                    if name == MANIFEST:
                        manifest_bytes = data
                    else:
                        manifest_sum = data.decode("ascii", "replace").strip()
                    continue
                if name not in DATABASE_FILES.values() and not _MEDIA_NAME.match(name):
                    raise BackupError(f"{path}: unexpected entry {name!r} (not a Kultialogo backup?).")
                if name in seen:
                    raise BackupError(f"{path}: {name} appears twice.")
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                seen[name] = {"sha256": digest.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{path} is damaged or cut short (not a complete tar file): {exc}.") from None
    except UnicodeDecodeError:
        raise BackupError(f"{path} is damaged: a file name is not readable.") from None
    if manifest_bytes is None or manifest_sum is None:
        raise BackupError(f"{path} has no manifest: not a Kultialogo backup, or cut short.")
    if hashlib.sha256(manifest_bytes).hexdigest() != manifest_sum:
        raise BackupError(f"{path} is damaged: its manifest does not match its checksum.")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise BackupError(f"{path} is damaged: its manifest is not readable.") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path} is not a Kultialogo backup of a version this program reads.")
    expected = manifest.get("files") or {}
    damaged = sorted(n for n in seen if expected.get(n) != seen[n])
    missing = sorted(set(expected) - set(seen))
    if damaged or missing:
        parts = []
        if damaged:
            parts.append(f"{len(damaged)} file(s) do not match their checksum ({', '.join(damaged[:3])})")
        if missing:
            parts.append(f"{len(missing)} file(s) are missing ({', '.join(missing[:3])})")
        raise BackupError(f"{path} is damaged: " + "; ".join(parts) + ". Nothing was restored.")
    return manifest


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
