"""The service worker's install does not download again what the first page has just loaded:
the shell's files and the page's strings come from the browser's HTTP cache (immutable,
public, no Vary: Cookie), and only the files that page did not need go over the network.

The cookies change between the page's downloads and the install, as they do on a phone (the
session renewed by a page opened in another tab, Flask-Login marking it not fresh, a cookie
of the language switch): with `Vary: Cookie` on the shell's files the HTTP cache would not
match them any more, and the install downloaded the whole shell again."""
import re
import threading

import pytest

from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, eventually, wait_for_worker

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

LOADED = """() => performance.getEntriesByType('resource').map((e) => new URL(e.name))
    .filter((u) => u.origin === location.origin).map((u) => u.pathname)"""
# The worker is registered when the test says so: after the page's own downloads.
HOLD_REGISTRATION = """
    const register = ServiceWorkerContainer.prototype.register;
    let release;
    const go = new Promise((resolve) => { release = resolve; });
    window.__registerWorker = () => release();
    window.__registerAsked = false;
    ServiceWorkerContainer.prototype.register = function (...args) {
        window.__registerAsked = true;
        return go.then(() => register.apply(this, args));
    };
"""


@pytest.fixture
def logged_server(app):
    """The test's app served in a thread, with every answer noted: (path, status, Sec-Fetch-Dest)."""
    from waitress.server import create_server
    answers = []
    inner = app.wsgi_app

    def noting(environ, start_response):
        def start(status, headers, exc_info=None):
            answers.append((environ["PATH_INFO"], int(status.split()[0]), environ.get("HTTP_SEC_FETCH_DEST", "")))
            return start_response(status, headers, exc_info)
        return inner(environ, start)

    app.wsgi_app = noting
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", answers
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(5)
    app.wsgi_app = inner


@pytest.mark.parametrize("locale, signed_in", [("en", False), ("ar", True)])
def test_the_install_downloads_none_of_the_files_the_first_page_loaded(app, people, logged_server, new_context,
                                                                       locale, signed_in):
    base, answers = logged_server
    context = new_context()
    context.add_cookies([{"name": "lang", "value": locale, "url": base}])
    if signed_in:
        # Through the context's request API (it shares the cookies): no page has run the app
        # yet, so this profile has no worker and an empty HTTP cache.
        form = context.request.get(base + "/signin").text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = context.request.post(base + "/signin", form={
            "username": "amina", "password": f.PASSWORD, "csrf_token": token})
        assert answer.ok and "/signin" not in answer.url
    page = context.new_page()
    page.add_init_script(HOLD_REGISTRATION)
    answers.clear()
    page.goto(base + "/")
    eventually(page, "async () => window.__registerAsked")  # the page has loaded all it needs
    loaded = [p for p in page.evaluate(LOADED) if p.startswith(("/static/", "/i18n/"))]
    if signed_in:  # another tab opens a page: the session's expiry is renewed, a new cookie
        renewed = context.request.get(base + "/write", headers={"Accept": "text/html"})
        assert "session=" in renewed.headers.get("set-cookie", "")
    context.add_cookies([{"name": "seen-hint", "value": "1", "url": base}])
    page.evaluate("window.__registerWorker()")
    wait_for_worker(page)
    assert any(p.startswith("/static/js/") for p in loaded)
    if locale != "en":
        assert f"/i18n/{locale}/feed.json" in loaded
    asked = {}
    for path, _status, destination in answers:
        # The worker's own script and its imports come through the browser's script loader
        # (a 304 each for the imports, before the install starts): not the install's doing.
        if destination != "serviceworker":
            asked[path] = asked.get(path, 0) + 1
    # Each file the page loaded went over the network once: the install asked for none of them
    # again, not even to revalidate.
    assert {p: asked.get(p) for p in loaded} == {p: 1 for p in loaded}
    # And the install did get the rest of the shell: the write page's modules, the offline page.
    names = page.evaluate("""async () => {
        const shell = (await caches.keys()).find((n) => n.startsWith('kultialogo-shell-v'));
        return (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname);
    }""")
    assert "/offline" in names and any("/compose." in n for n in names) and any("/recorder." in n for n in names)
    assert set(loaded) & {n for n in names if n.startswith("/static/")}  # what the page loaded is in the shell too
