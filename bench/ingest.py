"""Ingest benchmark: push N stories through a real ``kultialogo run`` process, then time pulls.

    python bench/ingest.py [--n 20000] [--threads 4] [--server-threads 8] [--db sqlite,postgresql]
                           [--workers N] [--code PATH ...] [--ids v7,v4] [--hello-only]

For each database (a fresh SQLite file, a fresh PostgreSQL database that is dropped afterwards)
it builds the schema with the real migrations, creates a community, a member and a token,
starts the server, pushes N new stories in batches of 100 from several client threads and
prints stories/second, then the p50/p95 latency of pull pages (limit 50 and 500) at random
cursors. Target on a 2-core machine (#18): at least 10,000 stories/s on SQLite and 8,000 on
PostgreSQL.

Each ingest line is followed by where a batch's CPU went: the server's processes, PostgreSQL's
backends for the bench's database, and the client. On two cores that sum bounds the rate: at
about 14 ms of server CPU per batch of 100 (the push's per-item Python: parsing and checking each
story, its row, its answer), one process cannot go past about 7,000 stories/s. Two workers
(``--workers 2``) use both cores; on SQLite their writes still go one at a time, queued on the
database's lock file (server/database.py, WriterLock).

The machine is shared, so a rate alone says little: first the same bodies are posted, by the
same client threads, to a hello-world Flask app on the same waitress settings (it reads the body
and answers a small JSON), and that floor is printed; each ingest line then shows its rate as a
fraction of it ("stories/s as if each request cost only the hello-world's").

``--workers N`` serves with gunicorn and N workers (production's shape, docs/production.md)
instead of one ``kultialogo run`` process.

``--code PATH`` (repeatable) benchmarks the server of another checkout (its ``server/`` as the
``kultialogo`` package, its migrations), in the same run and under the same conditions: e.g.
``--code ../main --code .`` for before and after. Without it, the installed kultialogo.
The push rate limit is lifted for the benchmark's server (one token sends far more than the
120 pushes a minute a phone ever would).

``--ids`` says how the stories' ids are made: ``v7`` (the default) as the PWA and the server's
forms make them, time first (RFC 9562, server/records.py uuid7), in the order they were written;
``v4`` all random, as clients before them did. ``--ids v7,v4`` runs both, one after the other,
for each checkout and database: with random ids every batch writes a random page of each index
of ids (docs/sync.md, Ids).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import (PG_ADMIN_URL, GunicornServer, LiveServer, ScratchPostgres, cpu_seconds,  # noqa: E402
                           free_port, postgres_backends, process_tree)

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


def code_env(code: str | None, shim_root: Path) -> dict:
    """The environment that makes ``import kultialogo`` load the checkout at ``code`` (its
    server/ folder; create_app finds its migrations beside it). None: the installed one."""
    if code is None:
        return {}
    server = Path(code).resolve() / "server"
    if not (server / "__init__.py").exists():
        raise SystemExit(f"--code {code}: no server/ package there")
    shim = shim_root / f"code-{abs(hash(str(server)))}"
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "kultialogo"
    if not link.exists():
        link.symlink_to(server, target_is_directory=True)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")]))}


def prepare_with(env: dict, database_url: str, data_dir: Path) -> str:
    """prepare() in a child process with that code's kultialogo (its own models and migrations)."""
    if not env:
        return prepare(database_url, data_dir)
    out = subprocess.run([sys.executable, __file__, "--prepare", database_url, str(data_dir)],
                         env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"prepare failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1]


def new_id(ids: str, rng: random.Random = random) -> str:
    if ids == "v4":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    from kultialogo.records import uuid7
    return str(uuid7())


def story(i: int, rng: random.Random = random, ids: str = "v7") -> dict:
    return {"type": "story", "op": "upsert", "id": new_id(ids, rng),
            "base_etag": None, "data": {
                "title": f"Story number {i}",
                "body": ("We arrived in the evening and the square was full of people. " * 8).strip(),
                "language": rng.choice(["en", "it", "ar", "uk", "sr"]), "community": "bench",
                "visibility": rng.choice(["public", "community"]), "author_display": "pseudonym",
                "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
                "created_at": "2026-07-14T10:02:00Z"}}


def bodies_for(n: int, ids: str = "v7") -> list[bytes]:
    # Bodies are encoded before the clock starts: we time the server, not json.dumps.
    # As the shell pushes (pwa/js/push.js): saying its version, so each story is answered once.
    from kultialogo.sync.service import PROTOCOL_VERSION
    return [json.dumps({"items": [story(i, ids=ids) for i in range(start, min(start + BATCH, n))],
                        "protocol": PROTOCOL_VERSION}).encode()
            for start in range(0, n, BATCH)]


def post_all(url: str, bodies: list[bytes], token: str, threads: int, count=None) -> tuple[float, int]:
    """POST every body from ``threads`` client threads; (seconds, sum of count(response))."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lock = threading.Lock()
    queue = list(reversed(bodies))
    total = [0]
    errors: list[str] = []

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            response = session.post(url, data=body, headers=headers, timeout=120)
            if response.status_code != 200:
                with lock:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            done = count(response) if count else 0
            with lock:
                total[0] += done

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return elapsed, total[0]


def _created(response) -> int:
    return sum(1 for r in response.json()["results"] if r["result"] == "created")


def ingest(server: LiveServer, token: str, n: int, threads: int, ids: str) -> tuple[float, int]:
    return post_all(server.url + "/api/v1/sync/push", bodies_for(n, ids), token, threads, _created)


# --- The hello-world floor ------------------------------------------------------------------

def hello_app():
    """The least a Flask app on waitress can do with a push: read the body, answer small JSON."""
    from flask import Flask, jsonify, request
    app = Flask("hello")

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post("/api/v1/sync/push")
    def push():
        body = request.get_data()
        return jsonify({"results": [], "bytes": len(body)})

    return app


def serve_hello(port: int, threads: int) -> None:
    import waitress
    waitress.serve(hello_app(), host="127.0.0.1", port=port, threads=threads, ident="hello",
                   channel_timeout=120, connection_limit=1000, _quiet=True)


def hello_floor(n: int, threads: int, server_threads: int) -> float:
    """Requests per second the hello-world app answers, posted exactly as the ingest posts."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--hello-serve", str(port), str(server_threads)])
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the hello-world server did not start")
            time.sleep(0.05)  # polling a server to come up
        bodies = bodies_for(n)
        elapsed, _ = post_all(url + "/api/v1/sync/push", bodies, "hello", threads)
        return len(bodies) / elapsed
    finally:
        proc.terminate()
        proc.wait(10)


# --- Pulls ------------------------------------------------------------------------------------

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


class CpuSplit:
    """Where an ingest's CPU went: the server's processes (a gunicorn master's workers too), the
    database's own (PostgreSQL's backends for this database; SQLite works inside the server),
    and this client. CPU time, not wall time: on a shared machine it says what a batch costs
    whatever else runs, and so how far the cores allow a rate to go."""

    def __init__(self, server_pid: int, database_url: str):
        self.server_pid, self.url = server_pid, database_url
        self.postgres = database_url.startswith("postgresql")
        self.server = self._server()
        self.backends = self._backends()
        self.client = self._client()

    def _server(self) -> dict:
        return {pid: cpu_seconds(pid) for pid in process_tree(self.server_pid)}

    def _backends(self) -> dict:
        if not self.postgres:
            return {}
        return {pid: cpu_seconds(pid) for pid in postgres_backends(self.url)}

    @staticmethod
    def _client() -> float:
        used = os.times()
        return used.user + used.system

    def spent(self) -> dict:
        """Seconds of CPU since this was made, by part ("server", "PostgreSQL", "client")."""
        server = self._server()
        out = {"server": sum(now - self.server.get(pid, 0.0) for pid, now in server.items())}
        if self.postgres:
            backends = self._backends()
            out["PostgreSQL"] = sum(now - self.backends.get(pid, 0.0) for pid, now in backends.items())
        out["client"] = self._client() - self.client
        return out


def run_one(name: str, database_url: str, data_dir: Path, args, env: dict, floor: float, ids: str) -> None:
    token = prepare_with(env, database_url, data_dir)
    extra = {"KULTIALOGO_PUSH_RATE_LIMIT_PER_MINUTE": "1000000", **env}
    if args.workers:  # production's shape: gunicorn workers (docs/production.md)
        server = GunicornServer(database_url, data_dir, workers=args.workers, threads=args.server_threads,
                                extra_env=extra)
        shape = f"gunicorn {args.workers} workers x {args.server_threads} threads"
    else:
        server = LiveServer(database_url, data_dir, threads=args.server_threads, extra_env=extra)
        shape = f"one process, waitress {args.server_threads} threads"
    with server:
        cpu = CpuSplit(server.pid, database_url)
        elapsed, created = ingest(server, token, args.n, args.threads, ids)
        spent = cpu.spent()
        if created != args.n:
            raise SystemExit(f"{name}: expected {args.n} created, got {created}")
        rate = args.n / elapsed
        print(f"{name} ingest: {rate:.0f} stories/s ({args.n} stories in {elapsed:.1f} s, "
              f"batches of {BATCH}, {ids} ids, {args.threads} client threads, {shape}); "
              f"{rate / (floor * BATCH):.1%} of the hello-world floor", flush=True)
        batches = args.n / BATCH
        print(f"{name} CPU per batch of {BATCH}: " + ", ".join(
            f"{part} {seconds / batches * 1000:.1f} ms" for part, seconds in spent.items())
            + f"; {os.cpu_count()} cores", flush=True)
        for limit in (50, 500) if args.pull_samples else ():
            p50, p95 = pull_latency(server, token, args.n, limit, args.pull_samples)
            print(f"{name} pull limit={limit}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"({args.pull_samples} pages at random cursors)", flush=True)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":  # a child for --code (prepare_with)
        print(prepare(sys.argv[2], Path(sys.argv[3])))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--hello-serve":  # a child for hello_floor
        serve_hello(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="stories to push (default 20000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8)")
    parser.add_argument("--pull-samples", type=int, default=100, help="pull pages timed per limit (0: none)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--code", action="append", default=None, metavar="PATH",
                        help="a checkout whose server to benchmark (repeatable; default: the installed one)")
    parser.add_argument("--workers", type=int, default=0,
                        help="serve with gunicorn and this many workers, as production does (default: "
                             "one kultialogo run process)")
    parser.add_argument("--ids", default="v7", help="comma-separated: v7 (time first, as the PWA makes a "
                        "story's id; default), v4 (random, as older clients did)")
    parser.add_argument("--hello-only", action="store_true", help="print the hello-world floor only")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL used to create the scratch db")
    args = parser.parse_args()
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    id_kinds = [i.strip() for i in args.ids.split(",") if i.strip()]
    if not id_kinds or set(id_kinds) - {"v4", "v7"}:
        parser.error("--ids: v7, v4 or both")
    floor = hello_floor(args.n, args.threads, args.server_threads)
    print(f"hello-world floor: {floor:.0f} requests/s = {floor * BATCH:.0f} stories/s "
          f"(same bodies, {args.threads} client threads, waitress with {args.server_threads} threads)", flush=True)
    if args.hello_only:
        return
    with tempfile.TemporaryDirectory(prefix="kultialogo-bench-") as tmp:
        tmp = Path(tmp)
        for code in args.code or [None]:
            env = code_env(code, tmp)
            label = f"[{code}] " if code else ""
            for ids in id_kinds:
                if "sqlite" in wanted:
                    folder = tmp / f"sqlite-{uuid.uuid4().hex[:6]}"
                    folder.mkdir()
                    run_one(label + "sqlite", f"sqlite:///{folder / 'bench.sqlite3'}", folder, args, env, floor, ids)
                if "postgresql" in wanted:
                    folder = tmp / f"postgresql-{uuid.uuid4().hex[:6]}"
                    folder.mkdir()
                    with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_bench") as pg:
                        run_one(label + "postgresql", pg.url, folder, args, env, floor, ids)


if __name__ == "__main__":
    main()
