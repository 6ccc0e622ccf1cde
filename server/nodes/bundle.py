"""The node export file: everything a camp node holds that central has not acknowledged, in one
signed, checksummed file that travels on a USB stick (issue #15). Plain Python, no Flask.

Written and read in one streaming pass: a media file is copied block by block, never held
whole, so a bundle of hundreds of MB costs a few MB of memory on either side.

Layout (integers big-endian)::

    magic     b"KULTIALOGO-NODE-EXPORT/1\\n"    (the format version in ASCII digits)
    frame     the header                       (kind "H")
    frame*    media files, then chunks         (kinds "M", "C"; media first, so every file is
                                                 there before the records that name it)
    frame     the end marker                   (kind "E"), then the file ends

    frame :=  kind      1 byte   H, M, C or E
              meta_len  4 bytes
              data_len  8 bytes
              meta      meta_len bytes: a JSON object (UTF-8)
              tag       32 bytes
              data      data_len bytes
              digest    32 bytes: SHA-256 of data
              tag       32 bytes

    H  meta: the header {"format": "kultialogo-node-export", "version": 1, "bundle_id",
       "created_at", and the node's fields: label, community id, token id, counts...}; no data.
    M  meta: {"sha256", "content_type"}; data: the file's stored bytes, whose SHA-256 must be
       both the digest and the name.
    C  meta: {}; data: one chunk, a JSON object such as a push body {"items": [...]}.
    E  meta: {"chunks", "items", "media", "media_bytes"}, what the file holds; no data.

Every tag is HMAC-SHA256(key, every byte of the file before it). The key comes from the
node's token by way of its SHA-256, which is all central keeps of a token (``derive_key``,
``key_from_token_hash``). So every byte is signed: the last tag signs the whole file; the tag
after a frame's lengths and metadata lets a reader trust them before it allocates or parses
anything (only the header, at most MAX_META_BYTES, is parsed first: it names the node, hence
the key); the one after its data lets a reader hand over an entry the moment it is read,
already authenticated. The end marker tells a complete file from one cut at a frame
boundary, and nothing may follow it. Digests are checked before tags, so a damaged byte in an
entry's data reads as "bad_checksum" and an altered one elsewhere as "bad_signature".

Why not tar or zip: every byte of the file, padding included, had to be under the signature,
with no parser in front of it that skips damaged headers or trailing blocks on its own.

The importer calls ``verify_bundle`` (a full pass that imports nothing) and then, if it
passed, ``read_bundle``, which checks everything again while it hands entries over: the file
could change between the passes. A file cut short between the passes can still stop
``read_bundle`` half way, after the entries before the cut; those are authentic, and
importing them is safe under the sync's idempotent rules.
"""
import hashlib
import hmac
import json
import os
import re
import struct
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..timeutil import isoformat, utcnow

FORMAT = "kultialogo-node-export"
VERSION = 1
MAGIC = b"KULTIALOGO-NODE-EXPORT/"  # then the version in ASCII digits and a newline
KEY_CONTEXT = b"kultialogo-export-v1"

# What a hostile file could make a reader allocate; each is checked before the bytes are read.
MAX_META_BYTES = 64 * 1024             # the header, or one entry's metadata
MAX_CHUNK_BYTES = 8 * 1024 * 1024      # one chunk's JSON (read whole, then parsed)
MAX_MEDIA_BYTES = 50 * 1024 * 1024     # one media file (streamed; twice the largest upload)
MAX_ENTRIES = 100_000                  # media files and chunks together
MAX_CONTENT_TYPE = 100                 # characters
BLOCK = 1024 * 1024                    # bytes copied at a time; also the progress step

HEADER, MEDIA, CHUNK, END = b"H", b"M", b"C", b"E"
_HEAD = struct.Struct(">cIQ")  # kind, meta_len, data_len
_SIZE = 32                     # a SHA-256 digest and an HMAC-SHA256 tag
_EMPTY = hashlib.sha256(b"").digest()
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_MAX_VERSION_DIGITS = 6


class BundleError(Exception):
    """A file that cannot be written or imported. ``code`` is machine-readable: not_a_bundle,
    unsupported_version, wrong_node, truncated, bad_checksum, bad_signature or too_large;
    ``message`` is plain English; ``offset`` is where in the file the reader stopped, if known."""

    def __init__(self, code: str, message: str, offset: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset


def key_from_token_hash(token_hash: str) -> bytes:
    """The signing key from the token's SHA-256 hex digest, which is all central stores."""
    return hmac.new(token_hash.encode("ascii"), KEY_CONTEXT, hashlib.sha256).digest()


def derive_key(token: str) -> bytes:
    """The node's signing key from its API token (central gets the same key from the hash)."""
    return key_from_token_hash(hashlib.sha256(token.encode()).hexdigest())


# --- Writing ---------------------------------------------------------------------------------

class _Writer:
    def __init__(self, fileobj, key: bytes, progress):
        self.out = fileobj
        self.mac = hmac.new(key, digestmod=hashlib.sha256)
        self.done = 0
        self.progress = progress
        self.reported = 0

    def write(self, data) -> None:
        self.mac.update(data)
        view = memoryview(data)
        while view:
            written = self.out.write(view)
            if written is None or written >= len(view):  # None: a file object that writes all
                break
            view = view[written:]
        self.done += len(data)
        if self.progress is not None and self.done - self.reported >= BLOCK:
            self.reported = self.done
            self.progress(self.done)

    def tag(self) -> None:
        self.write(self.mac.copy().digest())

    def open_frame(self, kind: bytes, meta: dict, data_len: int) -> None:
        raw = _dumps(meta)
        if len(raw) > MAX_META_BYTES:
            raise BundleError("too_large", f"Metadata of {len(raw)} bytes; at most {MAX_META_BYTES} fit in a bundle.")
        self.write(_HEAD.pack(kind, len(raw), data_len) + raw)
        self.tag()

    def small_frame(self, kind: bytes, meta: dict, data: bytes = b"") -> None:
        self.open_frame(kind, meta, len(data))
        self.write(data)
        self.write(hashlib.sha256(data).digest())
        self.tag()


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def write_bundle(fileobj, *, key: bytes, header: dict, chunks: Iterable[dict],
                 media: Iterable[tuple[str, str, Path]], progress=None) -> dict:
    """Write a bundle to the binary file object ``fileobj`` (it need not be seekable).

    ``header``: the node's fields (label, community id, token id, counts...); "format",
    "version", "bundle_id" and "created_at" (unless given) are added. ``media``: (sha256,
    content_type, path) of stored files, written first, each once; ``chunks``: JSON objects,
    written after them in order. ``progress(done_bytes)`` is called about every MB.
    Returns {"chunks", "items", "media", "media_bytes", "bytes", "bundle_id"}.

    On any exception the output is incomplete (it has no end marker, so every reader refuses
    it): delete it. A media file that does not hash to its name raises "bad_checksum".
    """
    if not isinstance(header, dict):
        raise TypeError("the header is a dict")
    if "token" in header:
        raise ValueError("anyone can read the header: put the token's id in it, never the token")
    header = {**header, "format": FORMAT, "version": VERSION, "bundle_id": uuid.uuid4().hex,
              "created_at": header.get("created_at") or isoformat(utcnow())}
    out = _Writer(fileobj, key, progress)
    out.write(MAGIC + str(VERSION).encode() + b"\n")
    out.small_frame(HEADER, header)
    counts = {"chunks": 0, "items": 0, "media": 0, "media_bytes": 0}
    entries = 0
    written = set()
    for sha256, content_type, path in media:
        if sha256 in written:
            continue
        entries = _count_entry(entries)
        counts["media_bytes"] += _write_media(out, sha256, content_type, Path(path))
        counts["media"] += 1
        written.add(sha256)
    for chunk in chunks:
        if not isinstance(chunk, dict):
            raise TypeError("a chunk is a dict")
        raw = _dumps(chunk)
        if len(raw) > MAX_CHUNK_BYTES:
            raise BundleError("too_large", f"A chunk of {len(raw)} bytes; at most {MAX_CHUNK_BYTES} fit: "
                              "send fewer records per chunk.")
        entries = _count_entry(entries)
        out.small_frame(CHUNK, {}, raw)
        counts["chunks"] += 1
        counts["items"] += _items(chunk)
    out.small_frame(END, counts)
    if hasattr(fileobj, "flush"):
        fileobj.flush()
    if progress is not None:
        progress(out.done)
    return {**counts, "bytes": out.done, "bundle_id": header["bundle_id"]}


def _count_entry(entries: int) -> int:
    if entries >= MAX_ENTRIES:
        raise BundleError("too_large", f"More than {MAX_ENTRIES} media files and chunks; export in parts.")
    return entries + 1


def _items(chunk: dict) -> int:
    items = chunk.get("items")
    return len(items) if isinstance(items, list) else 0


def _write_media(out: _Writer, sha256: str, content_type: str, path: Path) -> int:
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 name: {sha256!r}")
    if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE:
        raise ValueError(f"not a content type: {content_type!r}")
    with open(path, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        if size > MAX_MEDIA_BYTES:
            raise BundleError("too_large", f"Media file {sha256} has {size} bytes; at most {MAX_MEDIA_BYTES} fit.")
        out.open_frame(MEDIA, {"sha256": sha256, "content_type": content_type}, size)
        digest = hashlib.sha256()
        left = size
        while left:
            block = source.read(min(BLOCK, left))
            if not block:
                raise BundleError("bad_checksum", f"Media file {sha256} became shorter while it was exported.")
            digest.update(block)
            out.write(block)
            left -= len(block)
        if source.read(1):
            raise BundleError("bad_checksum", f"Media file {sha256} grew while it was exported.")
    # The name is the media store's key: the SHA-256 of the upload the file came from, not of
    # these (cleaned) bytes; the frame's own checksum covers the bytes.
    out.write(digest.digest())
    out.tag()
    return size


# --- Reading ---------------------------------------------------------------------------------

class _Reader:
    """Reads exactly what is asked or raises "truncated"; feeds every byte to the HMAC (to a
    buffer until the header has named the key)."""

    def __init__(self, fileobj, progress):
        self.inp = fileobj
        self.offset = 0
        self.mac = None
        self.before_key = bytearray()
        self.progress = progress
        self.reported = 0

    def read(self, n: int, what: str) -> bytes:
        data = self.inp.read(n)
        while len(data) < n:
            more = self.inp.read(n - len(data))
            if not more:
                raise BundleError(
                    "truncated", f"The file ends at byte {self.offset + len(data)}, inside {what}: it was cut "
                    "short (copied before the export finished, or the stick was removed too early).",
                    self.offset + len(data))
            data += more
        if self.mac is not None:
            self.mac.update(data)
        else:
            self.before_key += data
        self.offset += n
        if self.progress is not None and self.offset - self.reported >= BLOCK:
            self.reported = self.offset
            self.progress(self.offset)
        return data

    def blocks(self, n: int, what: str) -> Iterator[bytes]:
        while n:
            block = self.read(min(BLOCK, n), what)
            n -= len(block)
            yield block

    def use_key(self, key: bytes) -> None:
        self.mac = hmac.new(key, bytes(self.before_key), hashlib.sha256)
        self.before_key = None

    def check_tag(self, what: str) -> None:
        expected = self.mac.copy().digest()
        at = self.offset
        if not hmac.compare_digest(self.read(_SIZE, what), expected):
            raise BundleError(
                "bad_signature", f"The signature of {what} (byte {at}) does not match: the file was changed "
                "after the node wrote it, or another node's token signed it.", at)

    def check_digest(self, what: str, digest: bytes) -> None:
        at = self.offset
        if not hmac.compare_digest(self.read(_SIZE, what), digest):
            raise BundleError("bad_checksum", f"{what.capitalize()} is damaged: its bytes do not match their "
                              "checksum.", at)

    def error(self, code: str, message: str) -> BundleError:
        return BundleError(code, message, self.offset)


def _refuse_constant(name):
    raise ValueError(name)  # NaN and Infinity are Python's extension, not JSON


def _parse(reader: _Reader, raw: bytes, what: str) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise reader.error("not_a_bundle", f"{what.capitalize()} is not valid JSON: this is not a Kultialogo "
                           "node export, or it is damaged.") from None
    if not isinstance(value, dict):
        raise reader.error("not_a_bundle", f"{what.capitalize()} is not a JSON object.")
    return value


def _read_magic(reader: _Reader) -> None:
    start = reader.inp.read(len(MAGIC))
    if start != MAGIC:
        if not start:
            raise reader.error("not_a_bundle", "The file is empty: it is not a Kultialogo node export.")
        if MAGIC.startswith(start):
            raise BundleError("truncated", f"The file ends at byte {len(start)}, inside its first line: it was "
                              "cut short.", len(start))
        raise reader.error("not_a_bundle", "This file is not a Kultialogo node export.")
    reader.before_key += start
    reader.offset = len(start)
    digits = b""
    while (char := reader.read(1, "the first line")) != b"\n":
        if not char.isdigit() or len(digits) >= _MAX_VERSION_DIGITS:
            raise reader.error("not_a_bundle", "This file is not a Kultialogo node export (its first line is "
                               "malformed).")
        digits += char
    if not digits:
        raise reader.error("not_a_bundle", "This file is not a Kultialogo node export (it names no version).")
    if int(digits) != VERSION:
        raise reader.error("unsupported_version", f"This export has format version {int(digits)}; this "
                           f"server reads version {VERSION}. Update the older of the two programs.")


def _frame_head(reader: _Reader, what: str) -> tuple[bytes, bytes, int]:
    """A frame's kind, metadata and data length, authenticated (for the header: once keyed)."""
    kind, meta_len, data_len = _HEAD.unpack(reader.read(_HEAD.size, what))
    if meta_len > MAX_META_BYTES:
        raise reader.error("not_a_bundle", f"The file is damaged or not a node export: {what} declares "
                           f"{meta_len} bytes of metadata (at most {MAX_META_BYTES}).")
    return kind, reader.read(meta_len, what), data_len


def _empty_body(reader: _Reader, data_len: int, what: str) -> None:
    if data_len:
        raise reader.error("not_a_bundle", f"{what.capitalize()} carries data; it should carry none.")
    reader.check_digest(what, _EMPTY)
    reader.check_tag(what)


def _walk(reader: _Reader, key_for: Callable[[dict], bytes | None], tmp_dir) -> Iterator[tuple[str, object]]:
    """Every entry in file order, each yielded only once it is checked: ("header", dict),
    ("media", (sha256, content_type, path or None)), ("chunk", dict), ("end", counts).

    With ``tmp_dir`` (False: don't keep media) each media file is copied to a temporary file
    there (None: the system's), yielded as its path and removed after the yield if still there.
    """
    _read_magic(reader)
    kind, raw, data_len = _frame_head(reader, "the header")
    if kind != HEADER:
        raise reader.error("not_a_bundle", "This file is not a Kultialogo node export (no header).")
    header = _parse(reader, raw, "the header")
    if header.get("format") != FORMAT:
        raise reader.error("not_a_bundle", "This file is not a Kultialogo node export (its header names "
                           "another format).")
    if header.get("version") != VERSION:
        raise reader.error("unsupported_version", f"This export's header has format version "
                           f"{header.get('version')!r}; this server reads version {VERSION}.")
    key = key_for(header)
    if key is None:
        raise reader.error("wrong_node", "This export was made by a node this server does not know (token "
                           f"id {header.get('token_id')!r}), or whose token was revoked.")
    reader.use_key(key)
    reader.check_tag("the header")
    _empty_body(reader, data_len, "the header")
    yield "header", header

    counts = {"chunks": 0, "items": 0, "media": 0, "media_bytes": 0}
    entries = 0
    while True:
        what = f"entry {entries + 1}"
        start = reader.offset
        try:
            kind, raw, data_len = _frame_head(reader, what)
        except BundleError as exc:
            if exc.code == "truncated" and exc.offset == start:
                raise BundleError("truncated", f"The file ends at byte {start}, before its end marker: it was cut "
                                  "short (copied before the export finished, or the stick was removed too early).",
                                  start) from None
            raise
        reader.check_tag(what)  # from here on kind, lengths and metadata are the node's own
        if kind == END:
            _empty_body(reader, data_len, "the end marker")
            if _parse(reader, raw, "the end marker") != counts:
                raise reader.error("not_a_bundle", "The end marker does not describe what the file holds.")
            if reader.inp.read(1):
                raise reader.error("not_a_bundle", "The file goes on after its end marker.")
            yield "end", counts
            return
        if kind not in (MEDIA, CHUNK):
            raise reader.error("not_a_bundle", f"{what.capitalize()} is of an unknown kind {kind!r}.")
        entries += 1
        if entries > MAX_ENTRIES:
            raise reader.error("too_large", f"The file holds more than {MAX_ENTRIES} entries.")
        meta = _parse(reader, raw, what)
        if kind == MEDIA:
            name, content_type = meta.get("sha256"), meta.get("content_type")
            if not (isinstance(name, str) and _SHA256_RE.fullmatch(name) and isinstance(content_type, str)
                    and len(content_type) <= MAX_CONTENT_TYPE):
                raise reader.error("not_a_bundle", f"{what.capitalize()} names its media file wrongly.")
            what = f"media file {name}"
            if data_len > MAX_MEDIA_BYTES:
                raise reader.error("too_large", f"The {what} has {data_len} bytes; at most {MAX_MEDIA_BYTES} "
                                   "are accepted.")
            yield from _media(reader, name, content_type, data_len, what, tmp_dir)
            counts["media"] += 1
            counts["media_bytes"] += data_len
        else:
            what = f"chunk {counts['chunks'] + 1}"
            if data_len > MAX_CHUNK_BYTES:
                raise reader.error("too_large", f"The {what} has {data_len} bytes; at most {MAX_CHUNK_BYTES} "
                                   "are accepted.")
            data = reader.read(data_len, what)
            reader.check_digest(what, hashlib.sha256(data).digest())
            reader.check_tag(what)
            chunk = _parse(reader, data, what)
            del data
            counts["chunks"] += 1
            counts["items"] += _items(chunk)
            yield "chunk", chunk


def _media(reader: _Reader, name: str, content_type: str, data_len: int, what: str, tmp_dir):
    digest = hashlib.sha256()
    if tmp_dir is False:
        for block in reader.blocks(data_len, what):
            digest.update(block)
        _media_checks(reader, name, digest, what)
        yield "media", (name, content_type, None)
        return
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="bundle-media-")
    tmp = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in reader.blocks(data_len, what):
                digest.update(block)
                out.write(block)
        _media_checks(reader, name, digest, what)
        yield "media", (name, content_type, tmp)
    finally:
        tmp.unlink(missing_ok=True)


def _media_checks(reader: _Reader, name: str, digest, what: str) -> None:
    reader.check_digest(what, digest.digest())
    reader.check_tag(what)


def verify_bundle(path, *, key_for: Callable[[dict], bytes | None], progress=None) -> dict:
    """Check the whole file at ``path`` (structure, every checksum, every signature) and import
    nothing; raise BundleError on any problem.

    ``key_for(header)`` returns the key of the node the header names, or None (-> "wrong_node").
    It sees the header before it is authenticated: use it only to pick the key. ``progress``
    gets the bytes read so far, about every MB. Returns the header, with "contents": the
    counts of chunks, items, media and media bytes that the file holds.
    """
    with open(path, "rb") as fh:
        reader = _Reader(fh, progress)
        for kind, value in _walk(reader, key_for, tmp_dir=False):
            if kind == "header":
                header = value
            elif kind == "end":
                contents = value
    if progress is not None:
        progress(reader.offset)
    return {**header, "contents": contents}


def read_bundle(path, *, key: bytes, tmp_dir: Path | None = None) -> Iterator[tuple[str, object]]:
    """After ``verify_bundle``: yield ("media", (sha256, content_type, tmp_path)) and
    ("chunk", dict) in the order written (media before the chunks that name them).

    Each entry is checked (checksum and signature) before it is yielded; a file that changed
    since the verification raises BundleError where it differs, after the entries before it.
    A media file is copied to a temporary file in ``tmp_dir`` (the media store's scratch folder,
    so that it can be moved into place): it is the caller's until the next entry is asked for,
    and removed then if still there.
    """
    with open(path, "rb") as fh:
        for kind, value in _walk(_Reader(fh, None), lambda header: key, tmp_dir):
            if kind in ("media", "chunk"):
                yield kind, value
