"""GET /i18n/<locale>/<bundle>.json and /i18n/<locale>.json: the client's strings only, one page's
bundle or all of them, cached by content hash."""
import json

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from kultialogo import create_app
from tests.conftest import BASE_CONFIG


@pytest.fixture
def catalog_app(tmp_path):
    """An app whose Arabic catalog holds client, server, fuzzy and plural messages."""
    catalog = Catalog(locale="ar")
    # As in the shipped catalog: GNU gettext's Arabic rule (Babel's own table differs for 11-102).
    catalog.mime_headers = [("Plural-Forms", "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
                                             "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);")]
    catalog.add("Saved on this phone", "محفوظة على هذا الهاتف", locations=[("pwa/js/app.js", 3)])
    catalog.add("Sending…", "جارٍ الإرسال…", locations=[("service-worker/sw.js", 9)])
    catalog.add("Sign in", "تسجيل الدخول", locations=[("server/templates/base.html", 1)])
    catalog.add("Half done", "نصف", locations=[("pwa/js/app.js", 5)], flags=["fuzzy"])
    catalog.add("Not yet", "", locations=[("pwa/js/app.js", 6)])
    catalog.add("Recording finished.", "انتهى التسجيل.", locations=[("pwa/js/recorder.js", 7)])
    catalog.add("Older stories", "قصص أقدم", locations=[("pwa/js/feed.js", 8)])
    catalog.add(("%(num)s story waiting", "%(num)s stories waiting"),
                ("لا قصص", "قصة واحدة", "قصتان", "%(num)s قصص", "%(num)s قصة", "%(num)s قصة"),
                locations=[("pwa/js/outbox.js", 12)])
    folder = tmp_path / "translations" / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DATA_DIR": str(tmp_path / "data"),
                      "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "translations")})
    return app


def test_only_client_messages_are_served(catalog_app):
    response = catalog_app.test_client().get("/i18n/ar.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    assert body["locale"] == "ar"
    assert body["messages"] == {
        "Saved on this phone": "محفوظة على هذا الهاتف",
        "Sending…": "جارٍ الإرسال…",
        "Recording finished.": "انتهى التسجيل.",
        "Older stories": "قصص أقدم",
        "%(num)s story waiting": ["لا قصص", "قصة واحدة", "قصتان", "%(num)s قصص", "%(num)s قصة", "%(num)s قصة"],
    }


def test_each_page_bundle_holds_the_strings_of_its_modules_only(catalog_app):
    """/i18n/ar/<bundle>.json: the modules app.js loads on that kind of page and what they import
    (outbox.js through push.js); the recorder's strings only in its own bundle, not the page's."""
    client = catalog_app.test_client()
    shared = {"Saved on this phone", "%(num)s story waiting"}
    messages = {name: set(client.get(f"/i18n/ar/{name}.json").get_json()["messages"])
                for name in ("page", "feed", "write", "recorder")}
    assert messages == {"page": shared, "feed": shared | {"Older stories"}, "write": shared,
                        "recorder": {"Recording finished."}}
    body = client.get("/i18n/ar/write.json").get_json()
    assert body["locale"] == "ar" and len(body["plural"]) == 200
    assert client.get("/i18n/ar/nothing.json").status_code == 404
    assert client.get("/i18n/xx/page.json").status_code == 404
    assert client.get("/i18n/en/feed.json").get_json()["messages"] == {}


def test_plural_table_reproduces_the_catalog_rule(catalog_app):
    body = catalog_app.test_client().get("/i18n/ar.json").get_json()
    table = body["plural"]
    assert len(table) == 200
    assert [int(table[n]) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] == [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]


def test_long_cache_with_a_content_hash_etag_and_304(catalog_app):
    client = catalog_app.test_client()
    first = client.get("/i18n/ar.json")
    etag = first.headers["ETag"]
    assert first.cache_control.public and first.cache_control.max_age >= 24 * 3600
    again = client.get("/i18n/ar.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    versioned = client.get(f"/i18n/ar.json?v={etag.strip(chr(34))}")
    assert versioned.cache_control.max_age == 365 * 24 * 3600 and versioned.cache_control.immutable
    assert "Set-Cookie" not in first.headers


def test_unknown_locale_is_404_and_the_default_locale_is_empty(catalog_app):
    client = catalog_app.test_client()
    assert client.get("/i18n/xx.json").status_code == 404
    assert client.get("/i18n/../ar.json").status_code == 404
    english = client.get("/i18n/en.json").get_json()
    assert english["messages"] == {} and english["plural"].startswith("10")


def test_shipped_catalogs_serve_every_client_message(tmp_path):
    """With the real catalogs: every string marked in pwa/js or service-worker is translated."""
    from babel.messages.pofile import read_po
    from tests.i18n.test_catalogs import I18N
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DATA_DIR": str(tmp_path)})
    with (I18N / "messages.pot").open("rb") as fh:
        wanted = {m.id[0] if m.pluralizable else m.id for m in read_po(fh)
                  if m.id and any(f.startswith(("pwa/js/", "service-worker/")) for f, _ in m.locations)}
    for locale in ("it", "ar"):
        served = app.test_client().get(f"/i18n/{locale}.json").get_json()["messages"]
        assert set(served) == wanted


def test_a_locale_in_a_second_translations_directory_is_served(tmp_path):
    """BABEL_TRANSLATION_DIRECTORIES may list several folders (';'), as Flask-Babel allows: the
    client's strings come from the first one that has the locale (the pseudo-locale test adds one)."""
    catalog = Catalog(locale="el")
    catalog.add("Saved on this phone", "[Šåṽéđ]", locations=[("pwa/js/app.js", 3)])
    folder = tmp_path / "extra" / "el" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DATA_DIR": str(tmp_path / "data"),
                      "SUPPORTED_LOCALES": ["en", "ar", "el"],
                      "BABEL_TRANSLATION_DIRECTORIES": f"i18n/translations;{tmp_path / 'extra'}"})
    assert app.test_client().get("/i18n/el.json").get_json()["messages"] == {"Saved on this phone": "[Šåṽéđ]"}
    assert app.test_client().get("/i18n/ar.json").get_json()["messages"]  # the shipped catalog, still found
