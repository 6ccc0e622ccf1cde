"""What a file really is, judged from its bytes, and how it is made safe to store.

No libmagic: the allow-list is short, so a few magic numbers say it. Names, extensions and
declared types are never trusted.
"""
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .. import limits
from ..errors import Problem

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
AUDIO_TYPES = {"audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav"}
# A decoded 50-megapixel image takes about 200 MB: a few at a time, whatever the thread count.
_DECODING = threading.BoundedSemaphore(2)
# ISO base media brands seen for audio from phones and MediaRecorder (Safari writes mp4/iso).
MP4_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"iso4", b"iso5", b"iso6",
              b"dash", b"3gp4", b"3gp5", b"3gp6", b"MSNV", b"F4A "}


def sniff(head: bytes) -> str | None:
    """The content type named by the file's first bytes, if it is one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: WebM only (not any Matroska), and no video track (CodecID "V_...").
        window = head[:4096]
        if b"\x42\x82\x84webm" in window and not _has_video_codec(window):
            return "audio/webm"
        return None
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "audio/mp4"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] >> 1) & 0x3 == 0x1:
        return "audio/mpeg"  # an MPEG audio layer III frame header without ID3 tag
    return None


def _has_video_codec(window: bytes) -> bool:
    start = 0
    while (i := window.find(b"\x86", start)) != -1:  # CodecID element, then a 1-byte size
        if window[i + 2:i + 4] == b"V_":
            return True
        start = i + 1
    return False


def kind_of(content_type: str) -> str:
    return "image" if content_type.startswith("image/") else "audio"


def max_bytes_for(content_type: str | None) -> int:
    """Size limit for a declared or detected type; the largest one if unknown."""
    if content_type and content_type.startswith("image/"):
        return limits.MEDIA_IMAGE_MAX_BYTES
    if content_type and content_type.startswith("audio/"):
        return limits.MEDIA_AUDIO_MAX_BYTES
    return limits.MEDIA_MAX_BYTES


@dataclass
class Checked:
    content_type: str
    path: Path            # the bytes to store (images re-encoded, audio re-muxed without metadata)
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None  # a recording's length


def check_file(path: Path, scratch: Path) -> Checked:
    """Detect, bound and (for images) re-encode the file at ``path``.

    Raises Problem (415, 413, 422) when the file is refused. What is stored is written to
    ``scratch``: the re-encoded image, or the audio copied into a fresh container (audio.py).
    """
    size = path.stat().st_size
    if size == 0:
        raise Problem("empty_media", status=400)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    content_type = sniff(head)
    if content_type is None:
        raise Problem("bad_media_type", status=415)
    if size > max_bytes_for(content_type):
        raise Problem("too_large", status=413, max=max_bytes_for(content_type))
    if content_type in AUDIO_TYPES:
        from .audio import strip_metadata  # late: PyAV (FFmpeg) loads only when audio comes
        with _DECODING:
            duration_ms = strip_metadata(path, scratch, content_type)
        return Checked(content_type, scratch, duration_ms=duration_ms)
    with _DECODING:
        width, height = reencode_image(path, scratch, IMAGE_TYPES[content_type])
    return Checked(content_type, scratch, width, height)


def reencode_image(source: Path, target: Path, fmt: str) -> tuple[int, int]:
    """Decode and re-encode in the same format: nothing but pixels survives (no EXIF, GPS, ICC,
    XMP, text chunks). The EXIF orientation is applied first so the photo stays upright.
    """
    max_pixels = limits.MEDIA_IMAGE_MAX_PIXELS
    try:
        # Pillow's own bomb check warns (or fails) above its limit; either way: too many.
        im = Image.open(source, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Problem("too_many_pixels", status=422, max=max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Problem("corrupt_media", status=422) from None
    with im:
        width, height = im.size
        if width * height > max_pixels or width <= 0 or height <= 0:
            raise Problem("too_many_pixels", status=422, max=max_pixels)
        edge = limits.MEDIA_IMAGE_STORED_MAX_EDGE
        try:
            if fmt == "JPEG":
                im.draft("RGB", (edge, edge))  # decode at a reduced scale: far less memory
            im.load()
            out = ImageOps.exif_transpose(im)
            if max(out.size) > edge:
                out.thumbnail((edge, edge), Image.Resampling.LANCZOS)
            out = _plain_mode(out, fmt)
            buffer = io.BytesIO()
            # No exif=, icc_profile=, pnginfo= arguments: Pillow writes none of them.
            if fmt == "JPEG":
                out.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
            elif fmt == "PNG":
                out.save(buffer, "PNG", optimize=True)
            else:
                out.save(buffer, "WEBP", quality=85, method=4)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise Problem("corrupt_media", status=422) from None
    target.write_bytes(buffer.getvalue())
    return out.size


def _plain_mode(im: Image.Image, fmt: str) -> Image.Image:
    """A mode the format can write, and an ``info`` emptied of everything but transparency:
    some Pillow writers (PNG) fall back to ``im.info`` for the ICC profile and EXIF."""
    if fmt == "JPEG" and im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    elif fmt == "WEBP" and im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
    elif fmt == "PNG" and im.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    im.info = {k: v for k, v in im.info.items() if k == "transparency"}
    return im
