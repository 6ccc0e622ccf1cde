"""Demo content for photos and voice: a story told by voice alone (no title, no words) and a
story with a photo, so whoever runs ``make run`` sees both on the feed and the story pages.

The files are made here (a voice-like sound as WAV, a picture drawn with Pillow) and stored
through ``ingest_upload``, the same checks as any upload. Called by demo.load_demo() once its
people exist; safe to run again (fixed story ids; the store is content-addressed).
"""
import io
import math
import struct
import uuid
import wave

from PIL import Image, ImageDraw

from ..extensions import db
from ..moderation import service as moderation
from ..stories import service as stories
from ..stories.models import Story
from ..stories.schema import validate_content
from .service import ingest_upload

_NS = uuid.UUID("7a0f3c1e-2b8d-4e5f-9c61-0d2e4f6a8b13")
RATE = 8000


def _voice_wav(seconds: float = 6.0) -> bytes:
    """A voice-like hum: a gliding pitch with harmonics, about four syllables a second."""
    frames = bytearray()
    phase = 0.0
    for n in range(int(seconds * RATE)):
        t = n / RATE
        phase += 2 * math.pi * (170 + 35 * math.sin(2 * math.pi * 0.6 * t)) / RATE
        syllable = max(0.0, math.sin(2 * math.pi * 3.5 * t)) ** 0.5
        sample = 0.2 * syllable * sum(math.sin(k * phase) / k for k in range(1, 6))
        frames += struct.pack("<h", int(sample * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


def _photo_jpeg() -> bytes:
    """Hills under an evening sky, 1200 x 800."""
    width, height = 1200, 800
    sky = Image.linear_gradient("L").resize((width, height))
    im = Image.merge("RGB", (sky.point(lambda v: 250 - v // 3), sky.point(lambda v: 170 - v // 3),
                             sky.point(lambda v: 90 + v // 2)))
    draw = ImageDraw.Draw(im)
    draw.ellipse((820, 180, 940, 300), fill=(255, 226, 150))
    draw.polygon([(0, 560), (260, 430), (520, 540), (800, 420), (1200, 560), (1200, 800), (0, 800)], fill=(62, 104, 70))
    draw.polygon([(0, 660), (380, 560), (760, 650), (1200, 600), (1200, 800), (0, 800)], fill=(38, 78, 52))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def _v4(name: str) -> uuid.UUID:
    return uuid.UUID(bytes=uuid.uuid5(_NS, name).bytes, version=4)


def load_media(people: dict, facilitators: dict) -> int:
    """people: username -> Account; facilitators: community slug -> Account. Returns new stories."""
    voice = ingest_upload(people["layla"], io.BytesIO(_voice_wav()))
    photo = ingest_upload(people["amina"], io.BytesIO(_photo_jpeg()))
    demo = [
        ("layla", "utrecht", "ar", "", "", [voice]),  # told by voice only
        ("amina", "siena", "en", "The hills from our window",
         "Every evening the hills turn dark green and the sky goes orange. My daughter calls it the jam sky.", [photo]),
    ]
    made = 0
    for n, (author, slug, language, title, body, media) in enumerate(demo):
        story_id = _v4(f"demo-media-{n}")
        content = validate_content({"title": title, "body": body, "language": language, "community": slug,
                                    "visibility": "public", "author_display": "pseudonym", "media": media})
        outcome = stories.write_one(people[author], story_id, content)
        if outcome.result != stories.CREATED:
            continue
        made += 1
        if db.session.get(Story, story_id).status != "published":
            moderation.moderate(facilitators[slug], story_id, "publish")
    return made
