"""CPU per push, measured push by push in lockstep: a before and after that the shared
machine's noise does not decide.

    python bench/push_cpu.py [--db sqlite,postgresql] [--batches 300] [--code PATH ...] [--ids v7]

bench/ingest.py's rate swings by up to 1.5x between runs of the same code on this machine, and
so does its CPU per batch; even one thread's CPU time for the same push doubles when a
neighbour is busy. Here each checkout's app (``--code PATH``, repeatable; without it, the
installed kultialogo) runs in a child process of its own, on a database of its own, and answers
the same pushes (batches of 100 new stories, bench/ingest.py's bodies) through Flask's test
client. The children take turns, one push each, in an order that rotates every round, so a
busy second of the machine falls on all of them alike. Each push's CPU time
(time.process_time) is what the app spent on it: the limiter, the token, parsing and checking,
the writes, the answer. Not in it: HTTP parsing and the socket (gunicorn's share), and the
database server's own CPU.

Printed per database and checkout: the median, mean and 90th percentile over ``--batches``
pushes after ``--warmup`` ones, and, from the second checkout on, the median of its per-round
ratio to the first (``--code ../base --code .``: below 1.00 is faster). ``--ids v4`` sends random
ids instead of time-first ones (bench/ingest.py). Never asserted; the targets are ingest.py's (#18).
"""
import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import PG_ADMIN_URL, ScratchPostgres  # noqa: E402
from bench.ingest import BATCH, code_env  # noqa: E402


def child(database_url: str, data_dir: str, count: int, ids: str) -> None:
    """Serve pushes on request: one line "push" in, the push's CPU seconds out (or "error ...")."""
    # The answers go on a copy of stdout; anything else printed (migrations, logs) to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    from bench.ingest import bodies_for, prepare
    token = prepare(database_url, Path(data_dir))
    from kultialogo import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": data_dir, "SECRET_KEY": "bench",
                      "PUSH_RATE_LIMIT_PER_MINUTE": 1_000_000})
    # As a gunicorn worker starts (server/wsgi.py): start-up's objects frozen. Its collector
    # thread (3.11) is left out: it would collect while this child waits for its turn, out of
    # the pushes' measured time; collections stay automatic, inside the push that makes them due.
    gc.collect()
    gc.freeze()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = iter(bodies_for(count * BATCH, ids))
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        if line.strip() != "push":
            return
        body = next(bodies)
        started = time.process_time()
        response = client.post("/api/v1/sync/push", data=body, headers=headers)
        spent = time.process_time() - started
        if response.status_code != 200:
            out.write(f"error {response.status_code} {response.get_data(as_text=True)[:200]!r}\n")
        else:
            out.write(f"{spent!r}\n")
        out.flush()


class Child:
    def __init__(self, code: str | None, database_url: str, data_dir: Path, count: int, shims: Path, ids: str):
        self.label = code or "installed"
        env = {**os.environ, **code_env(code, shims)}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child", json.dumps([database_url, str(data_dir), count, ids])],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.samples: list[float] = []

    def wait_ready(self) -> None:
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"{self.label}: the child did not start ({line!r})")

    def push(self) -> float:
        self.process.stdin.write("push\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()
        if not line or line.startswith("error"):
            raise SystemExit(f"{self.label}: {line or 'the child ended'}")
        return float(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


def run(database: str, codes: list, args, shims: Path, tmp: Path) -> None:
    count = args.warmup + args.batches
    with ExitStack() as stack:
        children = []
        for code in codes:
            folder = tmp / f"{database}-{uuid.uuid4().hex[:6]}"
            folder.mkdir()
            if database == "sqlite":
                url = f"sqlite:///{folder / 'bench.sqlite3'}"
            else:
                url = stack.enter_context(ScratchPostgres(args.pg_admin_url, prefix="kultialogo_pushcpu")).url
            child_ = Child(code, url, folder, count, shims, args.ids)
            stack.callback(child_.close)
            children.append(child_)
        for child_ in children:
            child_.wait_ready()
        for round_ in range(count):
            shift = round_ % len(children)
            for child_ in children[shift:] + children[:shift]:
                spent = child_.push()
                if round_ >= args.warmup:
                    child_.samples.append(spent)
    first = children[0].samples
    for child_ in children:
        ms = sorted(s * 1000 for s in child_.samples)
        line = (f"[{child_.label}] {database} CPU per push of {BATCH}: median {statistics.median(ms):.2f} ms, "
                f"mean {statistics.fmean(ms):.2f} ms, p90 {ms[int(len(ms) * 0.9)]:.2f} ms")
        if child_ is not children[0]:
            ratio = statistics.median(b / a for a, b in zip(first, child_.samples))
            line += f"; {ratio:.3f}x of [{children[0].label}] round by round"
        print(line + f" ({len(ms)} pushes after {args.warmup}, {args.ids} ids, in lockstep)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--batches", type=int, default=300, help="pushes measured per checkout (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="pushes first, not measured (default 30)")
    parser.add_argument("--code", action="append", metavar="PATH", help="a checkout whose app to measure (repeatable)")
    parser.add_argument("--ids", default="v7", choices=("v7", "v4"), help="how the stories' ids are made (ingest.py)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*json.loads(args.child))
        return
    codes = args.code or [None]
    with tempfile.TemporaryDirectory(prefix="kultialogo-pushcpu-") as tmp:
        for database in (d.strip() for d in args.db.split(",") if d.strip()):
            run(database, codes, args, Path(tmp), Path(tmp))


if __name__ == "__main__":
    main()
