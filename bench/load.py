"""Load test: an assembly of phones opening the app at once (#18), with locust.

    python bench/load.py [--phones 200] [--spawn-rate 50] [--seconds 60] [--workers 2] [--stories 1000]

A fresh PostgreSQL database (dropped afterwards) gets the schema, a trusted community, one
account and token per phone, and --stories published stories; gunicorn serves it with
--workers workers, rate limits in Redis (REDIS_URL, default redis://127.0.0.1:6379/0). locust
(bench/locustfile.py, in its own process: it monkey-patches the standard library with gevent)
then runs the phones: the feed page, pulls from each phone's cursor, pushes sent twice. Prints
p50/p95/p99, requests per second and errors per kind of request, each worker's memory, the
workers that died during the run (gunicorn's log: a crash cuts every request it held), and
checks every story pushed is stored once. Targets: 0 errors, p95 <= 500 ms; printed, not asserted.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import GunicornServer, ScratchPostgres, proc_status_mib  # noqa: E402

HERE = Path(__file__).resolve().parent
COMMUNITY = "assembly"


def prepare(app, phones: int, stories: int, folder: Path) -> Path:
    """Accounts and tokens (a file, one token per line) and published stories, in the app's database."""
    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db
    from kultialogo.stories import service as stories_service
    from kultialogo.stories.schema import validate_content
    with app.app_context():
        community = Community(slug=COMMUNITY, names={"en": "Assembly"}, moderation="trusted")
        db.session.add(community)
        db.session.commit()
        tokens = []
        for n in range(phones):
            account = create_account(f"phone{n:04d}", "load test password")
            db.session.add(Membership(account_id=account.id, community_id=community.id, role="participant"))
            db.session.commit()
            tokens.append(issue_token(account, "load")[0])
        author = db.session.get(type(account), account.id)
        for n in range(stories):
            content = validate_content({
                "title": f"Story {n}", "body": "We arrived in the evening and the square was full. " * 6,
                "language": "en", "community": COMMUNITY, "visibility": "public" if n % 2 else "community",
                "author_display": "pseudonym", "consent": {"kind": "self", "recorded_by": None, "at": None},
                "media": [], "created_at": "2026-11-01T10:00:00Z"})
            stories_service.write_one(author, uuid.uuid4(), content)
        db.session.remove()
    path = folder / "tokens.txt"
    path.write_text("\n".join(tokens))
    return path


def stored_stories(app) -> list[str]:
    """The ids of the stories stored, one entry per row."""
    from sqlalchemy import select

    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(select(Story.id))]
        db.session.remove()
    return ids


def run_locust(url: str, tokens: Path, phones: int, spawn_rate: float, seconds: int, folder: Path) -> dict:
    """Run the phones against ``url``; {request name: {count, failures, p50, p95, p99, rps}}."""
    prefix = folder / "locust"
    acked = folder / "acked.txt"
    env = {**os.environ, "KULTIALOGO_LOAD_TOKENS": str(tokens), "KULTIALOGO_LOAD_COMMUNITY": COMMUNITY,
           "KULTIALOGO_LOAD_ACKED": str(acked)}
    done = subprocess.run([sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                           "-u", str(phones), "-r", str(spawn_rate), "-t", f"{seconds}s", "--host", url,
                           "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
                          env=env, capture_output=True, text=True, timeout=seconds + 180)
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    out = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            def ms(key):
                return float(row[key]) if row[key] not in ("", "N/A") else 0.0
            out[row["Name"]] = {"count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                "p50": ms("50%"), "p95": ms("95%"), "p99": ms("99%"), "rps": float(row["Requests/s"])}
    failures_file = Path(f"{prefix}_failures.csv")
    out["_failures"] = failures_file.read_text() if failures_file.exists() else ""
    out["_acked"] = acked.read_text().split() if acked.exists() else []
    return out


def print_stats(stats: dict, server: GunicornServer) -> None:
    print(f"{'request':16} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for name, s in stats.items():
        if name.startswith("_"):
            continue
        print(f"{name:16} {s['count']:7} {s['failures']:7} {s['p50']:8.0f} {s['p95']:8.0f} {s['p99']:8.0f} {s['rps']:8.1f}")
    for pid in server.worker_pids():
        print(f"worker {pid}: RSS {proc_status_mib(pid, 'VmRSS'):.0f} MiB, peak {proc_status_mib(pid, 'VmHWM'):.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stories", type=int, default=1000)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from kultialogo import create_app
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    folder = Path(tempfile.mkdtemp(prefix="kultialogo-load-"))
    with ScratchPostgres() as pg:
        app = create_app({"SQLALCHEMY_DATABASE_URI": pg.url, "DATA_DIR": str(folder / "data"), "SECRET_KEY": "load",
                          "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
        with app.app_context():
            upgrade()
        tokens = prepare(app, args.phones, args.stories, folder)
        before = stored_stories(app)
        server = GunicornServer(pg.url, folder / "data", workers=args.workers, threads=args.threads,
                                start_timeout=120, extra_env={"REDIS_URL": redis_url,
                                                              "KULTIALOGO_RATELIMIT_KEY_PREFIX": f"load-{uuid.uuid4().hex}"})
        try:
            print(f"{args.phones} phones for {args.seconds} s against gunicorn ({args.workers} workers x "
                  f"{args.threads} threads) on PostgreSQL with Redis; {args.stories} stories to start with\n")
            stats = run_locust(server.url, tokens, args.phones, args.spawn_rate, args.seconds, folder)
            print_stats(stats, server)
        finally:
            server.stop()
        # A worker that died (a crash, the timeout) cuts every request it held: say so.
        deaths = [line for line in server.log_path.read_text(errors="replace").splitlines()
                  if "was sent SIG" in line or "WORKER TIMEOUT" in line]
        print(f"workers lost during the run: {len(deaths)}" + "".join(f"\n  {line}" for line in deaths))
        after = stored_stories(app)
        with app.app_context():
            from kultialogo.extensions import db
            db.engine.dispose()
    total = stats.get("Aggregated", {})
    acked, new = stats["_acked"], [i for i in after if i not in set(before)]
    lost = len(set(acked) - set(new))
    duplicated = len(new) - len(set(new))
    print(f"\nstories the server said it created {len(acked)}, stored {len(new)}: lost {lost}, duplicated "
          f"{duplicated} (a push in flight when the run stopped may be stored uncounted)")
    print(f"all requests: {total.get('count', 0)}, errors {total.get('failures', 0)}, p95 {total.get('p95', 0):.0f} ms"
          f"   target: 0 errors, p95 <= 500 ms")
    if stats["_failures"].strip().count("\n"):
        print("\nfailures:\n" + stats["_failures"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
