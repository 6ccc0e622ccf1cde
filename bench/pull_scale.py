"""Pull at scale: p95 of a pull of 50 with 50 concurrent clients on two gunicorn workers, as the
number of stories grows.

    python bench/pull_scale.py [--postgresql 1000,1000000] [--sqlite ""] [--clients 50] [--seconds 10]
    python bench/pull_scale.py --postgresql 1000 --sqlite 1000          # a quick run

Target (issue #18): p95 ≤ 50 ms, and flat from 1,000 to 1,000,000 stories. Printed, never asserted.

For each database and size: a fresh database with the real migrations, N stories seeded in one
INSERT ... SELECT (bench/feed_scale.py: generate_series on PostgreSQL, a recursive CTE on
SQLite), then gunicorn with two workers (server/gunicorn_conf.py, as production runs it; Redis
for the rate limits when one answers at REDIS_URL or 127.0.0.1:6379) and ``--clients``
keep-alive connections from this process, each sending its next request when the last answer
came (bench/hotpaths.py's load). Two pulls, each with the reader's bearer token:

- from the start: ``?limit=50``, the first page (a phone's first sync);
- recent: ``?limit=50&cursor=`` a cursor 200 revisions before the head (a phone catching up).

Then the same pulls paced (``--rate`` requests a second in all, spread over the clients, each
request sent on its schedule whatever the last answer): what phones checking in now and then
meet below saturation. Back to back, 50 clients queue behind two cores, and the p95 there is
about 50 / throughput (Little's law) whatever a request costs beyond its CPU.

Before the load it prints the query plan (EXPLAIN) of each statement a pull runs at that size,
to show the stories query walks an index rather than the table.
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import PG_ADMIN_URL, GunicornServer, ScratchPostgres  # noqa: E402
from bench.feed_scale import PASSWORD, prepare  # noqa: E402
from bench.hotpaths import load, p95_of, raw_get  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def paced(url: str, headers: dict, clients: int, seconds: float, rate: float) -> tuple[int, float, list]:
    """Open loop: ``rate`` requests a second over ``clients`` connections, each on its own
    schedule; the requests answered, the p95 latency (s), any non-200 statuses."""
    host, port, request = raw_get(url, headers)
    latencies, errors = [], []
    interval = clients / rate

    async def client(offset: float, end: float):
        reader, writer = await asyncio.open_connection(host, port)
        due = time.perf_counter() + offset
        try:
            while due < end:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))  # the schedule, not a wait for a state
                started = time.perf_counter()
                try:
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    # A worker closed the idle connection (keepalive) or was replaced (max_requests):
                    # a new one, and the same request again, as a browser does.
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if head[9:12] != b"200":
                    errors.append(int(head[9:12]))
                due += interval
        finally:
            writer.close()

    async def run():
        end = time.perf_counter() + seconds
        await asyncio.gather(*(client(n * interval / clients, end) for n in range(clients)))

    asyncio.run(run())
    return len(latencies), p95_of(latencies), errors


def redis_or_none() -> str | None:
    try:
        import redis
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return REDIS_URL
    except Exception:  # noqa: BLE001 - any failure means: run without it
        return None


def explain(database_url: str, data_dir: Path, token: str, cursor: str) -> None:
    """EXPLAIN every statement one pull runs (captured from the app in this process)."""
    from sqlalchemy import event

    from kultialogo import create_app
    from kultialogo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir), "SECRET_KEY": "bench"})
    seen = []
    with app.app_context():
        engine = db.engine

        def capture(conn, cursor_, statement, parameters, context, executemany):
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            for query in ("", f"&cursor={cursor}"):
                seen.clear()
                response = app.test_client().get(f"/api/v1/sync/pull?limit=50{query}",
                                                 headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.get_data(as_text=True)
                statements = [(s, p) for s, p in seen if "stories" in s]
                print(f"  plan of the pull's stories query ({'from the start' if not query else 'recent'}):")
                with engine.connect() as conn:
                    for statement, parameters in statements:
                        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
                        for row in conn.exec_driver_sql(prefix + statement, parameters):
                            print("    " + " | ".join(str(v) for v in row[-1:]))
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        db.session.remove()
        db.engine.dispose()


def run_one(name: str, database_url: str, data_dir: Path, count: int, args) -> dict:
    print(f"{name}, {count:,} stories:", flush=True)
    prepare(database_url, data_dir, count)
    redis_url = redis_or_none()
    extra = {"REDIS_URL": redis_url} if redis_url else {}
    out = {}
    with GunicornServer(database_url, data_dir, workers=2, threads=args.threads, extra_env=extra,
                        start_timeout=180) as server:
        token = requests.post(server.url + "/api/v1/auth/token",
                              json={"username": "reader", "password": PASSWORD}).json()["token"]
        from kultialogo.sync.service import encode_cursor
        cursor = encode_cursor(max(count - 200, 0))
        auth = {"Authorization": f"Bearer {token}"}
        for path in ("/api/v1/sync/pull?limit=50", f"/api/v1/sync/pull?limit=50&cursor={cursor}"):
            page = requests.get(server.url + path, headers=auth).json()
            if len(page["items"]) != 50:
                raise SystemExit(f"{path} brought {len(page['items'])} items")
        explain(database_url, data_dir, token, cursor)
        for label, path in (("from the start", "/api/v1/sync/pull?limit=50"),
                            ("recent", f"/api/v1/sync/pull?limit=50&cursor={cursor}")):
            load(server.url + path, auth, args.clients, 1.0)  # warm: connections, caches
            requests_done, wall, p95, errors = load(server.url + path, auth, args.clients, args.seconds)
            if errors:
                raise SystemExit(f"{path}: {len(errors)} answers were not 200 (first: {errors[0]})")
            out[label] = (p95 * 1000, requests_done / wall)
            print(f"  pull of 50, {label:<14} p95 {p95 * 1000:7.1f} ms, {requests_done / wall:6,.0f}/s "
                  f"({requests_done:,} requests, {args.clients} clients back to back, 2 workers"
                  f"{', Redis' if redis_url else ''})", flush=True)
            if args.rate:
                answered, p95, errors = paced(server.url + path, auth, args.clients, args.seconds, args.rate)
                if errors:
                    raise SystemExit(f"{path}: {len(errors)} answers were not 200 (first: {errors[0]})")
                out[f"{label}, {args.rate:g}/s"] = (p95 * 1000, answered / args.seconds)
                print(f"  pull of 50, {label:<14} p95 {p95 * 1000:7.1f} ms paced at {args.rate:g}/s "
                      f"({answered:,} requests, {args.clients} clients)", flush=True)
    return out


def sizes(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql", type=sizes, default=sizes("1000,1000000"))
    parser.add_argument("--sqlite", type=sizes, default=[])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=150, help="requests/s of the paced lines (0: none)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8, as gunicorn_conf)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()
    results = {}
    for name, counts in (("postgresql", args.postgresql), ("sqlite", args.sqlite)):
        for count in counts:
            with tempfile.TemporaryDirectory(prefix="kultialogo-pullscale-") as tmp:
                if name == "sqlite":
                    results[name, count] = run_one(name, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp),
                                                   count, args)
                else:
                    with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_pullscale") as pg:
                        results[name, count] = run_one(name, pg.url, Path(tmp), count, args)
    print(f"\n{'database':<11} {'stories':>10}   {'pull of 50':<22} {'p95 ms':>7} {'req/s':>7}   target p95 ≤ 50 ms, flat")
    for (name, count), lines in results.items():
        for label, (p95, rate) in lines.items():
            print(f"{name:<11} {count:>10,}   {label:<22} {p95:>7.1f} {rate:>7,.0f}")


if __name__ == "__main__":
    main()
