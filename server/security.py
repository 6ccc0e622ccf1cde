"""Response headers every page gets: a strict CSP (no inline script or style) and friends."""
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import ValidationError

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    "worker-src 'self'",
])


# Every answer's, unless it set its own.
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(), camera=(self), microphone=(self)"),
)


class _SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever we are reached over HTTPS (directly or through ProxyFix).

    A camp laptop serving phones over plain-http local Wi-Fi must still sign people in.
    """

    def open_session(self, app, request):
        """As Flask's, without building the signing serializer when there is no cookie to check
        (a phone's bearer-token sync, a probe): the same empty session, for less work."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def should_set_cookie(self, app, session) -> bool:
        """A changed session always; otherwise the sliding expiry is renewed only on page
        navigations. Refreshing it on every script, image, sync or media response costs bytes
        on each of them, and a late answer to a request sent before sign-out (in another tab)
        would put the old session back on the phone."""
        if session.modified:
            return True
        return bool(session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
                    and request.method == "GET" and request.accept_mimetypes.accept_html
                    and request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate")

    def save_session(self, app, session, response) -> None:
        """A public answer (the shell's hashed files, the icons, the client's strings) is the
        same for everyone, whoever's session asked: no Set-Cookie on it (a shared cache would
        hand it to the next person) and no `Vary: Cookie`, with which the service worker's
        install could not reuse what the page had just downloaded once the cookie changed (a
        renewed session, a new cookie): it asked for the whole shell again. A change to the
        session made while answering one (Flask-Login's "not fresh") waits for the next page."""
        if not session and not session.modified:
            # Nothing to write or delete (a phone's token request): Flask's would only add the
            # Vary, after working out every cookie attribute.
            if session.accessed and not response.cache_control.public:
                response.vary.add("Cookie")
            return
        if response.cache_control.public:
            return
        super().save_session(app, session, response)


def init_app(app) -> None:
    if app.config.get("TRUST_PROXY"):
        n = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    app.session_interface = _SessionInterface()

    @app.after_request
    def _headers(response):
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        for name, value in DEFAULT_HEADERS:  # setdefault, in one pass over the headers, not one each
            if name.lower() not in present:
                headers.add(name, value)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "Cache-Control" not in headers and _personal(request):
            # A shared phone's browser must not keep what one person saw (their account, a
            # community's stories, a review queue) for the next. Assets, media and the shell set
            # their own caching, deliberately, and keep it.
            response.cache_control.private = True
            response.cache_control.no_store = True
        _csrf_cookie(response)
        return response


CSRF_COOKIE = "csrf_token"


def _csrf_cookie(response) -> None:
    """The CSRF token the pages carry in <meta name="csrf-token">, also as a cookie scripts may
    read (docs/sync.md): the service worker has no page to read it from. Only for a signed-in
    session, on answers that are not public (those carry no Set-Cookie: _SessionInterface),
    and only when the cookie the phone sent no longer stands for this session's token, so an
    ordinary page costs no header."""
    if response.cache_control.public or "_user_id" not in session or "csrf_token" not in session:
        return
    try:
        validate_csrf(request.cookies.get(CSRF_COOKIE))
        return
    except ValidationError:
        pass
    response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Lax", httponly=False,
                        secure=bool(request.is_secure), path="/")


def _personal(req) -> bool:
    """A signed-in session or a bearer token: the answer may hold what only this person may see."""
    return "_user_id" in session or "Authorization" in req.headers


def local_path(target, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: never a redirect elsewhere.

    Browsers drop tabs and newlines from a URL and read ``\\`` as ``/``, so ``/<TAB>/evil.example``
    and ``/\\evil.example`` both lead off-site: anything with a control character or a backslash
    is refused whole, and what is left must parse with no scheme and no host.
    """
    if not isinstance(target, str):
        return default
    for form in (target, unquote(target)):  # judged as sent and as a later decoding would read it
        if (not form.startswith("/") or form.startswith("//") or "\\" in form
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in form)):
            return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
