from flask import current_app, jsonify, request

from .. import limits
from ..accounts.auth import api_requester
from ..api.body import PUSH_MAX_DEPTH, read_json
from ..errors import Problem
from ..extensions import csrf, limiter
from ..timeutil import isoformat, utcnow
from . import bp, service

csrf.exempt(bp)


def _push_limit() -> str:
    return f"{current_app.config['PUSH_RATE_LIMIT_PER_MINUTE']} per minute"


@bp.post("/push")
@limiter.limit(_push_limit)
def push():
    actor = api_requester(required=True)
    body = read_json(limits.PUSH_MAX_BYTES, max_depth=PUSH_MAX_DEPTH)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise Problem("bad_request", status=400, field="items")
    results = service.push(actor, body["items"])
    return jsonify({"results": results, "server_time": isoformat(utcnow()),
                    "protocol": service.PROTOCOL_VERSION})


@bp.get("/pull")
def pull():
    viewer = api_requester(required=False)
    since = service.decode_cursor(request.args.get("cursor"))
    limit = service.parse_limit(request.args.get("limit"))
    kinds = service.parse_kinds(request.args.get("kinds"))
    head, etag = service.pull_head(viewer, since, limit, kinds)
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        page = service.pull(viewer, since, limit, head=head, kinds=kinds)
        response = jsonify({"items": page.items, "cursor": page.cursor, "more": page.more,
                            "protocol": service.PROTOCOL_VERSION})
    response.set_etag(etag)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response
