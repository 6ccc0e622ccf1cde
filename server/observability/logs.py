"""Request ids and logs: one access line per request, and the request's id on every line.

Two formats (``KULTIALOGO_LOG_FORMAT``): ``text``, the readable default for a terminal, and
``json``, one JSON object per line for a log collector. What a line may hold is fixed here:
the route *template* (``/api/v1/stories/<uuid:story_id>``), never the path as sent (it can
carry a name, a code or a token), the role and never the account, and the client's address
only when ``KULTIALOGO_LOG_IPS`` is set. Nothing here reads a request body.
"""
import json
import logging
import os
import re
import sys
import time

from flask import g, has_request_context, request, session

ACCESS_LOGGER = "kultialogo.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or a phone sent is kept only if it is short and plain: it is echoed in a
# header and written to every log line, so nothing that could break either.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
UNMATCHED_ROUTE = "<unmatched>"  # no route matched (a 404): the path is not logged
LOG_FORMATS = ("text", "json")

_handler: logging.Handler | None = None


def request_id() -> str | None:
    """This request's id (outside a request: None)."""
    return g.get("request_id") if has_request_context() else None


def new_request_id(sent: str | None = None) -> str:
    """The id of a request that sent this X-Request-ID header (or none): kept if it is safe."""
    return sent if sent and SAFE_REQUEST_ID.fullmatch(sent) else _new_request_id()


def _new_request_id() -> str:
    return os.urandom(8).hex()


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, then the fields
    passed with ``extra=``. The stdlib suffices: a dozen lines, no dependency to keep."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


class TextFormatter(logging.Formatter):
    """The readable form: ``time LEVEL logger [request id] message``."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(app) -> None:
    """Send the app's logs (the ``kultialogo`` logger and below; in JSON, every logger) to
    stderr in the configured format, once per process: the last app made sets the format."""
    global _handler
    fmt = str(app.config.get("LOG_FORMAT") or "text").lower()
    if fmt not in LOG_FORMATS:
        from ..config import ConfigError
        raise ConfigError(f"KULTIALOGO_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}.")
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.addFilter(RequestIdFilter())
    _handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    from flask.logging import default_handler
    app.logger.removeHandler(default_handler)  # ours instead, with the request id
    # JSON is for collectors: every library's lines (waitress, SQLAlchemy) in the same form.
    # Text stays on the app's own logger: the terminal of `kultialogo run` shows only ours.
    target, other = (logging.getLogger(), app.logger) if fmt == "json" else (app.logger, logging.getLogger())
    other.removeHandler(_handler)
    if _handler not in target.handlers:
        target.addHandler(_handler)
    app.logger.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    access_on = app.config.get("ACCESS_LOG")
    if access_on is None:
        access_on = fmt == "json"
    app.extensions["kultialogo_access_log"] = bool(access_on)


def start_request() -> None:
    """Before anything else in a request: its id and start time."""
    g.request_started = time.perf_counter()
    g.pop("log_role", None)  # a test client may reuse one app context (and g) for many requests
    g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))


def route_of() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def role_of() -> str:
    """Who asked, as a role only: noted where the requester was looked up (``note_role``);
    ``signed_in`` when credentials came but this request never needed to look them up."""
    role = g.get("log_role")
    if role:
        return role
    if "node_token" in g:
        return "node"
    if "Authorization" in request.headers or "_user_id" in session:
        return "signed_in"
    return "anonymous"


def note_role(account) -> None:
    """Called where the requester is looked up: remember their role for the access line."""
    if has_request_context():
        g.log_role = getattr(account, "role", None) if account is not None else "anonymous"


def access_line(app, response) -> None:
    """Log the request's one access line (when the access log is on)."""
    if not app.extensions.get("kultialogo_access_log"):
        return
    duration_ms = round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 2)
    fields = {"method": request.method, "route": route_of(), "status": response.status_code,
              "duration_ms": duration_ms, "bytes": response.content_length, "role": role_of()}
    if app.config.get("LOG_IPS"):
        fields["ip"] = request.remote_addr
    write_access_line(fields)


def write_access_line(fields: dict) -> None:
    """The access line of these fields (method, route, status, duration_ms, bytes, role; a
    ``request_id`` among them is the line's id, else the current request's)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if logger.isEnabledFor(logging.INFO):
        # makeRecord + handle is logger.info without its walk up the stack for the caller's
        # file and line, which would be this line each time: it is on every request.
        logger.handle(logger.makeRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, "%s %s %s %sms",
                                        (fields["method"], fields["route"], fields["status"],
                                         fields["duration_ms"]), None, extra=fields))
