"""/healthz: is this process able to serve? The database answers a query, and the media store
takes, gives back and deletes a tiny file. Cheap enough to be polled every few seconds by a
load balancer (it is benchmarked against a hello-world page): a pass is reused for
HEALTHZ_CACHE_SECONDS (1 s) by this process, so a flood of probes costs one check a second;
a failure is never reused, each probe checks again.

While a pass is reused, a plain probe (GET /healthz without cookies, credentials or a query)
is answered in front of the app (FastHealthz, server/front.py) with the headers and body the
app itself gave for the last probe that passed, a fresh request id, and its metrics and access
line: the app's every-request hooks cost three times a hello-world page, and a probe needs none.
"""
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import front
from .extensions import db
from .media.store import get_store

bp = Blueprint("health", __name__)

# The machine-readable code of a failed check (the first that failed is the answer's code).
CODES = {"database": "database_unavailable", "media": "media_store_unavailable"}


def _database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _media() -> bool:
    try:
        get_store().check()
        return True
    except OSError:
        return False


PASSED_AT = "kultialogo_health_passed_at"


def _reusable(app, now: float) -> bool:
    """Whether a pass may be reused now: one came less than HEALTHZ_CACHE_SECONDS ago."""
    ttl = float(app.config.get("HEALTHZ_CACHE_SECONDS") or 0)
    passed_at = app.extensions.get(PASSED_AT)
    return ttl > 0 and passed_at is not None and now - passed_at < ttl


def _checks() -> dict[str, str]:
    now = time.monotonic()
    if _reusable(current_app, now):
        return {"database": "ok", "media": "ok"}
    checks = {"database": "ok" if _database() else "failed", "media": "ok" if _media() else "failed"}
    current_app.extensions[PASSED_AT] = (
        now if all(state == "ok" for state in checks.values()) else None)
    return checks


@bp.get("/healthz")
def healthz():
    checks = _checks()
    failed = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "unavailable" if failed else "ok", "checks": checks,
            "database": db.engine.dialect.name}
    if failed:
        body["code"] = CODES[failed[0]]
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.cache_control.no_store = True
    return response


ROUTE = "/healthz"


class FastHealthz:
    """WSGI in front of the app (init_app): a plain probe while a pass is reused gets the answer
    the app gave the last plain probe that passed (front.Templates), with its own request id,
    metrics and access line. Any other request, or a probe when no pass may be reused, goes to
    the app, which checks."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.answers = front.Templates()

    @staticmethod
    def _plain(environ) -> bool:
        return (environ.get("PATH_INFO") == ROUTE and environ.get("REQUEST_METHOD") == "GET"
                and not environ.get("QUERY_STRING") and "HTTP_COOKIE" not in environ
                and "HTTP_AUTHORIZATION" not in environ)

    def __call__(self, environ, start_response):
        if not self._plain(environ) or self.app.config.get("LOG_IPS"):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = front.template_key(environ, 200)
        kept = self.answers.get(key)
        if kept is None or not _reusable(self.app, time.monotonic()):
            return self.answers.through_app(self.wsgi_app, environ, start_response, key)
        return front.answer(self.app, environ, start_response, kept, ROUTE, started, "anonymous")


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.wsgi_app = FastHealthz(app, app.wsgi_app)
