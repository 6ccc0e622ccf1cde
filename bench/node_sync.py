"""A camp's week through a slow link: ``kultialogo node sync`` of 10,000 stories and 200 MB of
photos, node to central, through the test proxy emulating 2 Mbit/s and 300 ms latency.

    python bench/node_sync.py [--stories 10000] [--media-mb 200] [--mbit 2] [--latency-ms 300]

Central is a real ``kultialogo run`` process on a fresh SQLite database; the node has its own
SQLite database and data folder, linked with ``kultialogo node init`` through the proxy. At the
node, the stories are pushed through its engine as phones would (100 a push), and the photos
(random-pixel JPEGs of about 2 MB, which no compression shrinks) are stored by its media service
and attached to the first stories. Then one ``kultialogo node sync`` runs as a subprocess.
Printed: wall time; bytes on the wire (the proxy's count, both ways, headers included) against
the payload (the replicas' JSON plus the media bytes; target: overhead at most 10%); peak
resident memory of the node's sync process and of central (targets: node at most 256 MB while
syncing); and that central holds every story once.
"""
import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import LiveServer  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402

SECRET = "bench-secret-key"
NODE_TARGET_MB = 256
OVERHEAD_TARGET = 0.10


def app_for(db_path: Path, data_dir: Path):
    from kultialogo import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DATA_DIR": str(data_dir),
                       "SECRET_KEY": SECRET, "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                       "RATELIMIT_STORAGE_URI": "kultialogo-memory://"})


def upgrade(app) -> None:
    from flask_migrate import upgrade as run_upgrade
    with app.app_context():
        run_upgrade()


def prepare_central(app) -> str:
    from kultialogo.accounts.auth import create_account
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db
    from kultialogo.nodes import tokens
    with app.app_context():
        community = Community(slug="siena", names={"en": "Siena"}, default_language="en", moderation="trusted")
        db.session.add(community)
        db.session.commit()
        fatima = create_account("fatima", "correct horse battery", "Fatima")
        amina = create_account("amina", "correct horse battery", "Amina")
        for person, role in ((fatima, "facilitator"), (amina, "participant")):
            db.session.add(Membership(account_id=person.id, community_id=community.id, role=role))
        db.session.commit()
        token, _row = tokens.issue(fatima, community, label="bench")
        return token


def photo(rng: random.Random) -> io.BytesIO:
    from PIL import Image
    image = Image.frombytes("RGB", (1400, 1000), rng.randbytes(1400 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    out.seek(0)
    return out


def fill_node(app, stories: int, media_bytes: int) -> tuple[int, int]:
    """Stories and photos at the node; returns (stories, media bytes stored)."""
    from sqlalchemy import select

    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.media import service as media_service
    from kultialogo.media.models import MediaFile
    from kultialogo.sync import engine
    rng = random.Random(15)
    with app.app_context():
        amina = db.session.scalar(select(Account).where(Account.username == "amina"))
        hashes, stored = [], 0
        while stored < media_bytes:
            sha = media_service.ingest_upload(amina, photo(rng))
            hashes.append(sha)
            stored += db.session.get(MediaFile, sha).size
        for start in range(0, stories, 100):
            items = []
            for n in range(start, min(stories, start + 100)):
                items.append({"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "data": {
                    "title": f"Camp story {n}", "body": "We sang by the lake and told where we come from. " * 6,
                    "language": "en", "community": "siena", "visibility": "community",
                    "author_display": "pseudonym", "consent": {"kind": "self", "recorded_by": None, "at": None},
                    "media": [hashes[n]] if n < len(hashes) else [], "created_at": "2026-07-14T10:02:00Z"}})
            engine.push(amina, items)
        db.session.remove()
        return stories, stored


def payload_bytes(app) -> int:
    """The replicas' JSON as the node sends them: what a perfect wire would carry for records."""
    from kultialogo.nodes import replication
    from kultialogo.nodes.peers import CentralAtNode
    from kultialogo.sync import engine
    total, since = 0, 0
    with app.app_context():
        peer = CentralAtNode(replication.link())
        while True:
            items, more, since = engine.pull(peer, since, 500, replication.replicated_kinds())
            total += sum(len(json.dumps(i, separators=(",", ":"), ensure_ascii=False).encode()) for i in items)
            if not more:
                return total


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--media-mb", type=float, default=200)
    parser.add_argument("--mbit", type=float, default=2.0)
    parser.add_argument("--latency-ms", type=float, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="node-sync-bench-"))
    central_db, node_db = folder / "central.sqlite3", folder / "node.sqlite3"
    central_app, node_app = app_for(central_db, folder / "central"), app_for(node_db, folder / "node")
    upgrade(central_app)
    upgrade(node_app)
    token = prepare_central(central_app)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{node_db}", "KULTIALOGO_DATA_DIR": str(folder / "node"),
           "KULTIALOGO_SECRET_KEY": SECRET}
    with LiveServer(f"sqlite:///{central_db}", folder / "central", extra_env={"KULTIALOGO_SECRET_KEY": SECRET}) as central:
        with FaultProxy(upstream=central.url, seed=15, bandwidth_bps=args.mbit * 1e6,
                        latency_s=args.latency_ms / 1000) as proxy:
            subprocess.run([sys.executable, "-m", "kultialogo.cli", "node", "init", "--central", proxy.url,
                            "--token", token, "--quiet"], env=env, check=True, capture_output=True)
            print(f"Filling the node: {args.stories:,} stories, {args.media_mb:g} MB of photos ...", flush=True)
            stories, media = fill_node(node_app, args.stories, int(args.media_mb * 1e6))
            payload = payload_bytes(node_app) + media
            before = dict(proxy.stats)
            started = time.monotonic()
            sync = subprocess.run([sys.executable, "-m", "kultialogo.cli", "node", "sync", "--quiet"], env=env,
                                  capture_output=True, text=True)
            wall = time.monotonic() - started
            node_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            wire = (proxy.stats["bytes_up"] - before["bytes_up"]) + (proxy.stats["bytes_down"] - before["bytes_down"])
            central_peak = peak_rss_mb(central.proc.pid)
        if sync.returncode != 0:
            print(sync.stdout, sync.stderr)
            return 1
        from sqlalchemy import func, select

        from kultialogo.extensions import db
        from kultialogo.stories.models import Story
        with central_app.app_context():
            on_central = db.session.scalar(select(func.count()).select_from(Story))
            distinct = db.session.scalar(select(func.count(func.distinct(Story.title))))
    overhead = wire / payload - 1
    print(sync.stdout.strip())
    print(f"stories {stories:,}, photos {media / 1e6:.1f} MB, link {args.mbit:g} Mbit/s, {args.latency_ms:g} ms")
    print(f"wall time                 {wall:8.1f} s   (the payload alone at {args.mbit:g} Mbit/s: "
          f"{payload * 8 / (args.mbit * 1e6):.1f} s)")
    print(f"bytes on the wire         {wire / 1e6:8.1f} MB  payload {payload / 1e6:.1f} MB  "
          f"overhead {overhead:+.1%}  (target <= +{OVERHEAD_TARGET:.0%})")
    print(f"node peak RSS (sync)      {node_peak:8.1f} MB  (target <= {NODE_TARGET_MB} MB)")
    print(f"central peak RSS          {central_peak:8.1f} MB")
    print(f"central holds             {on_central:,} stories, {distinct:,} distinct titles (expected {stories:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
