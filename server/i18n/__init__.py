"""Languages: which locale a request gets, its direction, and the language switcher."""
from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user

bp = Blueprint("i18n", __name__)

LOCALE_COOKIE = "lang"
# Names of the interface languages in themselves, for the switcher.
LOCALE_NAMES = {"en": "English", "it": "Italiano", "ar": "العربية"}


def select_locale() -> str:
    supported = current_app.config["SUPPORTED_LOCALES"]
    chosen = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if not chosen and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale=None) -> str:
    code = str(locale or get_locale()).split("_")[0]
    return "rtl" if code in current_app.config["RTL_LOCALES"] else "ltr"


@bp.post("/language")
def choose_language():
    code = request.form.get("lang", "")
    target = request.form.get("next") or url_for("stories.feed")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("stories.feed")
    response = redirect(target)
    if code in current_app.config["SUPPORTED_LOCALES"]:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=False, secure=request.is_secure)
        if current_user.is_authenticated:
            from ..extensions import db
            current_user.locale = code
            db.session.commit()
    return response


def init_app(app) -> None:
    from ..extensions import babel
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def _i18n_context():
        locale = str(get_locale())
        return {"locale": locale, "text_direction": text_direction(locale), "locale_names": {
            code: LOCALE_NAMES.get(code, code) for code in current_app.config["SUPPORTED_LOCALES"]}}

    @app.after_request
    def _vary_language(response):
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

