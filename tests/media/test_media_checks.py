"""What the server refuses or cleans, judged from the bytes; nothing refused is kept."""
import io

import pytest
from PIL import Image

from kultialogo import limits
from tests import factories as f
from tests.media import tus


@pytest.fixture
def amina(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    return f.bearer(f.token(client, "amina"))


def _nothing_stored(app):
    assert tus.counts() == (0, 0)
    assert tus.stored_files(app) == []


def test_exif_gps_and_icc_are_gone_from_a_stored_jpeg(app, client, amina):
    data = tus.jpeg_with_gps()
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(tus.GPS_IFD), "the sample must carry GPS to begin with"
    assert tus.upload(client, amina, data).status_code == 204
    stored = tus.fetch(client, tus.sha256(data), amina)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    body = stored.get_data()
    image = Image.open(io.BytesIO(body))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in body and b"PhoneMaker" not in body and b"secret place" not in body
    # The id stays the hash of what was uploaded, though the stored bytes differ.
    assert tus.sha256(body) != tus.sha256(data)


def test_a_decompression_bomb_is_refused_too_many_pixels(app, client, amina):
    response = tus.upload(client, amina, tus.png_bomb(), "image/png", "bomb.png")
    assert response.status_code == 422 and response.get_json()["code"] == "too_many_pixels"
    _nothing_stored(app)


def test_an_image_just_over_the_pixel_limit_is_refused(app, client, amina, monkeypatch):
    monkeypatch.setattr(limits, "MEDIA_IMAGE_MAX_PIXELS", 32 * 32 - 1)
    response = tus.upload(client, amina, tus.png_bytes((32, 32)), "image/png", "a.png")
    assert response.status_code == 422 and response.get_json()["code"] == "too_many_pixels"
    _nothing_stored(app)


def test_a_png_renamed_jpg_is_detected_and_stored_as_png(app, client, amina):
    data = tus.png_bytes()
    assert tus.upload(client, amina, data, "image/jpeg", "holiday.jpg").status_code == 204
    stored = tus.fetch(client, tus.sha256(data), amina)
    assert stored.mimetype == "image/png"
    assert Image.open(io.BytesIO(stored.get_data())).format == "PNG"


def test_an_executable_renamed_jpg_is_refused_415(app, client, amina):
    response = tus.upload(client, amina, tus.ELF_EXECUTABLE, "image/jpeg", "holiday.jpg")
    assert response.status_code == 415 and response.get_json()["code"] == "bad_media_type"
    _nothing_stored(app)


def test_a_truncated_jpeg_is_refused_as_corrupt(app, client, amina):
    data = tus.jpeg_with_gps((400, 300))[:600]
    response = tus.upload(client, amina, data)
    assert response.status_code == 422 and response.get_json()["code"] == "corrupt_media"
    _nothing_stored(app)


def test_a_zero_byte_file_is_refused_at_creation(app, client, amina):
    response = tus.create(client, amina, b"")
    assert response.status_code == 400 and response.get_json()["code"] == "empty_media"
    _nothing_stored(app)


def test_a_file_over_the_limit_is_refused_at_creation_before_any_byte(app, client, amina):
    response = tus.create(client, amina, b"x", "image/jpeg", length=limits.MEDIA_IMAGE_MAX_BYTES + 1)
    assert response.status_code == 413 and response.get_json()["code"] == "too_large"
    response = tus.create(client, amina, b"x", "audio/ogg", length=limits.MEDIA_MAX_BYTES + 1)
    assert response.status_code == 413
    _nothing_stored(app)


def test_an_image_declared_as_audio_still_meets_the_image_size_limit(app, client, amina, monkeypatch):
    data = tus.png_bytes((64, 64))
    monkeypatch.setattr(limits, "MEDIA_IMAGE_MAX_BYTES", len(data) - 1)
    response = tus.upload(client, amina, data, "audio/ogg", "voice.ogg")
    assert response.status_code == 413
    _nothing_stored(app)


def test_audio_is_stored_as_the_same_recording_and_served_with_ranges(app, client, amina):
    data = tus.ogg_audio(8192)
    assert tus.upload(client, amina, data, "audio/ogg", "voice.ogg").status_code == 204
    whole = tus.fetch(client, tus.sha256(data), amina)
    served = whole.get_data()
    assert whole.mimetype == "audio/ogg" and tus.audio_info(served)[:2] == tus.audio_info(data)[:2]
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = tus.fetch(client, tus.sha256(data), {**amina, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.get_data() == served[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(served)}"
    again = tus.fetch(client, tus.sha256(data), {**amina, "If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
    (b"OggS\x00\x02", "audio/ogg"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "audio/webm"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm\x86\x85V_VP8", None),       # WebM with video
    (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", None),
    (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
    (b"ID3\x04\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64", "audio/mpeg"),
    (b"MZ\x90\x00", None),
    (b"%PDF-1.7", None),
    (b"<svg xmlns=", None),
    (b"GIF89a", None),
])
def test_sniffing_by_magic_bytes(head, expected):
    from kultialogo.media.checks import sniff
    assert sniff(head) == expected


def test_a_rotated_photo_stays_upright_without_its_exif(app, client, amina):
    im = Image.new("RGB", (64, 48), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert tus.upload(client, amina, data).status_code == 204
    stored = Image.open(io.BytesIO(tus.fetch(client, tus.sha256(data), amina).get_data()))
    assert stored.size == (48, 64) and not stored.getexif()


def test_large_images_are_scaled_down_and_webp_stays_webp(app, client, amina, monkeypatch):
    monkeypatch.setattr(limits, "MEDIA_IMAGE_STORED_MAX_EDGE", 100)
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (1, 2, 3)).save(out, "WEBP", exif=Image.Exif().tobytes())
    data = out.getvalue()
    assert tus.upload(client, amina, data, "image/webp", "a.webp").status_code == 204
    stored = tus.fetch(client, tus.sha256(data), amina)
    assert stored.mimetype == "image/webp"
    image = Image.open(io.BytesIO(stored.get_data()))
    assert image.format == "WEBP" and image.size == (100, 50)
