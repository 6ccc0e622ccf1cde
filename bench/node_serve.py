"""A camp node on one core: 100 phones reading and writing through the plain pages (no JS).

    python bench/node_serve.py [--phones 100] [--seconds 60] [--threads 8] [--think 3]
                               [--ramp 20] [--procs 4] [--write-share 0.1]

The issue's target (#15): "A node is a Raspberry Pi-class machine: one core, 1 GB. The node
process serves 100 phones at once with plain pages at p95 <= 250 ms and stays at or under
128 MiB resident."

A fresh SQLite data folder gets the demo content (``kultialogo demo``'s load_demo) and one
participant account per phone (the demo's password and its production-cost argon2 hash),
spread over the three demo communities. ``kultialogo run`` then serves it, pinned to CPU 0
(as ``taskset -c 0``) with the production password hashing. The phones run in ``--procs``
processes of threads, one requests.Session each, pinned to the other CPUs; each phone connects
from an address of its own (127.0.x.y, as phones on a camp's Wi-Fi would), so the sign-in
limits per address apply to it alone.

Each phone, starting at a random moment within ``--ramp`` seconds, fetches the sign-in page and
its stylesheets, and signs in through the form (CSRF token from the page). Once every phone is
in, for ``--seconds``, each loops: the feed ``/``, one of the stories it links to, and with
``--write-share`` probability the write page and a new story posted through its form (then the
story's page the redirect leads to). Between two pages a phone waits a random time, exponential
with mean ``--think`` seconds (a person reading; 0: no pause, the node's capacity); the first
page comes after a uniform wait of up to twice that, since 100 phones released at one instant
would be a burst (a 2 s queue) that no camp produces.

Printed: per kind of request the count, errors, p50/p95/p99; the p95 of all pages next to the
target, and per 5 s of the run (warm-up, drift); sign-in times; the server's RSS (VmRSS) when up, its peak (VmHWM) during sign-in and,
separately, while browsing (the peak is reset in between), and at the end, next to 128 MiB;
the CPU used by the server and by the phones, to show which side was the bottleneck, and by
other processes on the server's CPU (on a shared machine they lengthen the tail).

The figures are for this machine's CPU: a Raspberry Pi's core runs Python several times slower,
so read the server's CPU per request (its CPU share x seconds / requests) against that.
"""
import argparse
import html.parser
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import LiveServer, cpu_seconds  # noqa: E402

TARGET_P95_MS = 250
TARGET_RSS_MIB = 128
SERVER_CPU = 0
PASSWORD = "kultialogo-demo"  # kultialogo.demo.DEMO_PASSWORD (imported there only for the set-up)
COMMUNITIES = ("siena", "belgrade", "utrecht")
LANGUAGES = ("en", "ar", "it", "uk", "fa", "nl", "sr-Latn", "fr")
PAGE_KINDS = ("feed", "story", "write_form", "write_post")
STORY_LINK = re.compile(r'href="(/stories/[0-9a-f-]{36})"')


# --- set-up ------------------------------------------------------------------------------

def prepare(folder: Path, phones: int) -> str:
    """The demo content and one participant per phone in a fresh SQLite database; its URL."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from kultialogo import create_app
    from kultialogo.accounts.models import ROLE_PARTICIPANT, Account, Membership
    from kultialogo.communities.models import Community
    from kultialogo.database import write_transaction
    from kultialogo.demo import DEMO_PASSWORD, load_demo
    from kultialogo.extensions import db
    assert DEMO_PASSWORD == PASSWORD
    from kultialogo.nodes.cli import NODE_PASSWORD
    url = f"sqlite:///{folder / 'node.sqlite3'}"
    # The phones' people joined at the camp: their passwords were hashed by the node, with its
    # settings (a facilitator's hash from central costs 64 MiB once, at their first sign-in).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(folder), "SECRET_KEY": "bench",
                      **NODE_PASSWORD})
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's line per migration
        upgrade()
        logging.disable(logging.NOTSET)
        load_demo()
        with write_transaction():
            from kultialogo.accounts.auth import hash_password
            demo_hash = hash_password(PASSWORD)
            communities = {c.slug: c.id for c in db.session.scalars(select(Community))}
            for n in range(phones):
                account = Account(username=phone_name(n), display_name=f"Phone {n}", password_hash=demo_hash)
                account.memberships.append(Membership(community_id=communities[COMMUNITIES[n % 3]],
                                                      role=ROLE_PARTICIPANT))
                db.session.add(account)
        db.session.remove()
        db.engine.dispose()
    return url


def phone_name(n: int) -> str:
    return f"phone{n:03d}"


def phone_address(n: int) -> str:
    return f"127.0.{1 + n // 200}.{10 + n % 200}"


# --- a phone -----------------------------------------------------------------------------

class FormFields(html.parser.HTMLParser):
    """The fields a browser would send from the first form that ``wanted(attrs)`` picks:
    hidden and text inputs, checked radios and boxes, selects' chosen options, textareas,
    and file inputs (sent empty, as a browser does when no file is chosen)."""

    def __init__(self, wanted):
        super().__init__()
        self.wanted = wanted
        self.inside = self.done = False
        self.fields: list[tuple[str, str]] = []
        self.files: list[str] = []
        self.select: str | None = None
        self.select_value: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done and not self.inside and self.wanted(attrs):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "file":
                self.files.append(name)
            elif kind in ("radio", "checkbox"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select, self.select_value = name, None
        elif tag == "option" and self.select is not None:
            if self.select_value is None or "selected" in attrs:
                self.select_value = attrs.get("value", "")
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select" and self.select is not None:
            self.fields.append((self.select, self.select_value or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields(page: str, wanted) -> tuple[dict, list[str]]:
    parser = FormFields(wanted)
    parser.feed(page)
    if not parser.done:
        raise LookupError("form not found on the page")
    return dict(parser.fields), parser.files


class SourceAddress(requests.adapters.HTTPAdapter):
    """Connections from one local address: each phone is a client of its own to the server."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(pool_connections=1, pool_maxsize=1)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Phone:
    def __init__(self, n: int, base: str, args, record):
        self.n, self.base, self.args, self.record = n, base, args, record
        self.rng = random.Random(n)
        self.session = requests.Session()
        self.session.mount("http://", SourceAddress(phone_address(n)))
        self.session.headers.update({
            "Accept-Language": LANGUAGES[n % len(LANGUAGES)], "Accept-Encoding": "gzip, deflate, br",
            "User-Agent": "Mozilla/5.0 (Linux; Android 10; K) node_serve bench",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        self.stories: list[str] = []

    def request(self, kind: str, method: str, path: str, expect: int = 200, **kwargs):
        begun = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, allow_redirects=False, timeout=120, **kwargs)
        except requests.RequestException as exc:
            self.record(kind, time.perf_counter() - begun, exc.__class__.__name__)
            return None
        elapsed = time.perf_counter() - begun
        self.record(kind, elapsed, None if response.status_code == expect else str(response.status_code))
        return response if response.status_code == expect else None

    def sign_in(self) -> bool:
        page = self.request("signin_form", "GET", "/signin")
        if page is None:
            return False
        for sheet in sorted(set(re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page.text))):
            self.request("static", "GET", sheet)  # once: a browser keeps it afterwards
        fields, _ = form_fields(page.text, lambda attrs: attrs.get("method", "").lower() == "post"
                                and "narrow" in attrs.get("class", ""))
        fields.update(username=phone_name(self.n), password=PASSWORD)
        return self.request("signin", "POST", "/signin", expect=302, data=fields) is not None

    def think(self, stop) -> bool:
        """Wait as a reader would; False once the run is over."""
        if self.args.think > 0:
            return not stop.wait(self.rng.expovariate(1 / self.args.think))
        return not stop.is_set()

    def browse(self, stop) -> None:
        # Phones signed in at different moments; starting all at once would be a burst no camp sees.
        if stop.wait(self.rng.uniform(0, 2 * self.args.think)):
            return
        while True:
            feed = self.request("feed", "GET", "/")
            if feed is not None:
                self.stories = STORY_LINK.findall(feed.text) or self.stories
            if not self.think(stop):
                return
            if self.stories:
                self.request("story", "GET", self.rng.choice(self.stories))
                if not self.think(stop):
                    return
            if self.rng.random() < self.args.write_share:
                if not self.write(stop):
                    return

    def write(self, stop) -> bool:
        page = self.request("write_form", "GET", "/write")
        if page is None:
            return self.think(stop)
        fields, files = form_fields(page.text, lambda attrs: attrs.get("id") == "compose")
        if not self.think(stop):  # writing takes a while too
            return False
        fields.update(title=f"Phone {self.n}: an evening at the camp {self.rng.randrange(10**6)}",
                      body="We cooked together and talked about the towns we came from. " * self.rng.randint(1, 8))
        empty = {name: ("", b"", "application/octet-stream") for name in files}
        posted = self.request("write_post", "POST", "/write", expect=302, data=fields, files=empty)
        if posted is not None and posted.headers.get("Location", "").startswith(("/stories/", self.base)):
            self.request("story", "GET", posted.headers["Location"].removeprefix(self.base))
        return self.think(stop)


def phones_process(numbers: list[int], base: str, args, cpus, ready, go, stop, results) -> None:
    """A load-generator process: a thread per phone; the timings go back through ``results``."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    lock = threading.Lock()
    signin: list[tuple[str, float, str | None, float]] = []
    pages: list[tuple[str, float, str | None, float]] = []

    def phone(n: int) -> None:
        def record(kind, seconds, error):
            with lock:  # the wall clock, comparable across processes, says when in the run it was
                (pages if go.is_set() else signin).append((kind, seconds, error, time.time()))

        device = Phone(n, base, args, record)
        try:
            if stop.wait(device.rng.uniform(0, args.ramp)):
                return
            signed_in = device.sign_in()
            ready.put(signed_in)
            if signed_in:
                go.wait()
                device.browse(stop)
        finally:
            device.session.close()

    threads = [threading.Thread(target=phone, args=(n,), daemon=True) for n in numbers]
    for thread in threads:
        thread.start()
    go.wait()
    begun = os.times()
    stop.wait()
    for thread in threads:
        thread.join(150)
    used = os.times()
    results.put({"signin": signin, "pages": pages, "cpu": used.user + used.system - begun.user - begun.system})


# --- the run -----------------------------------------------------------------------------

def cpu_busy_seconds(cpu: int) -> float:
    """Time CPU ``cpu`` spent on any work (/proc/stat), to tell the server's share from others'."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            ticks = [int(v) for v in line.split()[1:]]
            return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait
    return float("nan")


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(rows: list[tuple[str, float, str | None, float]], kinds) -> list[float]:
    every = []
    print(f"  {'request':<12} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in kinds:
        ok = [s * 1000 for k, s, e, _ in rows if k == kind and e is None]
        failed = sum(1 for k, _, e, _ in rows if k == kind and e is not None)
        if not ok and not failed:
            continue
        every += ok
        print(f"  {kind:<12} {len(ok):>6} {failed:>6} {percentile(ok, 50):>8.0f} {percentile(ok, 95):>8.0f} "
              f"{percentile(ok, 99):>8.0f}")
    return every


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60, help="of browsing, once every phone is signed in")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (the run command's default)")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds a phone waits between pages (0: none)")
    parser.add_argument("--ramp", type=float, default=20, help="phones start signing in within this many seconds")
    parser.add_argument("--procs", type=int, default=4, help="load-generator processes")
    parser.add_argument("--write-share", type=float, default=0.1, help="chance a round also writes a story")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (database, server log)")
    args = parser.parse_args()
    from kultialogo.nodes.cli import NODE_PASSWORD

    cpus = os.sched_getaffinity(0)
    phone_cpus = (cpus - {SERVER_CPU}) or cpus
    folder = Path(tempfile.mkdtemp(prefix="kultialogo-node-"))
    began = time.monotonic()
    url = prepare(folder, args.phones)
    print(f"Set-up (demo content, {args.phones} accounts): {time.monotonic() - began:.1f} s", flush=True)
    # The node's own password settings (kultialogo node run), not the tests' cheap ones.
    env = {"KULTIALOGO_SECRET_KEY": "node-bench", "KULTIALOGO_PASSWORD_TIME_COST": None,
           "KULTIALOGO_PASSWORD_MEMORY_COST": None, **dict(item.split("=", 1) for item in args.env)}
    try:
        server = LiveServer(url, folder / "data", threads=args.threads, extra_env=env, cpus={SERVER_CPU},
                            start_timeout=120, command=("node", "run"))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    context = multiprocessing.get_context("spawn")  # phones in fresh interpreters, not copies of this one
    ready, results = context.Queue(), context.Queue()
    go, stop = context.Event(), context.Event()
    workers = []
    try:
        up_rss = server.rss_mib()
        load_before = os.getloadavg()
        groups = [list(range(args.phones))[i::args.procs] for i in range(args.procs)]
        workers = [context.Process(target=phones_process, args=(group, server.url, args, phone_cpus, ready, go,
                                                                stop, results), daemon=True) for group in groups]
        for worker in workers:
            worker.start()
        began = time.monotonic()
        signed_in = sum(ready.get(timeout=args.ramp + 300) for _ in range(args.phones))
        signin_s = time.monotonic() - began
        signin_peak = server.peak_rss_mib()
        server.reset_peak_rss()
        start_rss, cpu_start, busy_start = server.rss_mib(), cpu_seconds(server.pid), cpu_busy_seconds(SERVER_CPU)
        go.set()
        began, began_wall = time.monotonic(), time.time()
        samples = [start_rss]
        while not stop.wait(0.25) and time.monotonic() - began < args.seconds:
            samples.append(server.rss_mib())
        stop.set()
        browse_s = time.monotonic() - began
        server_cpu = cpu_seconds(server.pid) - cpu_start
        others_cpu = cpu_busy_seconds(SERVER_CPU) - busy_start - server_cpu
        browse_peak, end_rss = server.peak_rss_mib(), server.rss_mib()
        collected = [results.get(timeout=300) for _ in workers]
        load_after = os.getloadavg()
    finally:
        stop.set()
        go.set()
        for worker in workers:
            worker.join(10)
        server.stop()
        if args.keep:
            print(f"Data folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    signin_rows = [row for c in collected for row in c["signin"]]
    rows = [row for c in collected for row in c["pages"]]
    phones_cpu = sum(c["cpu"] for c in collected)
    print(f"\n{args.phones} phones ({args.procs} processes on CPU {','.join(map(str, sorted(phone_cpus)))}), "
          f"think time {args.think:g} s (mean), writing in {args.write_share:.0%} of rounds; server: waitress "
          f"{args.threads} threads on CPU {SERVER_CPU}, SQLite, `kultialogo node run` (argon2 t={NODE_PASSWORD['PASSWORD_TIME_COST']} "
          f"m={NODE_PASSWORD['PASSWORD_MEMORY_COST'] // 1024} MiB, one at a time)")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(the machine's {len(cpus)} CPUs may be shared with other work)")
    print(f"\nSign-in: {signed_in}/{args.phones} phones in {signin_s:.1f} s (ramp {args.ramp:g} s)")
    table(signin_rows, ("signin_form", "static", "signin"))
    print(f"\nBrowsing for {browse_s:.1f} s: {len(rows)} requests ({len(rows) / browse_s:.1f}/s)")
    pages = table(rows, PAGE_KINDS)
    p95 = percentile(pages, 95)
    errors = sum(1 for _, _, e, _ in rows if e is not None)
    first_errors = sorted({f"{k} {e}" for k, _, e, _ in rows if e is not None})[:5]
    print(f"  all pages p95 {p95:.0f} ms (target <= {TARGET_P95_MS} ms)  {verdict(p95 <= TARGET_P95_MS)}; "
          f"{errors} errors" + (f" ({', '.join(first_errors)})" if errors else ""))
    windows = []
    for start in range(0, int(browse_s), 5):
        times = [d * 1000 for k, d, e, at in rows if e is None and k in PAGE_KINDS
                 and start <= at - began_wall - d < start + 5]
        windows.append(f"{percentile(times, 95):.0f}" if times else "-")
    print(f"  p95 per 5 s of the run (ms): {' '.join(windows)}")
    print(f"  CPU: server {server_cpu / browse_s:.0%} of CPU {SERVER_CPU} (other processes there "
          f"{max(others_cpu, 0) / browse_s:.0%}); phones {phones_cpu / browse_s:.0%} of one CPU "
          f"({len(phone_cpus)} available)")
    print(f"\nServer RSS: up {up_rss:.1f} MiB; peak while signing in {signin_peak:.1f} MiB; browsing: start "
          f"{start_rss:.1f}, peak {browse_peak:.1f} (sampled max {max(samples):.1f}), end {end_rss:.1f} MiB "
          f"(target <= {TARGET_RSS_MIB} MiB)  browsing {verdict(browse_peak <= TARGET_RSS_MIB)}, "
          f"sign-in {verdict(signin_peak <= TARGET_RSS_MIB)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
