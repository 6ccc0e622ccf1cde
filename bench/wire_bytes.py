"""Bytes a phone pays for, counted on the wire (headers included) by a TCP proxy between
Chromium and a real `kultialogo run`:

    python bench/wire_bytes.py

For a visitor and for a signed-in participant (demo content, fresh SQLite): the first visit
of `/` (until the page's load event), the same with the service worker's install (until the
worker has stored the shell and the pages), and a repeat visit of `/` (reload, nothing
changed) down and up. Goals: first page 30 KB, repeat visit 2 KB.

"again" is what the install downloaded of files the page had already downloaded (by URL, the
response bytes on the wire), and which: the worker's own imports come through Chromium's
script loader, which never uses the HTTP cache for a new worker.
"""
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import LiveServer, free_port  # noqa: E402
from bench.slow_network import ARGS, CHROMIUM, prepare  # noqa: E402

FIRST_GOAL, REPEAT_GOAL = 30 * 1024, 2 * 1024


class CountingProxy:
    """Forwards every loopback connection to the server and counts the bytes each way."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.down = self.up = 0
        self.lock = threading.Lock()
        self.answers = []  # [path, bytes down], in the order requests were sent
        self.sock = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self):
        with self.lock:
            self.down = self.up = 0
            self.answers = []

    def _accept(self):
        while True:
            client, _ = self.sock.accept()
            server = socket.create_connection(self.target)
            current = []  # this connection's answer being received (HTTP/1.1: one at a time)
            threading.Thread(target=self._pipe, args=(client, server, "up", current), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "down", current), daemon=True).start()

    def _pipe(self, source, sink, way, current):
        try:
            while data := source.recv(65536):
                with self.lock:
                    setattr(self, way, getattr(self, way) + len(data))
                    if way == "up":
                        for match in re.finditer(rb"^(?:GET|HEAD|POST|PUT|PATCH) (\S+) HTTP/1", data, re.M):
                            current[:] = [[match.group(1).decode(), 0]]
                            self.answers.append(current[0])
                    elif current:
                        current[0][1] += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


WORKER_READY = """async () => {
    for (;;) {
        const names = await caches.keys();
        if (navigator.serviceWorker.controller || names.some((n) => n.startsWith('kultialogo-shell-v'))) {
            const pages = await caches.open('kultialogo-pages-v1');
            if (await pages.match('/', { ignoreVary: true })) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}"""


def settle(page):
    page.wait_for_load_state("networkidle")
    time.sleep(0.3)  # a measurement pause (bench only): late bytes of the last answers


def measure(browser, proxy, signed_in: bool) -> dict:
    from kultialogo.demo import DEMO_PASSWORD
    base = f"http://127.0.0.1:{proxy.port}"
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    page = context.new_page()
    if signed_in:
        # Signed in through the context's request API, which shares its cookies: no page of
        # this profile has run yet, so no worker, no Cache Storage and an empty HTTP cache.
        form = context.request.get(base + "/signin").text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = context.request.post(base + "/signin", form={
            "username": "amina", "password": DEMO_PASSWORD, "csrf_token": token})
        assert answer.ok and "/signin" not in answer.url, "sign-in failed"
    settle(page)
    proxy.reset()
    page.goto(base + "/", wait_until="load")
    first = proxy.down + proxy.up
    page.evaluate(WORKER_READY)
    settle(page)
    with_sw = proxy.down + proxy.up
    loaded = set(page.evaluate("""() => [location.pathname, ...performance.getEntriesByType('resource')
        .map((e) => new URL(e.name)).filter((u) => u.origin === location.origin).map((u) => u.pathname + u.search)]"""))
    seen, again = set(), {}
    install = [(path, size) for path, size in proxy.answers]
    for path, size in proxy.answers:
        if path in seen and path in loaded:
            again[path] = again.get(path, 0) + size
        seen.add(path)
    page.reload()
    page.evaluate("async () => { while (!navigator.serviceWorker.controller) await new Promise((r) => setTimeout(r, 100)); }")
    settle(page)
    proxy.reset()
    page.reload(wait_until="load")
    settle(page)
    result = {"first": first, "with_sw": with_sw, "repeat_down": proxy.down, "repeat_up": proxy.up,
              "again": again, "answers": list(install)}
    context.close()
    return result


def main() -> int:
    from playwright.sync_api import sync_playwright
    folder = Path(tempfile.mkdtemp(prefix="kultialogo-wire-"))
    server = LiveServer(prepare(folder), folder / "data", extra_env={"KULTIALOGO_SECRET_KEY": "bench"})
    proxy = CountingProxy(server.port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for label, signed_in in (("signed out", False), ("signed in", True)):
                r = measure(browser, proxy, signed_in)
                print(f"{label:11} first page {r['first']:7} B (goal {FIRST_GOAL})  "
                      f"with worker install {r['with_sw']:7} B  "
                      f"repeat visit down {r['repeat_down']:6} B up {r['repeat_up']:6} B (goal {REPEAT_GOAL} down)")
                print(f"{'':11} install downloaded again {sum(r['again'].values()):6} B: "
                      + (", ".join(f"{p.rsplit('/', 1)[-1] or p} {n}" for p, n in sorted(r["again"].items())) or "nothing"))
                if "--detail" in sys.argv:
                    for path, size in r["answers"]:
                        print(f"{'':13}{size:7} {path}")
            browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
