"""tus 1.0 core + creation + checksum, as the contract's media section states it."""
import warnings

import pytest

from tests import factories as f
from tests.media import tus


@pytest.fixture
def amina(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    return f.bearer(f.token(client, "amina"))


def test_options_advertises_version_extensions_max_size_and_checksums(client):
    response = client.options(tus.UPLOADS)
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) >= {"creation", "checksum"}
    assert int(response.headers["Tus-Max-Size"]) >= 10 * 1024 * 1024
    assert {"sha1", "sha256"} <= set(response.headers["Tus-Checksum-Algorithm"].split(","))


def test_limits_are_published(client):
    media = client.get("/api/v1/limits").get_json()["media"]
    assert media["image_max_pixels"] > 0 and media["chunk_bytes"] > 0 and media["upload_expiry_hours"] > 0
    assert media["image_max_bytes"] <= media["max_bytes"]


def test_create_head_and_patch_in_chunks_store_the_file(app, client, amina):
    data = tus.png_bytes((200, 200))
    created = tus.create(client, amina, data, "image/png", "a.png")
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Tus-Resumable"] == "1.0.0"
    location = created.headers["Location"]
    head = client.head(location, headers={**tus.TUS, **amina})
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "0" and head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Tus-Resumable"] == "1.0.0"
    half = len(data) // 2
    first = tus.patch(client, location, amina, 0, data[:half])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(half)
    assert client.head(location, headers={**tus.TUS, **amina}).headers["Upload-Offset"] == str(half)
    last = tus.patch(client, location, amina, half, data[half:])
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    served = tus.fetch(client, tus.sha256(data), amina)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"] and "private" in served.headers["Cache-Control"]
    assert served.headers["ETag"].strip('"') == tus.sha256(data)
    assert tus.counts() == (1, 1)


def test_wrong_offset_is_409_and_changes_nothing(client, amina):
    data = tus.png_bytes()
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    assert tus.patch(client, location, amina, 0, data[:10]).status_code == 204
    response = tus.patch(client, location, amina, 5, data[5:20])
    assert response.status_code == 409
    assert response.get_json()["code"] == "offset_mismatch"
    assert response.headers["Upload-Offset"] == "10"
    assert client.head(location, headers={**tus.TUS, **amina}).headers["Upload-Offset"] == "10"


def test_chunk_checksum_mismatch_is_460_and_only_that_chunk_is_discarded(client, amina):
    data = tus.png_bytes((120, 90))
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    ok = tus.patch(client, location, amina, 0, data[:100], tus.checksum("sha1", data[:100]))
    assert ok.status_code == 204 and ok.headers["Upload-Offset"] == "100"
    bad = tus.patch(client, location, amina, 100, data[100:200], tus.checksum("sha1", b"something else"))
    assert bad.status_code == 460
    assert bad.get_json()["code"] == "checksum_mismatch"
    assert bad.headers["Tus-Resumable"] == "1.0.0"
    assert client.head(location, headers={**tus.TUS, **amina}).headers["Upload-Offset"] == "100"
    done = tus.patch(client, location, amina, 100, data[100:], tus.checksum("sha256", data[100:]))
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(data))


def test_unknown_checksum_algorithm_is_refused(client, amina):
    data = tus.png_bytes()
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    response = tus.patch(client, location, amina, 0, data, "crc32 AAAA")
    assert response.status_code == 400 and response.get_json()["code"] == "bad_checksum_algorithm"


def test_a_stored_file_is_not_sent_again_200_with_location(app, client, amina):
    data = tus.png_bytes()
    assert tus.upload(client, amina, data, "image/png").status_code == 204
    f.account("bilal", community_slug="siena")
    bilal = f.bearer(f.token(client, "bilal"))
    again = tus.create(client, bilal, data, "image/png")
    assert again.status_code == 200
    location = again.headers["Location"]
    assert client.head(location, headers={**tus.TUS, **bilal}).headers["Upload-Offset"] == str(len(data))
    # A standard client that sends the bytes anyway: harmless, 204 with the full offset.
    resent = tus.patch(client, location, bilal, 0, data)
    assert resent.status_code == 204 and resent.headers["Upload-Offset"] == str(len(data))
    assert tus.counts()[0] == 1
    # Bilal now holds the file as an uploader too: he may fetch it while no story uses it.
    assert tus.fetch(client, tus.sha256(data), bilal).status_code == 200


def test_whole_file_hash_mismatch_discards_the_upload(app, client, amina):
    data = tus.png_bytes()
    created = tus.create(client, amina, data, "image/png", sha="ab" * 32)
    response = tus.patch(client, created.headers["Location"], amina, 0, data)
    assert response.status_code == 460 and response.get_json()["code"] == "checksum_mismatch"
    assert client.head(created.headers["Location"], headers={**tus.TUS, **amina}).status_code == 404
    assert tus.counts() == (0, 0)
    assert tus.stored_files(app) == []


def test_requests_need_the_tus_version_and_a_signed_in_owner(client, amina):
    data = tus.png_bytes()
    no_version = client.post(tus.UPLOADS, headers={**amina, "Upload-Length": "10",
                                                   "Upload-Metadata": tus.metadata(tus.sha256(data))})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    anonymous = tus.create(client, {}, data)
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "unauthorized"
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    f.account("bilal", community_slug="siena")
    bilal = f.bearer(f.token(client, "bilal"))
    assert client.head(location, headers={**tus.TUS, **bilal}).status_code == 404
    assert tus.patch(client, location, bilal, 0, data).status_code == 404


def test_metadata_must_name_sha256_type_and_filename(client, amina):
    response = client.post(tus.UPLOADS, headers={**tus.TUS, **amina, "Upload-Length": "10",
                                                 "Upload-Metadata": "filename cGhvdG8uanBn"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_upload"


def test_patch_needs_the_offset_content_type(client, amina):
    data = tus.png_bytes()
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    response = client.patch(location, data=data, headers={**tus.TUS, **amina, "Upload-Offset": "0",
                                                          "Content-Type": "application/json"})
    assert response.status_code == 415


def test_a_chunk_beyond_the_declared_length_is_refused(client, amina):
    data = tus.png_bytes()
    location = tus.create(client, amina, data, "image/png").headers["Location"]
    response = tus.patch(client, location, amina, 0, data + b"extra")
    assert response.status_code == 413
    assert client.head(location, headers={**tus.TUS, **amina}).headers["Upload-Offset"] == "0"


def test_session_uploads_need_the_csrf_header(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    f.sign_in(client, "amina")
    data = tus.png_bytes()
    response = tus.create(client, {}, data, "image/png")
    assert response.status_code == 403 and response.get_json()["code"] == "csrf_failed"
    token = csrf_token(client)
    response = tus.create(client, {"X-CSRF-Token": token}, data, "image/png")
    assert response.status_code == 201


def csrf_token(client) -> str:
    # wtforms 3.3 warns about SelectField tuple choices on /write (not ours to fix here).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return f.csrf_from(client.get("/write").get_data(as_text=True))


def test_every_response_under_the_upload_prefix_says_tus_resumable(client, amina):
    for response in (client.get(tus.UPLOADS, headers=amina),                  # 405
                     client.head(tus.UPLOADS + "/" + "0" * 32, headers={**tus.TUS, **amina}),  # 404
                     client.post(tus.UPLOADS + "/nope/more", headers=tus.TUS)):  # no such route
        assert response.headers["Tus-Resumable"] == "1.0.0", response.status_code


def test_one_patch_may_carry_a_whole_file_larger_than_the_json_body_limit(app, client, amina):
    data = tus.ogg_audio(9 * 1024 * 1024)  # over the app-wide 8 MB net for JSON bodies
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = tus.upload(client, amina, data, "audio/ogg", "long.ogg")
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
