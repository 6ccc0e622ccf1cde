"""Bytes localisation adds to the first page, per locale.

    python bench/i18n_weight.py

For each interface language, as a signed-in participant opening `/` with demo content:
- the client's strings a page loads (GET /i18n/<locale>/<bundle>.json, loaded by pwa/js/i18n.js
  after the first paint; server/i18n CLIENT_BUNDLES): gzip bytes of each bundle, against the
  target of at most 3 KB (3,072 B) per response for the active locale. `/` loads "feed", other
  pages "page", `/write` loads "write" and, where MediaRecorder exists, "recorder" (its module
  loads it): "/write" is the two together (compressed one by one). "(all)" is every client
  string (GET /i18n/<locale>.json: what every page loaded before the bundles; now only a shell
  from before them asks for it);
- the HTML of the page in that language against the English page (gzip bytes: translated
  interface text is longer or shorter, and non-Latin scripts take more bytes per letter);
- that the page refers to its own locale's strings only (no other locale is ever loaded).
English needs no strings file: its msgids are the text. Exits 1 when a locale is over target.
"""
import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = 3 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def main() -> int:
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.demo import DEMO_PASSWORD, load_demo

    folder = Path(tempfile.mkdtemp(prefix="kultialogo-i18n-weight-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "DATA_DIR": str(folder),
                      "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                      "RATELIMIT_ENABLED": False})
    failed = False
    with app.app_context():
        upgrade()
        load_demo()
    # Requests outside that context: each gets its own, as in a server (the locale and the
    # signed-in user are cached per context).
    client = app.test_client()
    signin = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', signin)
    client.post("/signin", data={"username": "amina", "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
    assert 'data-user=""' not in client.get("/").get_data(as_text=True), "sign-in failed"

    def page(code):
        html = client.get(f"/?lang={code}").data
        assert f'lang="{code.replace("_", "-")}"'.encode() in html, code
        return html

    english = gz(page("en"))
    print(f"First page (/), signed in, demo content. English HTML: {english:,} B gzip.")
    bundles = ["feed", "page", "write", "recorder", None]  # None: all of them, /i18n/<locale>.json
    print(f"{'locale':<8} {'/ feed':>7} {'page':>7} {'write':>7} {'record':>7} {'/write':>7} {'(all)':>7} "
          f"{'target':>7}  {'HTML vs en':>10}  other locales referenced")
    for code in app.config["SUPPORTED_LOCALES"]:
        html = page(code)
        others = [c for c in app.config["SUPPORTED_LOCALES"] if c != code
                  and re.search(rf"/i18n/(?:{re.escape(c.replace('_', '-'))}|{re.escape(c)})[./]", html.decode())]
        sizes = {}
        for bundle in bundles:
            sizes[bundle] = 0
            if code != app.config["BABEL_DEFAULT_LOCALE"]:  # English needs none: msgids are the text
                tag = code.replace("_", "-")
                response = client.get(f"/i18n/{tag}/{bundle}.json" if bundle else f"/i18n/{tag}.json")
                assert response.status_code == 200, (code, bundle)
                sizes[bundle] = gz(response.data)
        ok = max(sizes[b] for b in bundles if b) <= TARGET and not others
        failed |= not ok
        print(f"{code:<8} {sizes['feed']:>7,} {sizes['page']:>7,} {sizes['write']:>7,} {sizes['recorder']:>7,} "
              f"{sizes['write'] + sizes['recorder']:>7,} {sizes[None]:>7,} {'ok' if ok else 'OVER':>7}  "
              f"{gz(html) - english:>+10,}  {', '.join(others) or 'none'}")
    print(f"Target: at most {TARGET:,} B gzip per strings response for the active locale; no other locale loaded.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
