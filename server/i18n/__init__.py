"""Languages: which locale a request gets, its direction, the language switcher, and the
client's strings (GET /i18n/<locale>/<bundle>.json, one bundle per kind of page)."""
import gettext
import hashlib
import json
from pathlib import Path

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from ..database import write_transaction
from ..extensions import babel
from ..security import local_path

bp = Blueprint("i18n", __name__)

LOCALE_COOKIE = "lang"
# Names of the interface languages in themselves, for the switcher.
LOCALE_NAMES = {
    "en": "English", "it": "Italiano", "sr_Latn": "Srpski (latinica)", "sr_Cyrl": "Српски (ћирилица)",
    "nl": "Nederlands", "uk": "Українська", "ar": "العربية", "fa": "فارسی", "ur": "اردو", "ps": "پښتو",
    "fr": "Français",
}
# Browser languages with no catalog of their own, and the catalog their speakers read.
LANGUAGE_ALIASES = {"prs": "fa", "sr": "sr_Latn", "sh": "sr_Latn", "bs": "sr_Latn", "hr": "sr_Latn",
                    "cnr": "sr_Latn", "sr-latn": "sr_Latn", "sr-cyrl": "sr_Cyrl"}


def lang_tag(code: str) -> str:
    """The BCP 47 tag browsers understand (lang="sr-Latn", Intl) for a catalog code (sr_Latn)."""
    return code.replace("_", "-")


# A bare language code for a language we have in several scripts: the script it means.
# Without an entry, the variant listed first in SUPPORTED_LOCALES.
DEFAULT_SCRIPT = {"sr": "sr_Latn"}


def from_tag(value: str | None) -> str | None:
    """A supported catalog code from a tag or code in any case ("sr-latn", "sr_Latn"), or None.
    A bare language with script variants means its usual script: "sr" is sr_Latn."""
    if not value:
        return None
    wanted = value.replace("_", "-").lower()
    supported = current_app.config["SUPPORTED_LOCALES"]
    for code in supported:
        if lang_tag(code).lower() == wanted:
            return code
    variants = [code for code in supported if code.split("_")[0].lower() == wanted]
    if variants:
        return DEFAULT_SCRIPT.get(wanted) if DEFAULT_SCRIPT.get(wanted) in variants else variants[0]
    return None


def _from_accept_language() -> str | None:
    """The browser's most wanted language we have: "sr-Cyrl-RS" -> sr_Cyrl, "it-IT" -> it,
    "prs-AF" -> fa, by quality order, trying the full tag, then without region, then the language."""
    supported = current_app.config["SUPPORTED_LOCALES"]
    for value, _quality in request.accept_languages:  # werkzeug sorts by quality
        parts = value.replace("_", "-").lower().split("-")
        for candidate in ("-".join(parts), "-".join(parts[:2]), parts[0]):
            code = from_tag(candidate) or LANGUAGE_ALIASES.get(candidate)
            if code in supported:
                return code
    return None


def chosen_locale() -> str | None:
    """The language this person picked on this device (?lang= or the switcher's cookie), if any."""
    return from_tag(request.args.get("lang") or request.cookies.get(LOCALE_COOKIE))


def select_locale() -> str:
    if not has_request_context():  # a command's message (kultialogo import, node sync): the site's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["SUPPORTED_LOCALES"]
    chosen = chosen_locale()
    if not chosen and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    if chosen in supported:
        return chosen
    return _from_accept_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale=None) -> str:
    code = str(locale or get_locale()).split("_")[0]
    return "rtl" if code in current_app.config["RTL_LOCALES"] else "ltr"


def language_name(code: str) -> str:
    """A story's language named in the reader's language: "uk" is "Ukrainian", "الأوكرانية"."""
    try:
        language = Locale.parse(code, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    if language.language != code.split("-")[0].lower():  # "und" would come back as en_US
        return code
    return language.get_display_name(str(get_locale())) or code


# Digits of the numbering systems CLDR gives our locales by default (fa and ps: Persian digits).
_NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}


def native_digits(text: str, locale=None) -> str:
    """Babel formats dates (and numbers, unless told) with 0-9; a Persian or Pashto reader
    expects ۱۲۳. Follows CLDR: generic Arabic and Urdu keep 0-9, as their users mostly do."""
    try:
        system = Locale.parse(str(locale or get_locale())).default_numbering_system
    except (ValueError, UnknownLocaleError):
        return text
    digits = _NATIVE_DIGITS.get(system)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def format_number(number, locale=None) -> str:
    """A number as the reader writes it: separators and digits of the locale's own system."""
    locale = str(locale or get_locale())
    return native_digits(format_decimal(number, locale=locale, numbering_system="default"), locale)


def _in_native_digits(formatter):
    def wrapped(*args, **kwargs):
        return native_digits(formatter(*args, **kwargs))
    wrapped.__name__ = formatter.__name__
    return wrapped


def isolate(text) -> Markup:
    """User text inside a translated sentence, as a <bdi>: an Arabic name cannot reorder an
    English sentence, nor a Latin one an Arabic sentence. Escaped like any other value:
    {{ _("Code for %(name)s", name=person.username | bdi) }}"""
    return Markup("<bdi>%s</bdi>") % text


@bp.post("/language")
def choose_language():
    code = from_tag(request.form.get("lang", ""))
    response = redirect(local_path(request.form.get("next"), url_for("stories.feed")))
    if code:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=False, secure=request.is_secure)
        if current_user.is_authenticated:
            with write_transaction():  # takes the write lock first on SQLite (database.py)
                current_user.locale = code
    return response


# Messages whose source lines are in these folders are the client's (t('...') in the PWA).
CLIENT_SOURCES = ("pwa/js/", "service-worker/")
# gettext plural expressions for our languages depend on n and n % 100 only, so the form index
# for n < 200 (then 100 + n % 100) reproduces them exactly without eval() (the CSP forbids it).
PLURAL_TABLE_SIZE = 200


# A page loads one bundle of client strings, not all of them: pwa/js/app.js picks the bundle
# (loadStrings(name) in i18n.js) as it picks the modules. A bundle holds the strings of the
# modules listed for it and of every module they import (statically or with import()); app.js's
# own imports are not followed, it is the router. A module loaded only where it can run may
# load its own bundle on top of its page's (recorder.js: `await loadStrings('recorder')`): its
# bundle holds what the page's does not, and the page's stops at that module. A module added
# to a page must be listed here (tests/e2e/test_string_bundles.py checks every module a page
# loads, in every language).
_EVERY_PAGE = ("js/app.js", "js/triggers.js", "js/ui.js", "js/update.js", "js/db.js", "js/speak.js")
CLIENT_BUNDLES = {  # name: (modules, the bundle it is loaded on top of)
    "page": ((*_EVERY_PAGE, "js/forms.js", "js/upload-progress.js"), None),              # story pages, events, sign-in, account...
    "feed": ((*_EVERY_PAGE, "js/feed.js"), None),                # / and the offline page
    "write": ((*_EVERY_PAGE, "js/compose.js", "js/voice.js"), None),  # /write
    "recorder": (("js/recorder.js",), "write"),                  # /write where MediaRecorder exists
}
ROUTERS = ("js/app.js",)
OWN_BUNDLES = tuple(modules[0] for modules, parent in CLIENT_BUNDLES.values() if parent)


def bundle_sources(app, bundle: str) -> set[str]:
    """The source files ("pwa/js/feed.js") whose strings a bundle holds."""
    from ..pwa import module_closure, shell_dir  # late: pwa imports this module (text_direction)
    root = Path(app.config.get("PWA_DIR") or shell_dir())
    modules, parent = CLIENT_BUNDLES[bundle]
    files = module_closure(root, modules, routers=ROUTERS, stop=OWN_BUNDLES)
    if parent:
        files -= module_closure(root, CLIENT_BUNDLES[parent][0], routers=ROUTERS, stop=OWN_BUNDLES)
    return {"pwa/" + name for name in files}


def _catalog_path(app, locale: str) -> Path:
    """The locale's messages.po in the first translations directory that has one (like
    Flask-Babel, BABEL_TRANSLATION_DIRECTORIES may list several, separated by ';')."""
    folders = [Path(app.root_path) / folder for folder in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")]
    paths = [folder / locale / "LC_MESSAGES" / "messages.po" for folder in folders]
    return next((path for path in paths if path.is_file()), paths[0])


def client_catalog(app, locale: str, bundle: str | None = None) -> tuple[bytes, str]:
    """The client's strings for one locale as compact JSON, and its content hash (read once):
    all of them, or one page's bundle (CLIENT_BUNDLES)."""
    cache = app.extensions.setdefault("kultialogo_client_catalogs", {})
    if (locale, bundle) in cache:
        return cache[locale, bundle]
    sources = bundle_sources(app, bundle) if bundle else None
    path = _catalog_path(app, locale)
    if path.is_file():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:  # the default locale: msgids are its text
        catalog = Catalog(locale=locale)
    messages = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if not any(filename.startswith(CLIENT_SOURCES) for filename, _line in message.locations):
            continue
        if sources is not None and not any(filename in sources for filename, _line in message.locations):
            continue
        if message.pluralizable:
            if all(message.string):
                messages[message.id[0]] = list(message.string)
        elif message.string:
            messages[message.id] = message.string
    plural = gettext.c2py(catalog.plural_expr)
    body = json.dumps({"locale": locale, "plural": "".join(str(plural(n)) for n in range(PLURAL_TABLE_SIZE)),
                       "messages": messages}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    cache[locale, bundle] = (body, hashlib.sha256(body).hexdigest()[:20])
    return cache[locale, bundle]


@bp.get("/i18n/<locale>.json")
@bp.get("/i18n/<locale>/<bundle>.json")
def client_strings(locale, bundle=None):
    """One page's strings (/i18n/ar/write.json, what pages load), or all the client's
    strings (/i18n/ar.json, for a shell from before the bundles)."""
    locale = from_tag(locale)  # the page asks with its lang attribute: "sr-Latn"
    if not locale or (bundle is not None and bundle not in CLIENT_BUNDLES):
        abort(404)
    body, digest = client_catalog(current_app, locale, bundle)
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(digest)
    if request.args.get("v") == digest:
        response.cache_control.max_age = 365 * 24 * 3600  # a versioned URL never changes
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = 24 * 3600
        response.cache_control.stale_while_revalidate = 7 * 24 * 3600
    response.cache_control.public = True
    return response.make_conditional(request)


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.add_template_filter(language_name)
    app.add_template_filter(isolate, "bdi")
    for name, formatter in (("dateformat", flask_babel.format_date), ("datetimeformat", flask_babel.format_datetime),
                            ("timeformat", flask_babel.format_time), ("timedeltaformat", flask_babel.format_timedelta)):
        app.add_template_filter(_in_native_digits(formatter), name)
    app.add_template_filter(format_number, "numberformat")

    @app.context_processor
    def _i18n_context():
        locale = str(get_locale())
        return {"locale": locale, "lang_tag": lang_tag(locale), "text_direction": text_direction(locale), "locale_names": {
            code: LOCALE_NAMES.get(code, code) for code in current_app.config["SUPPORTED_LOCALES"]}}

    @app.after_request
    def _vary_language(response):
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

