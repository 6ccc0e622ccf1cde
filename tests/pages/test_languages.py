"""Interface language: choice (cookie or account), Accept-Language, direction, API messages."""
import pytest

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from tests import factories as f
from tests.pages.util import lang_dir, signed_in_client, text


def test_accept_language_picks_the_language_and_arabic_is_right_to_left(app, client):
    page = client.get("/", headers={"Accept-Language": "ar, en;q=0.5"})
    assert lang_dir(text(page)) == ("ar", "rtl")
    assert "القصص" in text(page)
    assert "Accept-Language" in page.headers["Vary"]
    italian = text(client.get("/signin", headers={"Accept-Language": "it-IT,it;q=0.9"}))
    assert lang_dir(italian) == ("it", "ltr") and "Accedi" in italian
    fallback = text(client.get("/", headers={"Accept-Language": "sw"}))
    assert lang_dir(fallback) == ("en", "ltr")


def test_the_language_cookie_wins_over_accept_language(app, client):
    client.set_cookie("lang", "ar")
    page = text(client.get("/", headers={"Accept-Language": "it"}))
    assert lang_dir(page) == ("ar", "rtl")
    client.set_cookie("lang", "xx")  # unknown: ignored
    assert lang_dir(text(client.get("/", headers={"Accept-Language": "it"}))) == ("it", "ltr")


@pytest.mark.parametrize("asked, expected", [
    ("sr", "sr-Latn"), ("SR", "sr-Latn"), ("sr-Latn", "sr-Latn"), ("sr-Cyrl", "sr-Cyrl"), ("sr_cyrl", "sr-Cyrl"),
])
def test_a_bare_serbian_code_means_latin_wherever_a_language_is_chosen(app, client, asked, expected):
    # ?lang=
    assert lang_dir(text(client.get(f"/?lang={asked}", headers={"Accept-Language": "it"})))[0] == expected
    # the lang cookie
    client.set_cookie("lang", asked)
    assert lang_dir(text(client.get("/", headers={"Accept-Language": "it"})))[0] == expected
    client.delete_cookie("lang")
    # the footer's language form, which keeps the catalog's own code
    page = text(client.get("/signin"))
    client.post("/language", data={"lang": asked, "next": "/", "csrf_token": f.csrf_from(page)})
    assert client.get_cookie("lang").value == expected.replace("-", "_")
    assert lang_dir(text(client.get("/")))[0] == expected
    # Accept-Language
    other = app.test_client()
    assert lang_dir(text(other.get("/", headers={"Accept-Language": asked})))[0] == expected


def test_the_switcher_form_sets_the_cookie_and_returns_to_the_page(app, client):
    page = text(client.get("/signin"))
    response = client.post("/language", data={"lang": "ar", "next": "/signin", "csrf_token": f.csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/signin"
    assert client.get_cookie("lang").value == "ar"
    assert lang_dir(text(client.get("/signin"))) == ("ar", "rtl")
    evil = client.post("/language", data={"lang": "it", "next": "//evil.example/", "csrf_token": f.csrf_from(page)})
    assert evil.headers["Location"] == "/"
    assert client.post("/language", data={"lang": "it"}).status_code == 400  # no CSRF token


def test_a_signed_in_choice_is_kept_on_the_account(app):
    f.account("amina")
    client = signed_in_client(app, "amina")
    page = text(client.get("/"))
    client.post("/language", data={"lang": "it", "next": "/", "csrf_token": f.csrf_from(page)})
    db.session.rollback()
    assert db.session.query(Account).filter_by(username="amina").one().locale == "it"
    # Another phone, no cookie, an Arabic browser: the account's choice wins once signed in.
    other = signed_in_client(app, "amina")
    assert other.get_cookie("lang") is None
    assert lang_dir(text(other.get("/", headers={"Accept-Language": "ar"}))) == ("it", "ltr")


def test_arabic_pages_mark_user_text_for_isolation(app, client):
    from tests.pages.util import story
    f.community("siena")
    author = f.account("giulia", community_slug="siena", role="facilitator")
    s = story(author, "A walk by the river", body="English text in an Arabic page.")
    feed = text(client.get("/", headers={"Accept-Language": "ar"}))
    assert '<article lang="en">' in feed and '<h2 dir="auto">' in feed and "<bdi>giulia</bdi>" in feed
    page = text(client.get(f"/stories/{s.id}", headers={"Accept-Language": "ar"}))
    assert '<h1 dir="auto">' in page and '<div class="body" dir="auto">' in page


def test_form_errors_come_in_the_chosen_language(app, client):
    page = text(client.get("/signup", headers={"Accept-Language": "ar"}))
    response = client.post("/signup", headers={"Accept-Language": "ar"}, data={
        "username": "amina", "password": "a long password", "confirm": "another password",
        "csrf_token": f.csrf_from(page)})
    assert response.status_code == 400
    assert "كلمتا المرور غير متطابقتين." in text(response)


@pytest.mark.parametrize("language, expected", [
    ("it", "Accedi, per favore."),
    ("ar", "يُرجى تسجيل الدخول."),
    ("en", "Please sign in."),
])
def test_api_errors_are_localised_unauthorized(app, client, language, expected):
    response = client.post("/api/v1/sync/push", json={"items": []}, headers={"Accept-Language": language})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unauthorized" and response.get_json()["message"] == expected


@pytest.mark.parametrize("language, expected", [
    ("it", "Il corpo della richiesta non è un JSON valido."),
    ("ar", "نص الطلب ليس JSON صالحًا."),
])
def test_api_errors_are_localised_bad_json(app, client, language, expected):
    f.community("siena")
    f.account("amina", community_slug="siena")
    tok = f.token(client, "amina")
    response = client.post("/api/v1/sync/push", data=b"{not json", content_type="application/json",
                           headers={"Accept-Language": language, **f.bearer(tok)})
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_json" and response.get_json()["message"] == expected


@pytest.mark.parametrize("language, expected", [
    ("it", "Nome utente o password errati."),
    ("ar", "اسم المستخدم أو كلمة المرور غير صحيحة."),
])
def test_api_errors_are_localised_bad_credentials(app, client, language, expected):
    response = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "whatever123"},
                           headers={"Accept-Language": language})
    assert response.status_code == 401
    assert response.get_json()["message"] == expected


def test_push_item_errors_are_localised_with_their_parameters(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    tok = f.token(client, "amina")
    response = client.post("/api/v1/sync/push", json={"items": [f.item(title="x" * 500)]},
                           headers={"Accept-Language": "it", **f.bearer(tok)})
    result = response.get_json()["results"][0]
    assert result["result"] == "rejected" and result["error"]["code"] == "too_long"
    assert result["error"]["message"] == "Il campo title è troppo lungo: al massimo 140 caratteri."


def test_the_bdi_filter_isolates_and_escapes_user_text_inside_a_translated_sentence(app):
    from flask import render_template_string
    with app.test_request_context():
        html = render_template_string('{{ _("Written by %(name)s", name=name | bdi) }}', name="أمينة <script>")
    assert html == "Written by <bdi>أمينة &lt;script&gt;</bdi>"


def test_write_form_length_errors_come_in_arabic(app):
    from tests.pages.util import hidden_value, signed_in_client
    f.community("siena")
    f.account("amina", community_slug="siena")
    client = signed_in_client(app, "amina")
    client.set_cookie("lang", "ar")
    page = text(client.get("/write"))
    response = client.post("/write", data={
        "csrf_token": f.csrf_from(page), "id": hidden_value(page, "id"), "title": "عنوان",
        "body": "x" * 20_001, "language": "ar", "community": "siena", "visibility": "public",
        "author_display": "pseudonym"})
    assert response.status_code == 400
    assert "الحد الأقصى لعدد الأحرف هو 20000." in text(response)


def test_a_language_chosen_before_signing_up_is_kept_on_the_new_account(app, client):
    client.set_cookie("lang", "ar")
    page = text(client.get("/signup"))
    response = client.post("/signup", data={"username": "amina", "password": "a long password",
                                            "confirm": "a long password", "csrf_token": f.csrf_from(page)})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.query(Account).filter_by(username="amina").one().locale == "ar"


@pytest.mark.parametrize("header, expected", [
    ("sr-RS,sr;q=0.9", ("sr-Latn", "ltr")),         # Serbian: the Latin script unless asked
    ("sr-Latn-RS", ("sr-Latn", "ltr")),
    ("sr-Cyrl-RS,sr;q=0.5", ("sr-Cyrl", "ltr")),
    ("prs-AF", ("fa", "rtl")),                      # Dari readers get the Persian catalog
    ("ps-AF", ("ps", "rtl")),
    ("ur-PK", ("ur", "rtl")),
    ("uk-UA", ("uk", "ltr")),
    ("nl-NL", ("nl", "ltr")),
    ("fr-BE", ("fr", "ltr")),
])
def test_every_interface_language_is_reached_from_the_browser_with_a_valid_lang_tag(app, client, header, expected):
    page = text(client.get("/", headers={"Accept-Language": header}))
    assert lang_dir(page) == expected  # a BCP 47 tag: Intl in the page throws on "sr_Latn"


def test_serbian_in_cyrillic_by_the_switcher_and_its_client_strings(app, client):
    page = text(client.get("/signin"))
    client.post("/language", data={"lang": "sr_Cyrl", "next": "/signin", "csrf_token": f.csrf_from(page)})
    cyrillic = text(client.get("/signin"))
    assert lang_dir(cyrillic) == ("sr-Cyrl", "ltr")
    assert "Пријави" in cyrillic
    for tag in ("sr-Cyrl", "sr_Cyrl"):  # the page asks with its lang attribute
        strings = client.get(f"/i18n/{tag}.json")
        assert strings.status_code == 200 and strings.json["locale"] == "sr_Cyrl"
    assert client.get("/i18n/xx.json").status_code == 404


def test_dates_and_numbers_in_the_digits_each_language_writes(app, client):
    import re
    from tests.pages.util import moderate, story
    f.community("siena")
    author = f.account("author", community_slug="siena")
    admin = f.account("admin", is_admin=True)
    moderate(admin, story(author, "A walk by the river", visibility="public"), "publish")
    year = str(__import__("datetime").date.today().year)
    persian, pashto = (text(client.get("/", headers={"Accept-Language": lang})) for lang in ("fa", "ps"))
    for page in (persian, pashto):
        shown = re.search(r'<time datetime="[\d-]+">([^<]+)</time>', page).group(1)
        assert year.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in shown and year not in shown
    for lang in ("ar", "ur", "en", "sr-Latn"):  # CLDR: these write 0-9 by default
        page = text(client.get("/", headers={"Accept-Language": lang}))
        assert year in re.search(r'<time datetime="[\d-]+">([^<]+)</time>', page).group(1)
    from kultialogo.i18n import format_number
    assert format_number(12345, "fa") == "۱۲٬۳۴۵" and format_number(12345, "it") == "12.345"
