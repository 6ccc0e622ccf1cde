"""Ingest benchmark: push N stories through a real ``kultialogo run`` process, then time pulls.

    python bench/ingest.py [--n 20000] [--threads 4] [--server-threads 8] [--db sqlite,postgresql]

For each database (a fresh SQLite file, a fresh PostgreSQL database that is dropped afterwards)
it builds the schema with the real migrations, creates a community, a member and a token,
starts the server, pushes N new stories in batches of 100 from several client threads and
prints stories/second, then the p50/p95 latency of pull pages (limit 50 and 500) at random
cursors. Target on a 2-core machine: at least 1,000 stories/s on each database.
The push rate limit is lifted for the benchmark's server (one token sends far more than the
120 pushes a minute a phone ever would).
"""
import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import PG_ADMIN_URL, LiveServer, ScratchPostgres  # noqa: E402

BATCH = 100


def prepare(database_url: str, data_dir: Path) -> str:
    """Migrate the empty database, add a trusted community and a member; return a token."""
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
    with app.app_context():
        upgrade()
        # Trusted: stories publish at once, so pulls return full stories, not only the author's.
        community = Community(slug="bench", names={"en": "Bench"}, moderation="trusted")
        db.session.add(community)
        db.session.commit()
        account = create_account("bencher", "bench password 1")
        db.session.add(Membership(account_id=account.id, community_id=community.id, role="participant"))
        db.session.commit()
        token, _record = issue_token(account, "bench")
        db.session.remove()
        db.engine.dispose()
    return token


def story(i: int) -> dict:
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": {
        "title": f"Story number {i}",
        "body": ("We arrived in the evening and the square was full of people. " * 8).strip(),
        "language": random.choice(["en", "it", "ar", "uk", "sr"]), "community": "bench",
        "visibility": random.choice(["public", "community"]), "author_display": "pseudonym",
        "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
        "created_at": "2026-07-14T10:02:00Z"}}


def ingest(server: LiveServer, token: str, n: int, threads: int) -> tuple[float, int]:
    # Bodies are encoded before the clock starts: we time the server, not json.dumps.
    bodies = [json.dumps({"items": [story(i) for i in range(start, min(start + BATCH, n))]}).encode()
              for start in range(0, n, BATCH)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lock = threading.Lock()
    queue = list(reversed(bodies))
    created = [0]
    errors: list[str] = []

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            response = session.post(server.url + "/api/v1/sync/push", data=body, headers=headers, timeout=120)
            if response.status_code != 200:
                with lock:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            results = response.json()["results"]
            done = sum(1 for r in results if r["result"] == "created")
            with lock:
                created[0] += done

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} push requests failed, first: {errors[0]}")
    return elapsed, created[0]


def pull_latency(server: LiveServer, token: str, n: int, limit: int, samples: int) -> tuple[float, float]:
    from kultialogo.sync.service import encode_cursor
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    times = []
    for _ in range(samples):
        cursor = encode_cursor(random.randrange(0, max(n - limit, 1)))
        started = time.perf_counter()
        response = session.get(server.url + "/api/v1/sync/pull", params={"cursor": cursor, "limit": limit},
                               headers=headers, timeout=60)
        times.append(time.perf_counter() - started)
        if response.status_code != 200 or len(response.json()["items"]) != limit:
            raise SystemExit(f"pull failed: {response.status_code} {response.text[:200]}")
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def run_one(name: str, database_url: str, data_dir: Path, args) -> None:
    token = prepare(database_url, data_dir)
    env = {"KULTIALOGO_PUSH_RATE_LIMIT_PER_MINUTE": "1000000"}
    with LiveServer(database_url, data_dir, threads=args.server_threads, extra_env=env) as server:
        elapsed, created = ingest(server, token, args.n, args.threads)
        if created != args.n:
            raise SystemExit(f"{name}: expected {args.n} created, got {created}")
        print(f"{name} ingest: {args.n / elapsed:.0f} stories/s ({args.n} stories in {elapsed:.1f} s, "
              f"batches of {BATCH}, {args.threads} client threads)", flush=True)
        for limit in (50, 500):
            p50, p95 = pull_latency(server, token, args.n, limit, args.pull_samples)
            print(f"{name} pull limit={limit}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"({args.pull_samples} pages at random cursors)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="stories to push (default 20000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8)")
    parser.add_argument("--pull-samples", type=int, default=100, help="pull pages timed per limit")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL used to create the scratch db")
    args = parser.parse_args()
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    with tempfile.TemporaryDirectory(prefix="kultialogo-bench-") as tmp:
        tmp = Path(tmp)
        if "sqlite" in wanted:
            folder = tmp / "sqlite"
            folder.mkdir()
            run_one("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}", folder, args)
        if "postgresql" in wanted:
            folder = tmp / "postgresql"
            folder.mkdir()
            with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_bench") as pg:
                run_one("postgresql", pg.url, folder, args)


if __name__ == "__main__":
    main()
