"""Sending a story on 2G: time from tapping "Send" on a 1 KB story to the server's answer.

    python bench/slow_network.py [--runs 5]

A real `kultialogo run` on a fresh SQLite database with the demo content; Debian's Chromium
through Playwright, signed in as a demo participant, on /write with the service worker
installed. Chromium's network emulation (DevTools protocol) then holds the page to about
250 kbit/s down, 50 kbit/s up and 300 ms latency. For each run: a new story of about 1 KB
(title + body, UTF-8), "Send" tapped, and the time from the tap (a capture listener on the
button) to the end of the push's response (Resource Timing) — the moment the phone knows
the server has it. Target: at most 3 s. Prints every run, the median and the worst.
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
NETWORK = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 50_000 / 8}
TARGET_S = 3.0

TAP_AND_ACK = """() => ({ done: new Promise((resolve) => {
  const button = document.querySelector('form#compose button[type=submit]');
  let tap = null;
  button.addEventListener('click', () => { tap = performance.now(); }, { capture: true, once: true });
  const seen = new Set(performance.getEntriesByType('resource').map((e) => e.startTime + e.name));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name.endsWith('/api/v1/sync/push') && !seen.has(entry.startTime + entry.name) && tap !== null) {
        observer.disconnect();
        resolve({ ms: entry.responseEnd - tap, request: entry.requestStart - tap,
                  bytes: entry.encodedBodySize, transfer: entry.transferSize });
      }
    }
  });
  observer.observe({ type: 'resource', buffered: false });
}) })"""


def story_text(n: int) -> tuple[str, str]:
    title = f"Evening by the river, story {n}"
    sentence = "We walked by the river after work and talked about the towns we came from. "
    body = (sentence * 20)[: 1024 - len(title.encode())]
    return title, body


def prepare(folder: Path) -> str:
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.demo import load_demo
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(folder), "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        load_demo()
    return url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from kultialogo.demo import DEMO_PASSWORD

    folder = Path(tempfile.mkdtemp(prefix="kultialogo-2g-"))
    server = LiveServer(prepare(folder), folder / "data", extra_env={"KULTIALOGO_SECRET_KEY": "bench"})
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
            page = context.new_page()
            page.goto(server.url + "/signin")
            page.fill("input[name=username]", "amina")
            page.fill("input[name=password]", DEMO_PASSWORD)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            page.goto(server.url + "/write")
            page.evaluate("""async () => { while (!navigator.serviceWorker.controller) {
                await new Promise((resolve) => setTimeout(resolve, 100)); } }""")
            page.wait_for_selector(".compose-status", state="attached")  # the form is enhanced
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", NETWORK)
            for n in range(1, args.runs + 1):
                title, body = story_text(n)
                page.fill("#title", title)
                page.fill("#body", body)
                measuring = page.evaluate_handle(TAP_AND_ACK)
                page.get_by_role("button", name="Send").click()
                result = measuring.evaluate("(handle) => handle.done")
                results.append(result)
                page.locator(".mine-item", has_text=title).get_by_text("waiting for review").wait_for(timeout=30_000)
                print(f"run {n}: {result['ms'] / 1000:.2f} s from tap to acknowledgement "
                      f"(request sent after {result['request']:.0f} ms; {len((title + body).encode())} B of text, "
                      f"response {result['bytes']} B)")
            browser.close()
    finally:
        server.stop()
    times = [r["ms"] / 1000 for r in results]
    print(f"\n2G emulation: {NETWORK['downloadThroughput'] * 8 / 1000:.0f} kbit/s down, "
          f"{NETWORK['uploadThroughput'] * 8 / 1000:.0f} kbit/s up, {NETWORK['latency']} ms latency")
    print(f"tap to acknowledgement: median {statistics.median(times):.2f} s, worst {max(times):.2f} s "
          f"(target <= {TARGET_S:.0f} s)  {'OK' if max(times) <= TARGET_S else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
