"""A disguised voice (issue #17): speech made by espeak-ng comes back with its pitch moved by
more than 3 semitones and its length kept, and no file under the data folder holds the
original's bytes (the transform runs in memory, the original is never written)."""
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import av
import numpy as np
import pytest

from kultialogo.extensions import db
from kultialogo.media import disguise
from kultialogo.media.models import MediaFile
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media.test_media_form import form, signed_in  # noqa: F401  (signed_in: a fixture)

SENTENCE = ("Last winter we crossed the mountains on foot, and in the spring "
            "the children started school in the new town by the river.")
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None and os.environ.get("CI") != "true",
                                reason="espeak-ng is not installed (apt-get install espeak-ng; CI installs it)")


def speech_wav() -> bytes:
    """About five seconds of a sentence, spoken by espeak-ng, as WAV."""
    return subprocess.run(["espeak-ng", "--stdout", "-s", "150", SENTENCE], check=True,
                          capture_output=True).stdout


def as_webm(wav: bytes) -> bytes:
    """The same speech as a browser would record it: Opus in WebM."""
    samples = disguise.decode(wav, "audio/wav")
    return disguise.encode(samples)


def f0_median(samples: np.ndarray, rate: int = disguise.RATE) -> float:
    """Median fundamental frequency over voiced 40 ms frames, by autocorrelation (60-500 Hz)."""
    size, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = rate // 500, rate // 60
    loudness = np.sqrt(np.mean(samples ** 2))
    found = []
    for start in range(0, len(samples) - size, hop):
        frame = samples[start:start + size] - np.mean(samples[start:start + size])
        if np.sqrt(np.mean(frame ** 2)) < 0.3 * loudness:
            continue
        corr = np.correlate(frame, frame, mode="full")[size - 1:]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.5 * corr[0]:  # clearly periodic: a voiced frame
            found.append(rate / lag)
    assert len(found) > 20, "the speech must have voiced frames"
    return float(np.median(found))


def semitones_between(a: np.ndarray, b: np.ndarray) -> float:
    return 12 * np.log2(f0_median(b) / f0_median(a))


def hashes_under(folder: Path) -> set[str]:
    out = set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            out.add(hashlib.sha256((Path(root) / name).read_bytes()).hexdigest())
    return out


@pytest.fixture
def amina(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    return f.bearer(f.token(client, "amina"))


@pytest.mark.parametrize("semitones", [4.0, -4.0])
def test_the_transform_moves_the_pitch_and_keeps_the_length(semitones):
    original = disguise.decode(speech_wav(), "audio/wav")
    assert 3.5 < len(original) / disguise.RATE < 9
    data, duration_ms = disguise.disguise(speech_wav(), "audio/wav", semitones)
    result = disguise.decode(data, "audio/webm")
    assert abs(len(result) - len(original)) / len(original) < 0.05
    assert abs(duration_ms / 1000 - len(original) / disguise.RATE) / (len(original) / disguise.RATE) < 0.05
    moved = semitones_between(original, result)
    assert abs(moved) >= 3 and np.sign(moved) == np.sign(semitones)


@pytest.mark.parametrize("kind", ["wav", "webm"])
def test_the_endpoint_stores_only_the_disguised_voice(app, client, amina, kind):
    wav = speech_wav()
    original = wav if kind == "wav" else as_webm(wav)
    original_hash = hashlib.sha256(original).hexdigest()
    response = client.post("/api/v1/media/disguised", data=original, headers=amina,
                           content_type=f"audio/{kind}")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["sha256"] != original_hash and body["disguised"] is True
    source = disguise.decode(original, f"audio/{kind}")
    assert abs(body["duration_ms"] / 1000 - len(source) / disguise.RATE) < 0.05 * len(source) / disguise.RATE
    served = client.get(body["url"], headers=amina)
    assert served.status_code == 200
    served_bytes = served.data
    served.close()
    assert hashlib.sha256(served_bytes).hexdigest() == body["sha256"]
    assert abs(semitones_between(source, disguise.decode(served_bytes, "audio/webm"))) >= 3
    db.session.rollback()
    assert db.session.get(MediaFile, body["sha256"]).disguised is True
    stored = hashes_under(Path(app.config["DATA_DIR"]))
    assert body["sha256"] in stored
    assert original_hash not in stored


def test_a_body_that_is_not_audio_is_refused(app, client, amina):
    response = client.post("/api/v1/media/disguised", data=b"\x89PNG\r\n\x1a\n" + b"0" * 100, headers=amina,
                           content_type="image/png")
    assert response.status_code == 415
    assert response.get_json()["code"] == "bad_media_type"
    response = client.post("/api/v1/media/disguised", data=b"just some text", headers=amina)
    assert response.status_code == 415


def test_a_body_over_the_limit_is_refused(app, client, amina, monkeypatch):
    from kultialogo import limits
    monkeypatch.setattr(limits, "VOICE_DISGUISE_MAX_BYTES", 1000)
    response = client.post("/api/v1/media/disguised", data=speech_wav(), headers=amina, content_type="audio/wav")
    assert response.status_code == 413


def test_only_signed_in_people_disguise(app, client):
    response = client.post("/api/v1/media/disguised", data=speech_wav(), content_type="audio/wav")
    assert response.status_code == 401


def test_the_plain_form_stores_the_voice_disguised_and_the_story_says_so(app, client, signed_in, monkeypatch):
    csrf = signed_in
    from werkzeug import formparser
    spooled = []
    for name in ("SpooledTemporaryFile", "TemporaryFile"):  # werkzeug's default_stream_factory
        real = getattr(formparser, name, None) or getattr(tempfile, name)
        monkeypatch.setattr(formparser, name, lambda *a, _real=real, **k: spooled.append(1) or _real(*a, **k),
                            raising=False)
    original = as_webm(speech_wav())
    original_hash = hashlib.sha256(original).hexdigest()
    data = form(csrf, audio=(original, "voice.webm"))
    data.update({"author_display": "anonymous", "disguise_voice": "y"})
    response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not spooled  # the recording's part was never spooled to a temporary file
    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(data["id"]))
    assert len(story.media) == 1 and story.media[0] != original_hash
    assert db.session.get(MediaFile, story.media[0]).disguised is True
    stored = hashes_under(Path(app.config["DATA_DIR"]))
    assert story.media[0] in stored and original_hash not in stored
    page = client.get(f"/stories/{story.id}")
    assert "Voice disguised" in page.get_data(as_text=True)


def test_the_write_form_offers_the_disguise_checked(app, client, signed_in):
    page = client.get("/write").get_data(as_text=True)
    assert 'name="disguise_voice"' in page and "Disguise my voice" in page
    tag = page[page.index('name="disguise_voice"') - 120: page.index('name="disguise_voice"') + 80]
    assert "checked" in tag
