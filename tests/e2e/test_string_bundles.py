"""Each page loads only its own bundle of client strings (GET /i18n/<locale>/<bundle>.json,
server/i18n CLIENT_BUNDLES), and that bundle holds every string of every module the page
loads: in all ten languages, no t() on the page falls back to English."""
import json

import pytest
from babel.messages.pofile import read_po

from tests.e2e.browser import REPO, SQLITE_ONLY, eventually, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

LOCALES = ["it", "sr_Latn", "sr_Cyrl", "nl", "uk", "ar", "fa", "ur", "ps", "fr"]
# page -> the bundles it loads (the recorder's only where MediaRecorder exists, as here)
PAGES = {"/": {"feed"}, "/write": {"write", "recorder"}, "/account": {"page"}}
LOADED = """() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
    .filter((p) => p.startsWith('/static/js/') || p.startsWith('/i18n/'))"""


def client_msgids_by_file():
    """{"pwa/js/feed.js": {msgid, ...}} from the catalog template's source locations."""
    with (REPO / "server" / "i18n" / "messages.pot").open("rb") as fh:
        catalog = read_po(fh)
    out = {}
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if message.pluralizable else message.id
        for filename, _line in message.locations:
            if filename.startswith("pwa/js/"):
                out.setdefault(filename, set()).add(msgid)
    return out


def pending_msgids():
    """Strings of this branch that the lead has not put in the catalogs yet (COMMON.md)."""
    path = REPO / "i18n-new.json"
    return set(json.loads(path.read_text())) if path.is_file() else set()


@pytest.mark.parametrize("locale", LOCALES)
def test_each_page_loads_only_its_strings_and_none_are_missing(app, people, live_server, new_context, locale):
    by_file = client_msgids_by_file()
    every = set().union(*by_file.values())
    pending = pending_msgids()
    context = new_context()
    context.add_cookies([{"name": "lang", "value": locale, "url": live_server.url}])
    page = context.new_page()
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.text.startswith("kultialogo i18n") else None)
    sign_in(page, live_server.url)
    tag = locale.replace("_", "-")
    for path, bundles in PAGES.items():
        warnings.clear()
        page.goto(live_server.url + path)
        # Until the page's modules have loaded and used their strings.
        ready = {"/": "#main", "/write": "form#compose[data-enhanced] .recorder", "/account": "#main"}[path]
        page.locator(ready).first.wait_for(state="attached")
        eventually(page, f"async () => ({LOADED})().some((p) => p.startsWith('/i18n/'))")
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate(LOADED)
        asked = {p for p in loaded if p.startswith("/i18n/")}
        assert asked == {f"/i18n/{tag}/{b}.json" for b in bundles}, (path, asked)
        served = {}
        for url in asked:
            served.update(page.evaluate("async (u) => (await (await fetch(u)).json()).messages", url))
        # Only what is relevant: a strict part of the client's strings.
        assert set(served) < every, path
        # Every string of every module the page loaded is there (bar those not translated yet).
        modules = {"pwa/js/" + p.rsplit("/", 1)[1].split(".")[0] + ".js" for p in loaded if p.startswith("/static/js/")}
        assert {"pwa/js/app.js", "pwa/js/i18n.js"} <= modules
        wanted = set().union(*(by_file.get(m, set()) for m in modules))
        assert wanted - set(served) - pending == set(), (path, sorted(wanted - set(served)))
        assert [w for w in warnings if not any(f'"{p}"' in w for p in pending)] == [], (path, warnings)
