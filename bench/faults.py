"""Faults benchmark: 10,000 records of every kind from simulated phones, through a faulty network
and across kill -9 of the server, each stored exactly once.

    python bench/faults.py [--phones 20] [--records 500] [--kills 5] [--db sqlite,postgresql] [--seed 18]

For each database (a fresh SQLite file, a fresh PostgreSQL database dropped afterwards) it builds
the schema with the real migrations, makes a trusted community and one participant per phone,
starts ``kultialogo run`` and puts tests/faultproxy.py in front of it: requests dropped, answers
cut after the server acted, requests sent twice, reordered, delayed, answered 502. The phones
(tests/faults/phones.py: the sync protocol of docs/sync.md, retrying until acknowledged, pulling
with cursors) push their records of seven kinds; meanwhile the server is killed with SIGKILL
``--kills`` times, each after another share of the records was acknowledged, and started again on
the same database and data folder. Then it counts in the database: every record made, once.
It prints the counts per kind, the faults the proxy injected, the phones' retries and the time,
and exits non-zero on any loss or duplicate.
"""
import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import PG_ADMIN_URL, LiveServer, ScratchPostgres  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402
from tests.faults.phones import (KINDS, Phone, assert_exactly_once, check_phones, check_pulls,  # noqa: E402
                                 count_in_database, make_records, prepare_cast, run_phones)

FAULTS = {"drop_rate": 0.05, "error_502_rate": 0.03, "cut_after_rate": 0.08, "duplicate_rate": 0.05,
          "delay_rate": 0.1, "delay_s": (0.0, 0.02), "reorder": True, "reorder_hold_s": 0.05}
SERVER_ENV = {"KULTIALOGO_RATELIMIT_ENABLED": "false"}
START_TIMEOUT_S = 180  # a start on a loaded machine is slow, not broken


def make_app(database_url: str, data_dir: Path):
    from kultialogo import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir), "SECRET_KEY": "bench",
                       "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})


def run_one(name: str, database_url: str, data_dir: Path, args) -> bool:
    from flask_migrate import upgrade

    from kultialogo.extensions import db
    app = make_app(database_url, data_dir)
    with app.app_context():
        upgrade()
        tokens = prepare_cast(args.phones)
        db.session.remove()
    total = args.phones * args.records
    acked = [0]
    changed = threading.Condition()

    def on_ack(n):
        with changed:
            acked[0] += n
            changed.notify_all()

    with LiveServer(database_url, data_dir, threads=args.server_threads, extra_env=SERVER_ENV,
                    start_timeout=START_TIMEOUT_S) as server, \
            FaultProxy(server.url, seed=args.seed, **FAULTS) as proxy:
        phones = [Phone(proxy.url, token, make_records(n, args.records), batch=args.batch, seed=args.seed + n,
                        on_ack=on_ack, pull_every=5) for n, token in enumerate(tokens)]
        started = time.perf_counter()
        pushing = threading.Thread(target=run_phones, args=(phones,))
        pushing.start()
        kills, down = 0, 0.0
        step = total // (args.kills + 2)
        for kill in range(args.kills):
            with changed:
                if not changed.wait_for(lambda: acked[0] >= (kill + 1) * step, 600):
                    break
            server.kill9()
            restarted = time.perf_counter()
            server.restart()
            down += time.perf_counter() - restarted
            kills += 1
        pushing.join()
        elapsed = time.perf_counter() - started
        stats = dict(proxy.stats)
    totals = check_phones(phones)
    check_pulls(phones)
    with app.app_context():
        report = count_in_database([i for p in phones for i in p.items])
        db.engine.dispose()
    print(f"{name}: {total} records from {args.phones} phones in {elapsed:.1f} s "
          f"({total / elapsed:.0f} records/s, {kills} kill -9 with {down:.1f} s spent restarting)", flush=True)
    for kind in KINDS:
        row = report[kind]
        print(f"{name}   {kind:<13} made {row['made']:>5}  stored {row['rows']:>5}  missing {row['missing']}  "
              f"extra {row['extra']}  same text twice {row['same_text_twice']}", flush=True)
    print(f"{name}   proxy: {stats['requests']} requests; dropped {stats['dropped']}, cut after the server "
          f"acted {stats['cut']}, duplicated {stats['duplicated']}, reordered {stats['reordered']}, delayed "
          f"{stats['delayed']}, 502 injected {stats['errors_502']}, 502 while the server was down "
          f"{stats['upstream_errors']}", flush=True)
    print(f"{name}   phones: {totals['requests']} requests, retried {totals['retried']}; "
          f"'created' answers {totals['created_answers']} of {total} (the rest answered 'unchanged' after a "
          f"lost answer), 'created' twice for one id: 0; every cursor delivered every record it may see", flush=True)
    assert_exactly_once(report)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--records", type=int, default=500, help="records per phone (default 500: 10,000 in all)")
    parser.add_argument("--kills", type=int, default=5, help="kill -9 of the server during the run (default 5)")
    parser.add_argument("--batch", type=int, default=20, help="items per push (default 20)")
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    with tempfile.TemporaryDirectory(prefix="kultialogo-faults-") as tmp:
        tmp = Path(tmp)
        if "sqlite" in wanted:
            folder = tmp / "sqlite"
            folder.mkdir()
            run_one("sqlite", f"sqlite:///{folder / 'faults.sqlite3'}", folder, args)
        if "postgresql" in wanted:
            folder = tmp / "postgresql"
            folder.mkdir()
            with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_faults") as pg:
                run_one("postgresql", pg.url, folder, args)


if __name__ == "__main__":
    main()
