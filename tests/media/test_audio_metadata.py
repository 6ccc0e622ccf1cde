"""Voice recordings lose their container metadata, not their sound (issue #13): an MP4 with a
``©xyz`` location atom, an Ogg with a LOCATION comment and a WebM with tags are stored and
served without them, still decodable, just as long, through tus and through the plain form."""
import uuid
import warnings

import pytest

from kultialogo.extensions import db
from kultialogo.media.checks import sniff
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media import tus
from tests.media.test_media_form import form

PLACE = "Siena 43.3188N 11.3308E"
ISO6709 = "+43.3188+011.3308/"


def recordings() -> dict:
    return {
        # Safari's kind of file: an M4A whose udta holds ©xyz (QuickTime's location atom).
        "mp4": ("audio/mp4", "voice.m4a", tus.tone("mov", "aac", rate=44100, options={"brand": "M4A "},
                                                   tags={"location": ISO6709, "title": PLACE})),
        "ogg": ("audio/ogg", "voice.ogg", tus.tone("ogg", tags={"LOCATION": PLACE},
                                                   stream_tags={"LOCATION": PLACE, "comment": PLACE})),
        "webm": ("audio/webm", "voice.webm", tus.tone("webm", tags={"LOCATION": PLACE, "COMMENT": PLACE},
                                                      stream_tags={"title": PLACE})),
        # Also allowed: MP3 with ID3 frames, WAV with a LIST/INFO chunk.
        "mp3": ("audio/mpeg", "voice.mp3", tus.tone("mp3", "libmp3lame", rate=44100,
                                                    tags={"location": PLACE, "comment": PLACE})),
        "wav": ("audio/wav", "voice.wav", tus.tone("wav", "pcm_s16le", tags={"comment": PLACE, "title": PLACE})),
    }


def traces(data: bytes) -> list[bytes]:
    return [mark for mark in (b"43.3188", b"11.3308", b"\xa9xyz", b"Siena", b"LOCATION") if mark in data]


@pytest.fixture
def amina(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    return f.bearer(f.token(client, "amina"))


def assert_clean_copy(served: bytes, original: bytes, content_type: str):
    assert traces(original), "the test file must carry the location to begin with"
    assert traces(served) == []
    assert sniff(served[:4096]) == content_type  # the same kind of file, as the browser recorded
    duration, samples, tags = tus.audio_info(served)
    assert (duration, samples) == tus.audio_info(original)[:2]  # same length, every sample decodes
    assert not {k: v for k, v in tags.items() if k.lower() not in ("major_brand", "minor_version",
                                                                    "compatible_brands", "encoder",
                                                                    "handler_name", "language", "vendor_id",
                                                                    "duration")}


@pytest.mark.parametrize("kind", ["mp4", "ogg", "webm", "mp3", "wav"])
def test_a_recording_sent_with_tus_is_stored_without_its_location(app, client, amina, kind):
    content_type, name, data = recordings()[kind]
    assert tus.upload(client, amina, data, content_type, name).status_code == 204
    served = tus.fetch(client, tus.sha256(data), amina)  # addressed by the hash the phone sent
    assert served.status_code == 200 and served.mimetype == content_type
    assert_clean_copy(served.get_data(), data, content_type)
    # Sent again: nothing changes (the upload's hash still names the cleaned copy).
    assert tus.create(client, amina, data, content_type, name).status_code == 200


@pytest.mark.parametrize("kind", ["mp4", "ogg", "webm"])
def test_a_recording_sent_with_the_plain_form_is_stored_without_its_location(app, client, kind):
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")
    f.sign_in(client, "amina")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # wtforms 3.3 on SelectField choices
        csrf = f.csrf_from(client.get("/write").get_data(as_text=True))
    content_type, name, data = recordings()[kind]
    posted = form(csrf, audio=(data, name))
    response = client.post("/write", data=posted, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(posted["id"])).media == [tus.sha256(data)]
    served = tus.fetch(client, tus.sha256(data))
    assert served.status_code == 200 and served.mimetype == content_type
    assert_clean_copy(served.get_data(), data, content_type)


def test_a_file_that_only_looks_like_audio_is_refused_and_not_kept(app, client, amina):
    fake = b"OggS\x00\x02" + bytes(range(256)) * 16
    response = tus.upload(client, amina, fake, "audio/ogg", "voice.ogg")
    assert response.status_code == 422 and response.get_json()["code"] == "corrupt_media"
    assert tus.counts() == (0, 0)
    assert tus.stored_files(app) == []


@pytest.mark.parametrize("kind", ["mp4", "ogg", "webm", "mp3", "wav"])
def test_a_recording_s_length_is_kept_when_it_is_stored(app, client, amina, kind):
    """The feed shows how long a voice story is without fetching it (voice_player)."""
    from kultialogo.media.models import MediaFile
    content_type, name, data = recordings()[kind]
    assert tus.upload(client, amina, data, content_type, name).status_code == 204
    db.session.rollback()
    stored = db.session.get(MediaFile, tus.sha256(data))
    duration = tus.audio_info(data)[0] / 1_000_000  # microseconds
    assert stored.duration_ms is not None and abs(stored.duration_ms / 1000 - duration) < 0.1, (stored.duration_ms, duration)
