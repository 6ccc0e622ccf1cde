"""A standard tus client (tuspy, unchanged) against a real server process: cut, resume, dedup."""
import io
import socket
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from tusclient.storage.filestorage import FileStorage

from tests import factories as f
from tests.media import tus

pytestmark = pytest.mark.slow
CHUNK = 64 * 1024


class Unclosable(io.BytesIO):
    """tuspy closes the stream after fingerprinting it, then reads it again (and leaks the
    handles it opens for a file_path): keep one in-memory stream open throughout."""

    def close(self):
        pass


@pytest.fixture
def patch_bytes(monkeypatch):
    """Bytes tuspy sends in PATCH bodies (its requests.patch, counted)."""
    import tusclient.request
    sent = []
    real = tusclient.request.requests.patch

    def counting(url, data=None, **kwargs):
        sent.append(len(data or b""))
        return real(url, data=data, **kwargs)

    monkeypatch.setattr(tusclient.request.requests, "patch", counting)
    return sent


def _cut_patch(url: str, headers: dict, offset: int, chunk: bytes) -> None:
    """Send a PATCH whose body stops half way, then drop the connection (a network cut)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Tus-Resumable: 1.0.0",
                f"Upload-Offset: {offset}", "Content-Type: application/offset+octet-stream",
                f"Content-Length: {len(chunk)}"] + [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + chunk[:len(chunk) // 2])


def test_an_upload_cut_in_the_middle_resumes_from_the_server_offset_with_tuspy(app, live_server, tmp_path, patch_bytes, request):
    f.community("siena")
    f.account("amina", community_slug="siena")
    token = requests.post(live_server.url + "/api/v1/auth/token",
                          json={"username": "amina", "password": f.PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    data = tus.ogg_audio(1024 * 1024)  # a real recording: the server re-muxes audio
    metadata = {"sha256": tus.sha256(data), "type": "audio/ogg", "filename": "voice.ogg"}
    client = tus_client.TusClient(live_server.url + tus.UPLOADS, headers=auth)
    urls = FileStorage(str(tmp_path / "tus-urls.json"))  # tuspy's own resume bookkeeping
    request.addfinalizer(urls.close)

    first = client.uploader(file_stream=Unclosable(data), chunk_size=CHUNK, metadata=metadata,
                            upload_checksum=True, store_url=True, url_storage=urls)
    first.upload(stop_at=len(data) // 2)  # the phone goes offline here...
    reached = first.offset
    assert 0 < reached < len(data)
    _cut_patch(first.url, auth, reached, data[reached:reached + CHUNK])  # ...mid-chunk
    head = requests.head(first.url, headers={**auth, **tus.TUS})
    assert int(head.headers["Upload-Offset"]) == reached

    # A fresh uploader (as after a restart): tuspy finds the URL it stored, asks the offset.
    patch_bytes.clear()
    resumed = client.uploader(file_stream=Unclosable(data), chunk_size=CHUNK, metadata=metadata, upload_checksum=True,
                              store_url=True, url_storage=urls)
    assert resumed.offset == reached
    resumed.upload()
    assert resumed.url == first.url and resumed.offset == len(data)
    assert sum(patch_bytes) == len(data) - reached  # nothing the server held was sent again

    served = requests.get(f"{live_server.url}/media/{tus.sha256(data)}", headers=auth)
    assert served.status_code == 200 and tus.audio_info(served.content)[:2] == tus.audio_info(data)[:2]
    assert served.headers["Content-Type"] == "audio/ogg"
    ranged = requests.get(f"{live_server.url}/media/{tus.sha256(data)}", headers={**auth, "Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == served.content[:10]

    # The same file again, by a client that knows nothing: 200 at creation; tuspy then sends
    # one chunk anyway, which the server ignores (204 with the full offset).
    patch_bytes.clear()
    again = client.uploader(file_stream=Unclosable(data), chunk_size=CHUNK, metadata=metadata)
    again.upload()
    assert again.offset == len(data) and sum(patch_bytes) <= CHUNK
