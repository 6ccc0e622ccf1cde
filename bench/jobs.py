"""Background jobs benchmark: how many trivial jobs per second one and two workers get through.

    python bench/jobs.py [--jobs 2000] [--db sqlite,postgresql]

For each database (a fresh SQLite file; a scratch PostgreSQL database, dropped afterwards) it
builds the schema with the real migrations, queues ``--jobs`` jobs of a kind that does nothing,
and runs them with one worker, then again with two workers (threads with their own app and
engine, as two processes would have), printing jobs/s and checking each ran exactly once. The
figure is the queue's own cost (claim, lease, delete) per job: real jobs add their own work.
"""
import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._server import PG_ADMIN_URL, ScratchPostgres  # noqa: E402

RAN: list = []
LOCK = threading.Lock()


def _noop(payload):
    with LOCK:
        RAN.append(payload["n"])


def _app(database_url: str, data_dir: Path):
    from kultialogo import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                       "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})


def run(database_url: str, data_dir: Path, count: int) -> None:
    from flask_migrate import upgrade
    from kultialogo import jobs
    from kultialogo.extensions import db
    jobs.register("bench.noop", _noop)
    first = _app(database_url, data_dir)
    with first.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    apps = [first, _app(database_url, data_dir)]
    for workers in (1, 2):
        RAN.clear()
        with first.app_context():
            for start in range(0, count, 500):
                for n in range(start, min(count, start + 500)):
                    jobs.enqueue("bench.noop", {"n": n})
                db.session.commit()

        def work(app):
            with app.app_context():
                jobs.run_pending()
                db.session.remove()

        began = time.perf_counter()
        threads = [threading.Thread(target=work, args=(apps[i],)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
        exactly_once = sorted(RAN) == list(range(count))
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: {count / seconds:7.0f} jobs/s "
              f"({count} jobs in {seconds:.2f} s; each ran exactly once: {exactly_once})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()
    for name in args.db.split(","):
        with tempfile.TemporaryDirectory(prefix="kultialogo-bench-jobs-") as folder:
            print(f"{name}:")
            if name == "sqlite":
                run(f"sqlite:///{folder}/jobs.sqlite3", Path(folder), args.jobs)
            else:
                with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_bench") as pg:
                    run(pg.url, Path(folder), args.jobs)


if __name__ == "__main__":
    main()
