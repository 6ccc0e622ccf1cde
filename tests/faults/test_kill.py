"""``kill -9`` of the server during heavy ingest, five times, each time started again on the same
database and data folder (bench/_server.py LiveServer.kill9 and restart): the phones keep
retrying, and at the end every record is in the database exactly once and was answered
"created" at most once. And a tus upload cut by a kill -9 resumes after the restart, from the
offset the server kept, to a file the server accepts as the very bytes the phone holds."""
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.media.models import MediaFile, MediaUpload
from tests.faults.phones import (Phone, assert_exactly_once, check_phones, check_pulls, count_in_database,
                                 make_records, prepare_cast, run_phones)
from tests.media import tus

pytestmark = pytest.mark.slow

PHONES, RECORDS, KILLS = 5, 100, 5
SERVER_ENV = {"KULTIALOGO_RATELIMIT_ENABLED": "false"}


class Acks:
    """Acknowledged items so far, for waiting on "this many more were stored" (no sleeps)."""

    def __init__(self):
        self.count = 0
        self.changed = threading.Condition()

    def add(self, n: int) -> None:
        with self.changed:
            self.count += n
            self.changed.notify_all()

    def wait_for(self, at_least: int, timeout: float = 120) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.count >= at_least, timeout), (self.count, at_least)


def test_records_pushed_across_five_kill_9_are_each_stored_exactly_once(app, live_server_factory):
    tokens = prepare_cast(PHONES)
    server = live_server_factory(extra_env=SERVER_ENV, start_timeout=180)  # restarts on a loaded machine
    acks = Acks()
    phones = [Phone(server.url, token, make_records(n, RECORDS), batch=8, seed=n, on_ack=acks.add, pull_every=4)
              for n, token in enumerate(tokens)]
    total = PHONES * RECORDS
    step = total // (KILLS + 2)  # the kills fall while every phone still has records to send
    pushing = threading.Thread(target=run_phones, args=(phones,))
    pushing.start()
    try:
        for kill in range(KILLS):
            acks.wait_for((kill + 1) * step)
            assert server.kill9() == -9
            server.restart()  # same port, database and data folder; waits until /healthz answers
    finally:
        pushing.join(300)
    assert not pushing.is_alive()
    assert acks.count == total  # not yet done when the last kill came: the kills hit a busy server
    totals = check_phones(phones)
    check_pulls(phones)
    assert_exactly_once(count_in_database([i for p in phones for i in p.items]))
    refused = totals["retried"].get("ConnectionError", 0)
    assert refused > 0, totals  # the phones did meet a dead or restarting server


def _half_a_patch(url: str, headers: dict, offset: int, chunk: bytes) -> socket.socket:
    """A PATCH whose body is half sent, the connection left open (the phone is still sending)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Tus-Resumable: 1.0.0",
            f"Upload-Offset: {offset}", "Content-Type: application/offset+octet-stream",
            f"Content-Length: {len(chunk)}"] + [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + chunk[:len(chunk) // 2])
    return sock


def test_a_tus_upload_cut_by_kill_9_resumes_after_the_restart_to_the_same_bytes(app, live_server_factory, app_config):
    [token] = prepare_cast(1)
    server = live_server_factory(extra_env=SERVER_ENV, start_timeout=180)  # restarts on a loaded machine
    auth = {"Authorization": f"Bearer {token}", **tus.TUS}
    data = tus.ogg_audio(320 * 1024)  # a real recording: the server re-muxes it once complete
    sha = tus.sha256(data)
    chunk_size = 64 * 1024
    created = requests.post(server.url + tus.UPLOADS, headers={**auth, "Upload-Length": str(len(data)),
                            "Upload-Metadata": tus.metadata(sha, "audio/ogg", "voice.ogg")}, timeout=30)
    assert created.status_code == 201, created.text
    location = requests.compat.urljoin(server.url, created.headers["Location"])
    staging = Path(app_config["DATA_DIR"]) / "media" / ".uploads" / location.rsplit("/", 1)[1]

    def patch(offset):
        response = requests.patch(location, data=data[offset:offset + chunk_size], timeout=30, headers={
            **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        assert response.status_code == 204, response.text
        return int(response.headers["Upload-Offset"])

    offset = 0
    while offset < len(data) // 2:
        offset = patch(offset)
    sending = _half_a_patch(location, {"Authorization": auth["Authorization"]}, offset, data[offset:offset + chunk_size])
    try:
        assert server.kill9() == -9  # a power cut, with a chunk on the wire
    finally:
        sending.close()
    server.restart()

    head = requests.head(location, headers=auth, timeout=30)
    assert head.status_code == 200
    kept = int(head.headers["Upload-Offset"])
    assert offset <= kept < len(data)
    assert tus.sha256(staging.read_bytes()) == tus.sha256(data[:kept])  # what it kept is the phone's bytes
    while kept < len(data):  # the phone resumes from the server's offset
        kept = patch(kept)
    assert kept == len(data)  # the last PATCH passed the server's SHA-256 of the whole file
    assert not staging.exists()
    served = requests.get(f"{server.url}/media/{sha}", headers=auth, timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "audio/ogg"
    assert tus.audio_info(served.content)[:2] == tus.audio_info(data)[:2]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(MediaFile).where(MediaFile.sha256 == sha)) == 1
    upload = db.session.scalar(select(MediaUpload))
    assert upload.completed_at is not None and db.session.get(MediaFile, sha).uploaded_size == len(data)
