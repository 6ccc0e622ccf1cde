"""Answers given in front of the app, in WSGI, for the few requests that are most of the
traffic and need none of Flask's per-request machinery: a load balancer's probe of /healthz
(health.FastHealthz) and a phone checking in with nothing new (sync.checkin). Flask's hooks
(request context, session, limiter, security headers, compression, metrics) cost two to three
times such an answer's own work (bench/hotpaths.py).

Such an answer must be the one the app would give. Its headers are not written here: they are
the headers the app gave the last time it answered the same kind of request (``Templates``),
kept per what decides them (the scheme and the forwarded-protocol headers, for HSTS; the
Accept-Encoding, for Vary). Only what differs per answer is put in: its ETag and length, a
fresh request id. The request still counts in the metrics and writes its access line
(``answer``). Until the app has answered such a request once, the request goes to the app.

Plumbing: it imports no domain.
"""
import time

from .observability import logs, metrics

# Headers kept per key: keys come from request headers, so a client could make up endless
# ones; past this many, new kinds of request go to the app (which answers them as always).
MAX_TEMPLATES = 64

# What differs per answer: never kept, always put in fresh.
_FRESH = {"etag", "content-length", logs.REQUEST_ID_HEADER.lower()}


def template_key(environ, status: int) -> tuple:
    """What decides an answer's headers, besides its status."""
    return (status, environ.get("wsgi.url_scheme"), environ.get("HTTP_X_FORWARDED_PROTO"),
            environ.get("HTTP_X_FORWARDED_SSL"), environ.get("HTTP_FORWARDED"), environ.get("HTTP_ACCEPT_ENCODING"))


class Templates:
    """The headers (and body, for answers that are always the same) of the app's last answer
    of one kind, per template_key."""

    def __init__(self):
        self._kept: dict = {}

    def get(self, key):
        """(status line, headers with None for the fresh values, body), or None."""
        return self._kept.get(key)

    def forget(self, key) -> None:
        self._kept.pop(key, None)

    def through_app(self, wsgi_app, environ, start_response, key):
        """The app answers; its answer is kept for ``key`` when its status is key's, it sets no
        cookie and is not compressed (compression depends on the body, which may differ)."""
        seen = {}

        def keep(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = wsgi_app(environ, keep)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = seen.get("headers") or []
        names = {name.lower() for name, _value in headers}
        if (seen.get("status", "").startswith(f"{key[0]} ") and "set-cookie" not in names
                and "content-encoding" not in names):
            if key in self._kept or len(self._kept) < MAX_TEMPLATES:
                self._kept[key] = (seen["status"], [(n, None if n.lower() in _FRESH else v) for n, v in headers],
                                   body)
        else:
            self.forget(key)  # the app now answers otherwise (a failed check): keep nothing old
        return [body]


def answer(app, environ, start_response, kept, route: str, started: float, role: str,
           body: bytes | None = None, etag: str | None = None) -> list[bytes]:
    """Write ``kept`` (Templates.get) with ``body`` (else the kept one) and ``etag``, a fresh
    request id, and count and log it as the app's hooks would (observability)."""
    status, headers, kept_body = kept
    body = kept_body if body is None else body
    rid = logs.new_request_id(environ.get("HTTP_X_REQUEST_ID"))
    fresh = {"etag": etag, "content-length": str(len(body)), logs.REQUEST_ID_HEADER.lower(): rid}
    # In the places the app put them; a fresh one the app gave and this answer has not (no
    # ETag given) is left out.
    headers = [(n, v if v is not None else fresh[n.lower()]) for n, v in headers
               if v is not None or fresh[n.lower()] is not None]
    if logs.REQUEST_ID_HEADER.lower() not in {n.lower() for n, _v in headers}:
        headers.append((logs.REQUEST_ID_HEADER, rid))
    start_response(status, headers)
    code = status.split(" ", 1)[0]
    elapsed = time.perf_counter() - started
    metrics.REQUESTS.labels(route, environ["REQUEST_METHOD"], code).inc()
    metrics.LATENCY.labels(route).observe(elapsed)
    if app.extensions.get("kultialogo_access_log"):
        logs.write_access_line({"method": environ["REQUEST_METHOD"], "route": route, "status": int(code),
                                "duration_ms": round(elapsed * 1000, 2), "bytes": len(body), "role": role,
                                "request_id": rid})
    return [body]
