"""Memory soak: the server's resident memory under a minute of ~100 phones at full load.

    python bench/memory_soak.py [--phones 100] [--seconds 60] [--threads 8] [--cpu 0]
                                [--env NAME=VALUE ...]

Loads the demo content (``kultialogo demo``) into a fresh SQLite database, then starts
``kultialogo run`` on it as a subprocess (pinned to one CPU,
as on a Raspberry Pi under load; this client runs on the others), then has ``--phones``
simulated phones each loop for ``--seconds`` without pause over what a phone does: the feed
``/`` (signed out), a story page, a pull (bearer token) and a push of one to three new stories.
It prints the server's RSS from /proc at the start (after the first requests), its peak and at
the end, and the requests served per kind with their median and p95.

``--tracemalloc`` traces the server's Python allocations from the start of the soak and prints
the 15 source lines holding the most memory allocated since (slow: for finding what grows, not
for the figures). ``--env`` passes settings to the server, e.g. ``--env KULTIALOGO_MALLOC_ARENAS=0`` for glibc's
default of one malloc arena per thread (the run command bounds them otherwise).
``--code main`` measures the app of another git revision (before and after).
The camp target is 128 MiB on a Raspberry Pi.
"""
import argparse
import os
import random
import re
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

from bench._server import free_port, rerun_with_code  # noqa: E402
from kultialogo.sync.service import PROTOCOL_VERSION as PROTOCOL  # noqa: E402  (as the shell pushes)

DEMO_PASSWORD = "kultialogo-demo"
WRITERS = (("amina", "siena"), ("oksana", "belgrade"), ("daniel", "utrecht"))


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# The server with tracemalloc on call: the first SIGUSR1 starts tracing (after start-up, which
# traced would take minutes), the second writes a snapshot of what was allocated since and is
# still alive: what grew. Signal handlers run in the main thread, waitress's event loop.
TRACED = """
import os, signal, sys, tracemalloc
def on_signal(*_):
    if not tracemalloc.is_tracing():
        tracemalloc.start(6)
        return
    tracemalloc.take_snapshot().dump(os.path.join(os.environ["SOAK_SNAPSHOTS"], "snapshot.bin"))
signal.signal(signal.SIGUSR1, on_signal)
from kultialogo.cli import main
sys.argv = ["kultialogo", *sys.argv[1:]]
main()
"""


def start_server(data_dir: Path, port: int, threads: int, cpu: int | None, env_extra: dict,
                 traced: bool = False) -> subprocess.Popen:
    env = {**os.environ, "KULTIALOGO_DATA_DIR": str(data_dir), "KULTIALOGO_SECRET_KEY": "soak-secret-key",
           "DATABASE_URL": f"sqlite:///{data_dir / 'soak.sqlite3'}",
           # One token pushes far more often than a phone would; the soak is about memory.
           "KULTIALOGO_PUSH_RATE_LIMIT_PER_MINUTE": "1000000", "KULTIALOGO_SIGNIN_RATE_LIMIT": "1000 per minute",
           **env_extra}
    log = open(data_dir / "server.log", "wb")
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    env["SOAK_SNAPSHOTS"] = str(data_dir)
    launcher = ["-c", TRACED] if traced else ["-m", "kultialogo.cli"]
    # The demo content is loaded by its own process first, as an operator's data would already
    # be there: loaded inside the server (run --demo) it left ~35 MiB of Pillow, PyAV and demo
    # objects in the measured process that a camp node never carries.
    seed = subprocess.run([sys.executable, "-m", "kultialogo.cli", "demo"], env=env, stdout=log,
                          stderr=subprocess.STDOUT)
    if seed.returncode != 0:
        raise SystemExit(f"demo content failed: {(data_dir / 'server.log').read_text(errors='replace')}")
    proc = subprocess.Popen([sys.executable, *launcher, "run", "--host", "127.0.0.1",
                             "--port", str(port), "--threads", str(threads)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(data_dir / 'server.log').read_text(errors='replace')}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # waiting for the server to come up
    proc.kill()
    raise SystemExit("server did not start")


def story_item(community: str) -> dict:
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": {
        "title": f"Soak story {random.randrange(10**6)}",
        "body": "We met at the market and talked about the new school. " * random.randint(1, 6),
        "language": random.choice(["en", "it", "ar", "uk", "nl"]), "community": community,
        "visibility": random.choice(["public", "community"]), "author_display": "pseudonym",
        "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": []}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (the run command's default)")
    parser.add_argument("--cpu", type=int, default=0, help="CPU the server is pinned to (-1: not pinned)")
    parser.add_argument("--tracemalloc", action="store_true", help="print what grew (Python allocations)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    parser.add_argument("--code", default="", help="a git revision whose app to measure (default: this checkout)")
    args = parser.parse_args()
    if args.code:
        rerun_with_code(args.code)
    env_extra = dict(item.split("=", 1) for item in args.env)
    cpu = None if args.cpu < 0 else args.cpu
    if cpu is not None and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, os.sched_getaffinity(0) - {cpu})  # the phones run elsewhere

    with tempfile.TemporaryDirectory(prefix="kultialogo-soak-") as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(Path(tmp), port, args.threads, cpu, env_extra, args.tracemalloc)
        try:
            run(proc, base, args, Path(tmp))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def snapshot(proc: subprocess.Popen, folder: Path):
    """The tracemalloc snapshot the server writes on SIGUSR1 (see TRACED)."""
    import signal
    import tracemalloc
    proc.send_signal(signal.SIGUSR1)
    path = folder / "snapshot.bin"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if path.exists():
            size = -1
            while size != path.stat().st_size:  # still being written
                size = path.stat().st_size
                time.sleep(0.5)
            return tracemalloc.Snapshot.load(str(path))
        time.sleep(0.2)
    raise SystemExit("no tracemalloc snapshot")


def run(proc: subprocess.Popen, base: str, args, folder: Path) -> None:
    fresh_rss = rss_mib(proc.pid)
    tokens = []
    for username, community in WRITERS:
        response = requests.post(base + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        response.raise_for_status()
        tokens.append((response.json()["token"], community))
    feed = requests.get(base + "/").text
    pages = sorted(set(re.findall(r'href="(/stories/[0-9a-f-]{36})', feed)))
    if not pages:
        raise SystemExit("no story pages on the feed")
    started_rss = rss_mib(proc.pid)
    samples = [started_rss]
    if args.tracemalloc:
        proc.send_signal(__import__("signal").SIGUSR1)  # start tracing now
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            samples.append(rss_mib(proc.pid))

    timings: dict[str, list[float]] = {"feed": [], "story": [], "pull": [], "push": []}
    errors: list[str] = []
    lock = threading.Lock()

    def phone(n: int):
        session = requests.Session()
        token, community = tokens[n % len(tokens)]
        auth = {"Authorization": f"Bearer {token}"}
        rng = random.Random(n)
        while not stop.is_set():
            kind = rng.choices(("feed", "story", "pull", "push"), weights=(4, 3, 2, 1))[0]
            begun = time.perf_counter()
            try:
                if kind == "feed":
                    response = session.get(base + "/", headers={"Accept-Language": rng.choice(["en", "ar", "it"])})
                elif kind == "story":
                    response = session.get(base + rng.choice(pages))
                elif kind == "pull":
                    response = session.get(base + "/api/v1/sync/pull", params={"limit": 50}, headers=auth)
                else:
                    items = [story_item(community) for _ in range(rng.randint(1, 3))]
                    response = session.post(base + "/api/v1/sync/push", json={"items": items, "protocol": PROTOCOL}, headers=auth)
            except requests.RequestException as exc:
                with lock:
                    errors.append(f"{kind}: {exc.__class__.__name__}")
                continue
            elapsed = time.perf_counter() - begun
            with lock:
                if response.status_code >= 400:
                    errors.append(f"{kind}: {response.status_code}")
                else:
                    timings[kind].append(elapsed)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    phones = [threading.Thread(target=phone, args=(n,), daemon=True) for n in range(args.phones)]
    for thread in phones:
        thread.start()
    stop.wait(args.seconds)
    stop.set()
    for thread in phones:
        thread.join(30)
    end_rss = rss_mib(proc.pid)
    samples.append(end_rss)
    grown = snapshot(proc, folder) if args.tracemalloc else None
    served = sum(len(v) for v in timings.values())
    print(f"{args.phones} phones for {args.seconds:g} s, waitress threads {args.threads}, server on "
          f"{'CPU ' + str(args.cpu) if args.cpu >= 0 else 'any CPU'}"
          + (f", env {' '.join(args.env)}" if args.env else ""))
    print(f"RSS when up {fresh_rss:.1f} MiB; after the first requests (start) {started_rss:.1f} MiB")
    print(f"RSS start {started_rss:.1f} MiB   peak {max(samples):.1f} MiB   end {end_rss:.1f} MiB")
    print(f"served {served} requests ({served / args.seconds:.0f}/s), {len(errors)} errors"
          + (f" (first: {errors[0]})" if errors else ""))
    for kind, values in timings.items():
        if values:
            values.sort()
            print(f"  {kind:<6} {len(values):6d}   median {statistics.median(values) * 1000:7.1f} ms   "
                  f"p95 {values[int(len(values) * 0.95) - 1] * 1000:7.1f} ms")

    if grown is not None:
        stats = grown.statistics("lineno")
        print(f"Python allocations made during the soak and still alive: "
              f"{sum(s.size for s in stats) / 1048576:.1f} MiB; the largest:")
        for stat in stats[:15]:
            print(f"  {stat.size / 1024:9.0f} KiB  {stat.count:7d} blocks  {stat.traceback}")

if __name__ == "__main__":
    main()
