"""Observability: request ids, structured logs, Prometheus metrics and /metrics.

Plumbing: it imports no domain. Domains report to it (``metrics.count_push``,
``metrics.count_upload``, ``metrics.register_backlog``, ``logs.note_role``).
"""
import hmac
import ipaddress
import time

from flask import Blueprint, abort, current_app, g, request

from . import logs, metrics

bp = Blueprint("observability", __name__)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def init_app(app) -> None:
    """Logging, then the hooks every request passes through. Call before any other extension's
    hooks: its before_request runs first (the id exists when a rate limit refuses) and its
    after_request last (it sees the final status and the compressed size)."""
    logs.configure(app)
    app.before_request(logs.start_request)

    @app.after_request
    def _observe(response):
        route = logs.route_of()
        started = g.get("request_started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(elapsed)
        rid = g.get("request_id")
        if rid:
            response.headers[logs.REQUEST_ID_HEADER] = rid
        logs.access_line(current_app, response)
        return response

    app.register_blueprint(bp)
    # Flask's own line for an unexpected error names the path as sent: the template instead.
    app.log_exception = lambda exc_info: app.logger.error(
        "Exception on %s [%s]", logs.route_of(), request.method, exc_info=exc_info)


def _allowed() -> bool:
    """A bearer token equal to KULTIALOGO_METRICS_TOKEN; with no token set, a request from this
    machine that no proxy forwarded, and none at all behind a declared proxy (TRUST_PROXY)."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), str(token).encode())
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    if current_app.config.get("TRUST_PROXY"):
        # A proxy is declared in front: a request it passed on without saying whom from would
        # look local too. Behind one, only the token opens /metrics.
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics_view():
    if not _allowed():
        abort(404)  # as if there were nothing here
    response = current_app.response_class(metrics.exposition(), mimetype="text/plain")
    response.headers["Content-Type"] = PROMETHEUS_CONTENT_TYPE
    response.cache_control.no_store = True
    return response
