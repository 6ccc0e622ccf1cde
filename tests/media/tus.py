"""Helpers for the media tests: tus requests through Flask's test client, and sample files."""
import base64
import hashlib
import io
import math
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


def tone(fmt: str = "ogg", codec: str = "libopus", *, seconds: float = 1.0, rate: int = 48000, tags=None,
         stream_tags=None, options=None, bit_rate: int | None = None) -> bytes:
    """A real recording made with PyAV (the server re-muxes audio, so it must be readable): a
    440 Hz tone, with container tags, stream tags and muxer options as given."""
    import math
    from array import array

    import av
    out_buffer = io.BytesIO()
    out = av.open(out_buffer, "w", format=fmt, options=options or {})
    out.metadata.update(tags or {})
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    if bit_rate:
        stream.bit_rate = bit_rate
    stream.metadata.update(stream_tags or {})
    frame_size = 960
    period = array("h", (int(9000 * math.sin(2 * math.pi * 440 * k / rate)) for k in range(rate)))
    for start in range(0, int(seconds * rate), frame_size):
        frame = av.AudioFrame(format="s16", layout="mono", samples=frame_size)
        frame.planes[0].update(period[start % rate:start % rate + frame_size].tobytes()
                               if start % rate + frame_size <= rate else
                               (period[start % rate:] + period[:frame_size - (rate - start % rate)]).tobytes())
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return out_buffer.getvalue()


_oggs: dict = {}


def ogg_audio(size=4000) -> bytes:
    """A real Ogg Opus recording of at least ``size`` bytes (about 32 kB a second)."""
    if size not in _oggs:
        seconds = max(1, math.ceil(size / 30_000))
        _oggs[size] = tone(seconds=seconds, bit_rate=256_000)
    return _oggs[size]


def audio_info(data: bytes) -> tuple:
    """(container duration, decoded samples, every tag) of a recording: what a player sees."""
    import av
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return container.duration, samples, {**container.metadata, **stream.metadata}


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
