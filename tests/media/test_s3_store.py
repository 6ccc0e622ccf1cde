"""Media in an S3-compatible bucket (#18): the same files, checks and privacy as the local folder,
shared by app servers that share nothing else but the database and the bucket.

The bucket is moto's S3 server, started by these tests on a free port: a real HTTP endpoint as
MinIO or AWS would be, reached by boto3 over the network; nothing inside boto3 is patched.
"""
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from kultialogo import create_app
from kultialogo.extensions import db
from kultialogo.media.models import MediaUpload
from kultialogo.media.store import S3Store, s3_client
from tests import factories as f
from tests.media import tus
from tests.media.test_media_stories import people, push  # noqa: F401  (people: a fixture)

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """A new bucket per test; the credentials any S3 server accepts from moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "kultialogo-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kultialogo-test")
    name = f"kultialogo-{uuid.uuid4().hex[:12]}"
    client = s3_client({"S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": REGION})
    client.create_bucket(Bucket=name)
    return name, client


@pytest.fixture
def s3_config(app_config, s3_endpoint, bucket):
    return {**app_config, "MEDIA_STORE": "s3", "S3_BUCKET": bucket[0], "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": REGION}


@pytest.fixture
def app(s3_config):
    """The app of these tests keeps its media in the bucket."""
    app = create_app(s3_config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def objects(bucket) -> set[str]:
    name, client = bucket
    listing = client.list_objects_v2(Bucket=name)
    return {entry["Key"].rsplit("/", 1)[-1] for entry in listing.get("Contents", [])}


def test_the_store_keeps_whole_files_in_the_bucket_and_local_copies_it_can_trim(tmp_path, bucket):
    name, client = bucket
    here = S3Store(tmp_path / "a", name, client, cache_max_bytes=10_000)
    data = b"photo bytes " * 100
    sha = tus.sha256(data)
    source = here.scratch_file()
    source.write_bytes(data)
    assert not here.exists(sha) and here.local_path(sha) is None
    here.put(sha, source)
    assert not source.exists()  # moved into the local copies, not left in scratch
    assert here.exists(sha) and objects(bucket) == {sha}
    assert client.get_object(Bucket=name, Key=f"media/{sha[:2]}/{sha[2:4]}/{sha}")["Body"].read() == data
    assert [h for h, _ in here.stored_items()] == [sha]

    # Another machine, with a cache of its own, reads the same file from the bucket.
    there = S3Store(tmp_path / "b", name, client)
    path = there.local_path(sha)
    assert path is not None and path.read_bytes() == data and path.is_relative_to(tmp_path / "b")
    assert not list((tmp_path / "b" / ".tmp").iterdir())  # no scratch left behind

    # Deleted on one machine: gone from the bucket, and from that machine's copies.
    here.delete(sha)
    assert objects(bucket) == set() and not here.exists(sha) and here.local_path(sha) is None
    assert sha in set(there.cached_hashes())  # the other machine's copy: dropped by its gc
    there.drop_copies(keep=set())  # what its gc does with what no row names
    assert set(there.cached_hashes()) == set()

    # The copies are bounded: least recently used go first.
    small = S3Store(tmp_path / "c", name, client, cache_max_bytes=2_500)
    hashes = []
    for i in range(4):
        blob = bytes([i]) * 1_000
        hashes.append(tus.sha256(blob))
        scratch = small.scratch_file()
        scratch.write_bytes(blob)
        small.put(hashes[-1], scratch)
    assert small.trim_cache() == 2
    assert set(small.cached_hashes()) == set(hashes[2:])
    assert small.local_path(hashes[0]).read_bytes() == bytes([0]) * 1_000  # fetched again when needed
    small.check()  # the health check: staging writable, bucket reachable


def test_an_uploaded_photo_lives_in_the_bucket_is_served_and_goes_with_its_story(app, client, people, bucket):
    data = tus.png_bytes((40, 30))
    sha = tus.sha256(data)
    assert tus.upload(client, people["amina"], data, "image/png").status_code == 204
    assert objects(bucket) == {sha}
    staging = Path(app.config["DATA_DIR"]) / "media" / ".uploads"
    assert not any(staging.iterdir())  # the staged upload left the disk once stored
    item = f.item(media=[sha], visibility="community")
    assert push(client, people["amina"], item)["result"] == "created"
    served = client.get(f"/media/{sha}", headers=people["bilal"])
    assert served.status_code == 200 and served.get_data() == bucket[1].get_object(
        Bucket=bucket[0], Key=f"media/{sha[:2]}/{sha[2:4]}/{sha}")["Body"].read()
    served.close()
    assert tus.fetch(client, sha, people["chiara"]).status_code == 404  # another community

    # Withdrawn: the object leaves the bucket, and the local copy with it.
    assert push(client, people["amina"], {"type": "story", "op": "withdraw", "id": item["id"]})["result"] == "updated"
    assert objects(bucket) == set()
    cache = Path(app.config["DATA_DIR"]) / "media" / ".cache"
    assert not [p for p in cache.rglob("*") if p.is_file()]
    assert tus.fetch(client, sha, people["amina"]).status_code == 404


def test_workers_resume_one_upload_and_another_machine_serves_the_file(app, client, people, s3_config, tmp_path,
                                                                       bucket):
    """Two workers of one machine (one data folder) and a second machine (its own): a tus upload
    begun on one worker ends on the other, and the second machine serves the stored file."""
    data = tus.png_bytes((64, 48))
    sha = tus.sha256(data)
    other_worker = create_app(s3_config)
    other_machine = create_app({**s3_config, "DATA_DIR": str(tmp_path / "machine-2")})
    with other_worker.app_context():
        second = other_worker.test_client()
        location = tus.create(client, people["amina"], data, "image/png").headers["Location"]
        half = len(data) // 2
        assert tus.patch(client, location, people["amina"], 0, data[:half]).status_code == 204
        head = second.head(location, headers={**tus.TUS, **people["amina"]})
        assert head.status_code == 200 and int(head.headers["Upload-Offset"]) == half
        done = tus.patch(second, location, people["amina"], half, data[half:])
        assert done.status_code == 204, done.get_data(as_text=True)
        db.session.remove()
    db.session.rollback()
    assert db.session.scalar(select(MediaUpload.completed_at).where(MediaUpload.sha256 == sha)) is not None
    assert push(client, people["amina"], f.item(media=[sha], visibility="public"))["result"] == "created"
    with other_machine.app_context():
        served = other_machine.test_client().get(f"/media/{sha}")
        # The cleaned copy (re-encoded, no metadata) stored under the upload's hash.
        assert served.status_code == 200 and served.get_data() == bucket[1].get_object(
            Bucket=bucket[0], Key=f"media/{sha[:2]}/{sha[2:4]}/{sha}")["Body"].read()
        served.close()
        db.session.remove()
        db.engine.dispose()
    with other_worker.app_context():
        db.engine.dispose()


def test_gc_deletes_bucket_files_no_row_names(app, client, people, bucket):
    """Bytes stored without a database row (a crash between upload and commit) are collected
    from the bucket, as from the folder."""
    from datetime import timedelta

    from kultialogo.media.service import collect_garbage
    from kultialogo.timeutil import utcnow
    name, s3 = bucket
    stray = "ab" * 32
    s3.put_object(Bucket=name, Key=f"media/ab/ab/{stray}", Body=b"left behind")
    data = tus.png_bytes((8, 8))
    tus.upload(client, people["amina"], data, "image/png")
    assert collect_garbage()["orphan_files"] == 0  # within the grace period
    result = collect_garbage(now=utcnow() + timedelta(hours=2))
    assert result["orphan_files"] == 1
    assert objects(bucket) == {tus.sha256(data)}


def test_the_health_check_says_when_the_bucket_is_gone(app, client, bucket):
    assert client.get("/healthz").status_code == 200
    name, s3 = bucket
    s3.delete_bucket(Bucket=name)
    app.config["HEALTHZ_CACHE_SECONDS"] = 0
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["media"] == "failed"
