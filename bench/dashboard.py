"""Dashboard and export benchmark: a large project's data, then the dashboard's render time and
the exports' time and memory, through a real ``kultialogo run`` process and the real CLI.

    python bench/dashboard.py [--stories 100000] [--people 10000] [--events 500] [--communities 10]
                              [--requests 20] [--db sqlite,postgresql] [--no-exports]

For each database (a fresh SQLite file; with ``--db postgresql`` a scratch PostgreSQL database,
dropped afterwards) it builds the schema with the real migrations, bulk-inserts the data
(Core executemany in batches: stories over the last two years, people joining communities,
events with linked attendees and anonymous counts, reports), starts the server and signs an
admin in, then prints:

- the dashboard's render time, p50 and p95 over ``--requests`` requests (after two warm-ups),
  for the default view (all communities, the last twelve weeks), one community, and two years
  by month. Target: p95 under 300 ms.
- ``kultialogo export`` (a fresh process each time): seconds and peak memory (the peak RSS of
  that process, VmHWM) for stories CSV over about a tenth of the data and over all of it, stories
  JSON, and aggregates per week, plus an empty export as the baseline of a process that has
  loaded the app. Memory that stays near the baseline while the rows grow tenfold is the
  streaming working.
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._server import PG_ADMIN_URL, LiveServer, ScratchPostgres, plain_pg_url  # noqa: E402

ADMIN, PASSWORD = "bench-admin", "bench password 1"
LANGUAGES = ["ar", "it", "uk", "en", "fa", "sr", "nl", "fr", "ps", "ur", "ru", "tr", "es", "ti"]
STATUSES = ["published"] * 12 + ["pending"] * 3 + ["rejected"] * 2 + ["hidden", "withdrawn"]
BATCH = 5000
DAYS = 730


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _when(rng: random.Random) -> datetime:
    """A time in the last two years, more of them recent (a project that grows)."""
    return _now() - timedelta(days=DAYS * (rng.random() ** 1.4), seconds=rng.randrange(86400))


def _bulk(connection, table, rows) -> None:
    from sqlalchemy import insert
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), rows[start:start + BATCH])


def populate(database_url: str, data_dir: Path, args) -> dict:
    """Schema by migrations, then the data by bulk inserts; returns what was made and how long."""
    from flask_migrate import upgrade
    from sqlalchemy import text, update

    from kultialogo import create_app
    from kultialogo.accounts.auth import create_account, hash_password
    from kultialogo.accounts.models import Account, Membership
    from kultialogo.communities.models import Community
    from kultialogo.events.models import DIMENSIONS, Event, EventAttendee, EventTally
    from kultialogo.extensions import db
    from kultialogo.moderation.models import StoryReport
    from kultialogo.revisions import RevisionCounter
    from kultialogo.stories.models import Story

    rng = random.Random(7)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir), "SECRET_KEY": "bench",
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        create_account(ADMIN, PASSWORD, "Bench admin", is_admin=True)
        with db.engine.connect() as conn:  # commits below: the stories arrive over many transactions
            communities = [{"slug": f"c{n:02d}", "names": {"en": f"Community {n}", "ar": f"المجتمع {n}"},
                            "description": "", "default_language": "en", "moderation": "review",
                            "created_at": _now() - timedelta(days=DAYS)} for n in range(args.communities)]
            _bulk(conn, Community.__table__, communities)
            community_ids = [row[0] for row in conn.execute(text("SELECT id FROM communities ORDER BY id"))]
            unusable = hash_password("not a real password, never used")
            people = [{"username": f"person{n:05d}", "display_name": "", "password_hash": unusable,
                       "is_admin": False, "is_managed": False, "created_at": _when(rng)} for n in range(args.people)]
            _bulk(conn, Account.__table__, people)
            person_ids = [row[0] for row in conn.execute(text("SELECT id FROM accounts WHERE username LIKE 'person%' ORDER BY id"))]
            members = {cid: [] for cid in community_ids}
            memberships = []
            for n, pid in enumerate(person_ids):
                for cid in {community_ids[n % len(community_ids)]} | ({rng.choice(community_ids)} if n % 10 == 0 else set()):
                    memberships.append({"account_id": pid, "community_id": cid, "created_at": _when(rng),
                                        "role": "facilitator" if n < len(community_ids) else "participant"})
                    members[cid].append(pid)
            _bulk(conn, Membership.__table__, memberships)

            events, event_community = [], []
            for n in range(args.events):
                cid = community_ids[n % len(community_ids)]
                start = _when(rng).date()
                events.append({"community_id": cid, "kind": rng.choice(["assembly", "storytelling", "exchange", "camp", "training"]),
                               "title": f"Event {n}", "starts_on": start, "ends_on": start + timedelta(days=4) if n % 9 == 0 else None,
                               "place": "Community centre", "head_count": rng.randrange(5, 120), "created_at": _now(),
                               "updated_at": _now()})
            _bulk(conn, Event.__table__, events)
            event_rows = list(conn.execute(text("SELECT id, community_id, head_count FROM events ORDER BY id")))
            attendees, tallies = [], []
            for event_id, cid, head in event_rows:
                linked = rng.sample(members[cid], min(3, len(members[cid]), head))
                for pid in linked:
                    attendees.append({"event_id": event_id, "account_id": pid, "gender": rng.choice(["woman", "man", None]),
                                      "age": rng.choice(["18_25", "26_40", None]), "origin": rng.choice(["newcomer", "local", None])})
                for dimension, values in DIMENSIONS.items():
                    room = head - len(linked)
                    for value in values:
                        count = rng.randrange(0, max(room // len(values), 1))
                        if count:
                            tallies.append({"event_id": event_id, "dimension": dimension, "value": value, "count": count})
            _bulk(conn, EventAttendee.__table__, attendees)
            _bulk(conn, EventTally.__table__, tallies)
            events_of = {cid: [e for e, c, _h in event_rows if c == cid] for cid in community_ids}

            stories = []
            for n in range(args.stories):
                cid = community_ids[n % len(community_ids)]
                status = rng.choice(STATUSES)
                received = _when(rng)
                stories.append({
                    "id": uuid.uuid4(), "author_id": rng.choice(members[cid]), "community_id": cid,
                    "title": f"Story {n}", "body": "We arrived in the evening and the square was full of people. " * 3,
                    "language": rng.choice(LANGUAGES), "visibility": rng.choice(["public", "community", "facilitators"]),
                    "author_display": "pseudonym", "consent_kind": rng.choice(["self", "self", "verbal", "written"]),
                    "media": ["a" * 64] if n % 10 == 0 else [], "status": status, "revision": n + 1, "etag": "e" * 32,
                    "received_at": received, "updated_at": received, "created_at": received - timedelta(hours=3),
                    "ever_published": status in ("published", "hidden"), "moderation_reason": "", "place": "",
                    "about_minor": n % 50 == 0, "consent_guardian": n % 50 == 0,
                    "event_id": rng.choice(events_of[cid]) if n % 20 == 0 and events_of[cid] else None})
            # A transaction per batch, as stories arrive in life: one transaction of a million rows
            # would leave every count row of migration 0025 a chain of a thousand versions to walk
            # on PostgreSQL (nothing can prune them before it commits), which no real writer makes.
            conn.commit()
            for start in range(0, len(stories), BATCH):
                _bulk(conn, Story.__table__, stories[start:start + BATCH])
                conn.commit()
            conn.execute(update(RevisionCounter.__table__).values(value=args.stories))
            reports, seen = [], set()
            for _ in range(args.stories // 50):
                story = rng.choice(stories)
                reporter = rng.choice(person_ids)
                if (story["id"], reporter) in seen:
                    continue
                seen.add((story["id"], reporter))
                at = story["received_at"] + timedelta(hours=rng.randrange(1, 200))
                reports.append({"story_id": story["id"], "reporter_id": reporter, "reason": "spam", "note": "",
                                "created_at": at, "resolved_at": at + timedelta(days=1) if rng.random() < 0.7 else None})
            _bulk(conn, StoryReport.__table__, reports)
            conn.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return {"seconds": time.perf_counter() - started, "stories": len(stories), "people": len(people),
            "memberships": len(memberships), "events": len(events), "attendees": len(attendees),
            "reports": len(reports)}


def signed_in_session(server: LiveServer):
    import requests
    session = requests.Session()
    page = session.get(server.url + "/signin", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = session.post(server.url + "/signin", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:300]
    return session


def render_times(session, url: str, requests_: int) -> tuple[float, float, int]:
    for _ in range(2):  # warm-up: templates compiled, connections open
        session.get(url, timeout=60)
    times, size = [], 0
    for _ in range(requests_):
        started = time.perf_counter()
        response = session.get(url, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or "<svg" not in response.text:
            raise SystemExit(f"dashboard failed: {response.status_code} {response.text[:300]}")
        size = len(response.content)
    times.sort()
    p95 = times[max(int(round(len(times) * 0.95)) - 1, 0)]
    return statistics.median(times), p95, size


# The export in a fresh interpreter that reports its own peak resident memory. VmHWM is this
# process image's high-water mark; ru_maxrss would also count the parent's pages the child
# had before exec (Linux keeps the larger of the two across exec), i.e. the benchmark's own data.
CHILD = """
import resource, sys, time
from kultialogo.cli import cli
started = time.perf_counter()
try:
    cli.main(args=sys.argv[1:], prog_name="kultialogo", standalone_mode=False)
finally:
    try:
        peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{time.perf_counter() - started:.3f} {peak}", file=sys.stderr)
"""


def export_run(database_url: str, data_dir: Path, args: list[str], output: Path) -> tuple[float, float, int, int]:
    """One `kultialogo export` in a fresh process: seconds, peak RSS in MiB, rows, bytes."""
    env = {**os.environ, "DATABASE_URL": plain_pg_url(database_url), "KULTIALOGO_DATA_DIR": str(data_dir),
           "KULTIALOGO_SECRET_KEY": "bench", "FLASK_RUN_FROM_CLI": "false"}
    done = subprocess.run([sys.executable, "-c", CHILD, "export", *args, "--output", str(output)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr[-2000:]}")
    seconds, maxrss_kib = done.stderr.strip().splitlines()[-1].split()
    data = output.read_bytes()
    rows = data.count(b"\n") - 1 if output.suffix == ".csv" else data.count(b"\n{")
    return float(seconds), int(maxrss_kib) / 1024, rows, len(data)


def run_one(name: str, database_url: str, data_dir: Path, args) -> None:
    made = populate(database_url, data_dir, args)
    print(f"{name} data: {made['stories']:,} stories, {made['people']:,} people ({made['memberships']:,} memberships), "
          f"{made['events']:,} events ({made['attendees']:,} linked attendees), {made['reports']:,} reports "
          f"across {args.communities} communities, inserted in {made['seconds']:.1f} s", flush=True)
    with LiveServer(database_url, data_dir, threads=4) as server:
        session = signed_in_session(server)
        today = date.today()
        views = [("default (all communities, last 12 weeks)", "/dashboard"),
                 ("one community, last 12 weeks", "/dashboard?community=c03"),
                 ("two years by month", f"/dashboard?from={(today - timedelta(days=DAYS)).isoformat()}&period=month")]
        for label, path in views:
            p50, p95, size = render_times(session, server.url + path, args.requests)
            verdict = "OK" if p95 < 300 else "OVER"
            print(f"{name} dashboard {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {args.requests} requests "
                  f"({size / 1024:.0f} KiB of HTML; target p95 < 300 ms: {verdict})", flush=True)
    if args.no_exports:
        return
    everything = ["--from", (today - timedelta(days=DAYS + 1)).isoformat(), "--to", today.isoformat()]
    tenth = ["--from", (today - timedelta(days=25)).isoformat(), "--to", today.isoformat()]
    runs = [("empty export (baseline: the app loaded)", ["stories", "--from", "2000-01-01", "--to", "2000-01-02"], "csv"),
            ("stories CSV, last 25 days", ["stories", *tenth], "csv"),
            ("stories CSV, two years", ["stories", *everything], "csv"),
            ("stories JSON, two years", ["stories", "--format", "json", *everything], "json"),
            ("stories CSV with text, two years", ["stories", "--include-text", *everything], "csv"),
            ("aggregates CSV per week, two years", ["aggregates", "--period", "week", *everything], "csv"),
            ("events CSV, two years", ["events", *everything], "csv")]
    for label, cli_args, suffix in runs:
        seconds, rss, rows, size = export_run(database_url, data_dir, cli_args, data_dir / f"export.{suffix}")
        print(f"{name} export {label}: {rows:,} rows, {size / 1024 / 1024:.1f} MiB in {seconds:.2f} s, "
              f"peak memory {rss:.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--communities", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20, help="dashboard requests timed per view")
    parser.add_argument("--no-exports", action="store_true", help="the dashboard's render times only")
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL used to create the scratch db")
    args = parser.parse_args()
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    with tempfile.TemporaryDirectory(prefix="kultialogo-bench-dashboard-") as tmp:
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
