"""GET /exports/<what>.<csv|json>: the dashboard's filters as parameters; streamed."""
from flask import Response, request, stream_with_context
from flask_login import current_user, login_required

from . import bp, service


def _download(what: str, fmt: str) -> Response:
    export = service.for_viewer(current_user, what, fmt, request.args)
    service.record(current_user, export, via="web")
    body = stream_with_context(service.chunks(export))
    mimetype = service.MIMETYPES[export.format]
    response = Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"  # people's data: never in a cache
    return response


def _route(what: str):
    def view(format):
        return _download(what, format)
    view.__name__ = what
    bp.add_url_rule(f"/exports/{what}.<any(csv, json):format>", endpoint=what, view_func=login_required(view))


for _what in service.EXPORTS:
    _route(_what)
