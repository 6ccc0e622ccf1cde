"""Helpers for the media tests: tus requests through Flask's test client, and sample files."""
import base64
import hashlib
import io
import struct
import zlib
from pathlib import Path

from PIL import Image

from kultialogo.extensions import db
from kultialogo.media.models import MediaFile, MediaUpload

UPLOADS = "/api/v1/media/uploads"
TUS = {"Tus-Resumable": "1.0.0"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata(sha: str, type_: str = "image/jpeg", filename: str = "photo.jpg") -> str:
    enc = lambda v: base64.b64encode(v.encode()).decode()  # noqa: E731
    return f"sha256 {enc(sha)},type {enc(type_)},filename {enc(filename)}"


def create(client, headers, data: bytes, type_="image/jpeg", filename="photo.jpg", length=None, sha=None):
    return client.post(UPLOADS, headers={**TUS, **headers, "Upload-Length": str(len(data) if length is None else length),
                                         "Upload-Metadata": metadata(sha or sha256(data), type_, filename)})


def patch(client, location, headers, offset: int, chunk: bytes, checksum: str | None = None):
    extra = {"Upload-Checksum": checksum} if checksum else {}
    return client.patch(location, data=chunk, headers={**TUS, **headers, **extra, "Upload-Offset": str(offset),
                                                       "Content-Type": "application/offset+octet-stream"})


def checksum(algorithm: str, chunk: bytes) -> str:
    return f"{algorithm} " + base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode()


def upload(client, headers, data: bytes, type_="image/jpeg", filename="photo.jpg"):
    """Create and send in one PATCH; returns the PATCH (or the creation) response."""
    created = create(client, headers, data, type_, filename)
    if created.status_code != 201:
        return created
    return patch(client, created.headers["Location"], headers, 0, data)


# --- Sample files -------------------------------------------------------------------------

GPS_IFD = 0x8825


def jpeg_with_gps(size=(64, 48)) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"           # Make
    exif[0x0110] = "Phone 12"             # Model
    exif[0x0112] = 1                      # Orientation
    exif[GPS_IFD] = {1: "N", 2: (43.0, 19.0, 6.0), 3: "E", 4: (11.0, 19.0, 48.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), icc_profile=b"\x00" * 128, comment=b"secret place")
    return out.getvalue()


def png_bytes(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A PNG whose header claims 10 gigapixels, with a few bytes of data: never decode it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def ogg_audio(size=4000) -> bytes:
    return b"OggS\x00\x02" + bytes(range(256)) * (size // 256)


ELF_EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


# --- What is stored -------------------------------------------------------------------------

def stored_files(app) -> list[Path]:
    root = Path(app.config["DATA_DIR"]) / "media"
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file()]


def counts() -> tuple[int, int]:
    from sqlalchemy import func, select
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(MediaFile)),
            db.session.scalar(select(func.count()).select_from(MediaUpload)))


def fetch(client, sha: str, headers=None):
    """GET /media/<sha> and close the file response (send_file keeps it open until then)."""
    response = client.get(f"/media/{sha}", headers=headers or {})
    response.get_data()
    response.close()
    return response
