"""Bytes localisation adds to the first page, per locale.

    python bench/i18n_weight.py

For each interface language, as a signed-in participant opening `/` with demo content:
- the client's strings (GET /i18n/<locale>.json, loaded by pwa/js/i18n.js after the first
  paint): gzip bytes, against the target of at most 3 KB (3,072 B) for the active locale;
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
    print(f"{'locale':<8} {'strings':>8} {'raw':>8} {'target':>7}  {'HTML vs en':>10}  other locales referenced")
    for code in app.config["SUPPORTED_LOCALES"]:
        html = page(code)
        others = [c for c in app.config["SUPPORTED_LOCALES"] if c != code
                  and re.search(rf"/i18n/{re.escape(c.replace('_', '-'))}\.json|/i18n/{re.escape(c)}\.json", html.decode())]
        if code == app.config["BABEL_DEFAULT_LOCALE"]:
            strings = raw = 0
        else:
            response = client.get(f"/i18n/{code.replace('_', '-')}.json")
            assert response.status_code == 200, code
            raw, strings = len(response.data), gz(response.data)
        ok = strings <= TARGET and not others
        failed |= not ok
        print(f"{code:<8} {strings:>8,} {raw:>8,} {'ok' if ok else 'OVER':>7}  {gz(html) - english:>+10,}  "
              f"{', '.join(others) or 'none'}")
    print(f"Target: at most {TARGET:,} B gzip of client strings for the active locale; no other locale loaded.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
