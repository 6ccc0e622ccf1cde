from contextlib import nullcontext

from flask import current_app, jsonify, request
from werkzeug.http import quote_etag

from .. import limits
from ..accounts.auth import api_actor, api_reader_and
from ..api.body import PUSH_MAX_DEPTH, read_json
from ..database import read_connection
from ..extensions import csrf, limiter, unlimited
from ..revisions import CURRENT
from ..timeutil import isoformat, utcnow
from . import bp, engine, service

csrf.exempt(bp)


def _push_limit() -> str:
    return f"{current_app.config['PUSH_RATE_LIMIT_PER_MINUTE']} per minute"


@bp.post("/push")
@limiter.limit(_push_limit)
def push():
    actor = api_actor(required=True)
    items, protocol = engine.read_push(read_json(limits.PUSH_MAX_BYTES, max_depth=PUSH_MAX_DEPTH))
    results = service.push(actor, items, protocol)
    return jsonify({"results": results, "server_time": isoformat(utcnow()),
                    "protocol": service.PROTOCOL_VERSION})


@bp.get("/pull")
@unlimited
def pull():
    # A phone checking in with nothing new is mostly answered in front of the app (checkin.py);
    # what reaches here reads as follows. A phone checking in (a bearer token and a cursor)
    # reads its token, its reader and the revision head in one statement on a Core connection,
    # making no ORM session: the session's setup and teardown and a second round trip cost more
    # than the reads, and most such pulls end here (nothing new, or a 304). A pull from the start
    # brings a page, read through the session, which then reads the rest on its one connection;
    # a browser's pull reads its signed-in Account through the session too.
    fast = "Authorization" in request.headers and request.args.get("cursor")
    with read_connection() if fast else nullcontext() as conn:
        viewer, head = api_reader_and(conn, CURRENT)
        since, scope = service.decode_scoped(request.args.get("cursor"))
        limit = service.parse_limit(request.args.get("limit"))
        kinds = service.parse_kinds(request.args.get("kinds"))
        # The reader may see more or less than when the cursor was made: from the start, and the
        # phone drops what it holds from pulls ("reset", docs/sync.md). A cursor of an older server
        # has no scope and is taken as it is.
        reset = scope is not None and scope != service.scope_tag(viewer)
        if reset:
            since = 0
        head, etag = service.pull_head(viewer, since, limit, kinds, reset, conn, head)
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        page = service.pull(viewer, since, limit, head=head, kinds=kinds, reset=reset)
        response = service.page_response(service.pull_body(page, reset))
    # As set_etag(), cache_control.private and .no_cache, vary.add() would write them, without
    # parsing and rewriting each header once per attribute.
    headers = response.headers
    headers["ETag"] = quote_etag(etag)
    headers["Cache-Control"] = "private, no-cache"
    headers["Vary"] = "Authorization, Cookie"
    return response
