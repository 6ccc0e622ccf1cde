"""Hot paths benchmark: CPU per request and throughput of the sync hot paths, next to a floor.

    python bench/hotpaths.py [--stories 1000] [--clients 50] [--seconds 5] [--database sqlite|postgresql]
    python bench/hotpaths.py --code main          # the same, with the app of another git revision

One ``kultialogo run`` process (waitress, as an operator starts it) pinned to CPU 0 (as
``taskset -c 0``), and in the same run a hello-world Flask page on waitress, also on CPU 0, as
the floor; the load comes from this process on CPU 1: ``--clients`` keep-alive connections,
each sending its next request as soon as the last answer arrived, for ``--seconds`` per line
(bounded in time and count; loopback only).

For each hot path it prints the server process's CPU time per request (utime + stime from
/proc/<pid>/stat over the run, divided by the requests answered), requests per second and the
p95 latency, then the same for the floor and the ratio:

- pull of 50: ``GET /api/v1/sync/pull?limit=50`` with a bearer token, from the start (a full page);
- empty delta: the same pull with the cursor of the end (nothing new since it);
- ``/healthz``;
- the feed page ``/``, signed in.

Targets (issue #18): a pull of 50 ≤ 2 ms of CPU, an empty delta ≤ 0.5 ms, /healthz within 2×
of the floor. Printed, never asserted.

The stories are seeded in plain SQL (bench/feed_scale.py), so ``--code REV`` measures another
version of the app on the same data for a before and after.
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import (PG_ADMIN_URL, LiveServer, ScratchPostgres, cpu_seconds, free_port,  # noqa: E402
                           rerun_with_code)
from bench.feed_scale import PASSWORD, prepare, sign_in  # noqa: E402

SERVER_CPU = 0
LOAD_CPU = 1
PY_SPY = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}") \
    or "py-spy"
MAX_REQUESTS = 200_000  # per line, whatever the time: the loop is bounded in count too

HELLO = textwrap.dedent("""
    import sys
    import waitress
    from flask import Flask
    app = Flask("hello")

    @app.get("/")
    def hello():
        return "Hello, world!"

    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), _quiet=True)
""")


async def _client(host, port, request: bytes, deadline: float, latencies: list, counter: list, errors: list):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and counter[0] < MAX_REQUESTS:
            counter[0] += 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = head.decode("latin-1").lower()
            length = re.search(r"\ncontent-length: *(\d+)", headers)
            if length:
                await reader.readexactly(int(length.group(1)))
            elif "transfer-encoding: chunked" in headers:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
            if "connection: close" in headers:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def raw_get(url: str, headers: dict) -> tuple[str, int, bytes]:
    """Host, port and the bytes of a keep-alive GET of ``url`` with ``headers``, sent as is."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    return parts.hostname, parts.port, ("\r\n".join(lines) + "\r\n\r\n").encode()


def p95_of(latencies: list[float]) -> float:
    """The 95th percentile of ``latencies`` (sorted here), NaN for none."""
    latencies.sort()
    return latencies[max(int(len(latencies) * 0.95) - 1, 0)] if latencies else float("nan")


def load(url: str, headers: dict, clients: int, seconds: float) -> tuple[int, float, float, list]:
    """Requests answered, their wall time, the p95 latency (s), and any non-200 statuses."""
    host, port, request = raw_get(url, headers)
    latencies, counter, errors = [], [0], []

    async def run():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(host, port, request, deadline, latencies, counter, errors)
                               for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    wall = time.perf_counter() - started
    return len(latencies), wall, p95_of(latencies), errors


def measure(pid: int, url: str, headers: dict, clients: int, seconds: float, profile: Path | None = None) -> dict:
    load(url, headers, clients, min(1.0, seconds))  # warm: connections, caches, prepared statements
    spy = None
    if profile is not None:  # py-spy (a tool, not a dependency) samples the server under this load
        spy = subprocess.Popen([PY_SPY, "record", "--pid", str(pid), "--gil", "--format", "raw", "--rate", "250",
                                "--duration", str(max(1, int(seconds))), "--output", str(profile)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = cpu_seconds(pid)
    count, wall, p95, errors = load(url, headers, clients, seconds)
    cpu = cpu_seconds(pid) - before
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # the load is over: py-spy writes what it sampled and ends
        spy.wait(300)
        print(f"  {url.split('/', 3)[-1]} under py-spy:\n{top_functions(profile)}", flush=True)
    if errors:
        raise SystemExit(f"{url}: {len(errors)} answers were not 200 (first: {errors[0]})")
    return {"cpu_ms": cpu / count * 1000, "rps": count / wall, "p95_ms": p95 * 1000, "count": count}


def top_functions(collapsed: Path, count: int = 12) -> str:
    """The functions with the most samples under them (a frame counted once per stack), from
    py-spy's collapsed stacks, as a share of all GIL-holding samples."""
    if not collapsed.exists():
        return "    (py-spy wrote nothing: is it installed, and may it trace this process?)"
    inclusive, own, total = {}, {}, 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        samples = int(samples)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]  # a function, not a line
        for frame in set(frames[1:]):  # [0] is the thread
            inclusive[frame] = inclusive.get(frame, 0) + samples
        own[frames[-1]] = own.get(frames[-1], 0) + samples
    lines = [f"    py-spy, {total} samples holding the GIL; most time under (inclusive):"]
    skip = re.compile(r"waitress|threading|wsgi_app|full_dispatch|dispatch_request|__call__|_bootstrap|run \(|"
                      r"click|runpy|cli\.py|<module>")
    ranked = [(n, f) for f, n in inclusive.items() if not skip.search(f)]
    for samples, frame in sorted(ranked, reverse=True)[:count]:
        lines.append(f"    {samples / total:6.1%}  {frame}")
    lines.append("    most time in itself (self):")
    for samples, frame in sorted(((n, f) for f, n in own.items()), reverse=True)[:8]:
        lines.append(f"    {samples / total:6.1%}  {frame}")
    return "\n".join(lines)


def start_hello(threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", HELLO, str(port), str(threads)], stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CPU}))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded machine is slow, not broken
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/", timeout=1).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.05)  # polling a server to come up
    proc.kill()
    raise SystemExit("the hello-world server did not start")


def run(database_url: str, data_dir: Path, args) -> list:
    prepare(database_url, data_dir, args.stories)
    os.sched_setaffinity(0, {LOAD_CPU})  # the load generator's core; the servers get the other
    hello, hello_url = start_hello(args.threads)
    rows = []
    try:
        with LiveServer(database_url, data_dir, threads=args.threads, cpus={SERVER_CPU}, start_timeout=180) as server:
            token = requests.post(server.url + "/api/v1/auth/token",
                                  json={"username": "reader", "password": PASSWORD}).json()["token"]
            auth = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            full = requests.get(server.url + "/api/v1/sync/pull?limit=50", headers=auth).json()
            if len(full["items"]) != 50:
                raise SystemExit(f"the pull of 50 brought {len(full['items'])} items")
            cursor = ""
            while True:  # page to the end: the cursor of "nothing new"
                page = requests.get(server.url + f"/api/v1/sync/pull?limit=500&cursor={cursor}",
                                    headers=auth).json()
                cursor = page["cursor"]
                if not page["more"]:
                    break
            empty = requests.get(server.url + f"/api/v1/sync/pull?limit=50&cursor={cursor}", headers=auth).json()
            if empty["items"]:
                raise SystemExit("the empty delta is not empty")
            member = sign_in(server.url)
            cookie = "; ".join(f"{c.name}={c.value}" for c in member.cookies)
            paths = (("pull of 50", "/api/v1/sync/pull?limit=50", auth),
                     ("empty delta", f"/api/v1/sync/pull?limit=50&cursor={cursor}", auth),
                     ("/healthz", "/healthz", {}),
                     ("feed page /", "/", {"Cookie": cookie, "Accept-Language": "en"}))
            floor = measure(hello.pid, hello_url + "/", {}, args.clients, args.seconds)
            print(f"floor (hello world): {floor['cpu_ms']:.3f} ms CPU/request, {floor['rps']:,.0f}/s, "
                  f"p95 {floor['p95_ms']:.1f} ms", flush=True)
            for label, path, headers in paths:
                profile = None
                if args.py_spy:
                    Path(args.py_spy).mkdir(parents=True, exist_ok=True)
                    profile = Path(args.py_spy) / (re.sub(r"\W+", "-", label).strip("-") + ".txt")
                result = measure(server.pid, server.url + path, headers, args.clients, args.seconds, profile)
                rows.append((label, result))
                print(f"  {label:<12} {result['cpu_ms']:.3f} ms CPU/request, {result['rps']:,.0f}/s, "
                      f"p95 {result['p95_ms']:.1f} ms ({result['count']:,} requests)", flush=True)
    finally:
        hello.terminate()
        hello.wait(10)
    return floor, rows


TARGETS = {"pull of 50": "≤ 2 ms CPU", "empty delta": "≤ 0.5 ms CPU", "/healthz": "≤ 2× floor"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=1000, help="stories seeded (default 1000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of load per line (default 5)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (default 8, as `run`)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL used to create scratch dbs")
    parser.add_argument("--code", default="", help="a git revision whose app to measure (default: this checkout)")
    parser.add_argument("--py-spy", metavar="DIR", help="profile each line with py-spy (pip install py-spy): "
                        "collapsed stacks into DIR, top functions printed")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.code:
        rerun_with_code(args.code)
    if len(os.sched_getaffinity(0) | {SERVER_CPU, LOAD_CPU}) > len(os.sched_getaffinity(0)):
        raise SystemExit(f"needs CPUs {SERVER_CPU} and {LOAD_CPU}")
    with tempfile.TemporaryDirectory(prefix="kultialogo-hot-") as tmp:
        print(f"{args.database}, {args.stories:,} stories, {args.clients} clients, server on CPU {SERVER_CPU}, "
              f"load on CPU {LOAD_CPU}:", flush=True)
        if args.database == "sqlite":
            floor, rows = run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp), args)
        else:
            with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_hot") as pg:
                floor, rows = run(pg.url, Path(tmp), args)
    print(f"\n{'path':<12} {'CPU ms/req':>10} {'floor':>7} {'ratio':>6}   {'req/s':>7} {'floor':>7} {'ratio':>6}   "
          f"{'p95 ms':>7} {'floor':>6}   target")
    for label, r in rows:
        print(f"{label:<12} {r['cpu_ms']:>10.3f} {floor['cpu_ms']:>7.3f} {r['cpu_ms'] / floor['cpu_ms']:>5.1f}×   "
              f"{r['rps']:>7,.0f} {floor['rps']:>7,.0f} {floor['rps'] / r['rps']:>5.1f}×   "
              f"{r['p95_ms']:>7.1f} {floor['p95_ms']:>6.1f}   {TARGETS.get(label, '')}")
    if args.json:
        Path(args.json).write_text(json.dumps({"floor": floor, "paths": dict(rows)}, indent=1))


if __name__ == "__main__":
    main()
