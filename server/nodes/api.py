"""What central answers a camp node (docs/sync.md, Camp nodes): the same push and pull as
phones (the sync engine), with the node's token, plus its start-up data and its media.

Every route takes the node token (Authorization: Bearer kn_...) and nothing else: a node is
not a person, and a person's token or session is refused here.
"""
from flask import Blueprint, abort, g, jsonify, request, send_file
from sqlalchemy import select

from .. import limits
from ..accounts import records as account_records
from ..api.body import PUSH_MAX_DEPTH, read_json
from ..communities.models import Community
from ..errors import Problem
from ..events.models import Event
from ..extensions import csrf, db
from ..media.store import SHA256_RE
from ..revisions import current_revision
from ..sync import engine, service as sync_service
from ..timeutil import isoformat, utcnow
from . import media as node_media
from .models import NodeToken
from .peers import NodeAtCentral
from .tokens import node_for

bp = Blueprint("node_api", __name__, url_prefix="/api/v1/node")
csrf.exempt(bp)


def _node() -> NodeToken:
    if "node_token" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        found = node_for(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            problem = Problem("bad_token", status=401)
            problem.headers["WWW-Authenticate"] = 'Bearer realm="kultialogo-node"'
            raise problem
        g.node_token = found
    return g.node_token


@bp.get("/bootstrap")
def bootstrap():
    """What a node needs before the first pull: its community, its events, its people."""
    node = _node()
    community = db.session.get(Community, node.community_id)
    events = db.session.scalars(select(Event).where(Event.community_id == community.id).order_by(Event.id))
    return jsonify({
        "protocol": sync_service.PROTOCOL_VERSION, "node": {"id": node.id, "label": node.label,
                                                            "event": node.event_id},
        "community": {"id": community.id, "slug": community.slug, "names": community.names,
                      "description": community.description, "default_language": community.default_language,
                      "moderation": community.moderation, "reports_to_hide": community.reports_to_hide},
        "events": [event_replica(e) for e in events],
        "accounts": account_records.replica_list(
            community.id, secrets_for=account_records.is_facilitator_of(community.id)),
        "server_time": isoformat(utcnow())})


def event_replica(event: Event) -> dict:
    """An event as a node shows it (made on central; the attendance travels as its own kind)."""
    return {"id": event.id, "kind": event.kind, "title": event.title, "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat() if event.ends_on else None, "place": event.place,
            "attendance_id": str(event.attendance_id)}


@bp.post("/push")
def push():
    node = _node()
    items, protocol = engine.read_push(read_json(limits.NODE_PUSH_MAX_BYTES, max_depth=PUSH_MAX_DEPTH))
    answers = engine.push(NodeAtCentral(node), items, max_items=limits.NODE_PUSH_MAX_ITEMS)
    return jsonify({"results": [engine.answer(a, protocol) for a in answers], "server_time": isoformat(utcnow()),
                    "protocol": sync_service.PROTOCOL_VERSION})


@bp.get("/pull")
def pull():
    node = _node()
    since = sync_service.decode_cursor(request.args.get("cursor"))
    limit = sync_service.parse_limit(request.args.get("limit"))
    kinds = engine.parse_kinds(request.args.get("kinds")) or ("story",)
    head = current_revision(db.session)  # read first: what the page shows is at or below it
    items, more, last = engine.pull(NodeAtCentral(node), since, limit, kinds, head=head)
    return jsonify({"items": items, "cursor": sync_service.encode_cursor(last), "more": more,
                    "head": head, "protocol": sync_service.PROTOCOL_VERSION})


@bp.post("/media/missing")
def media_missing():
    """Which of these files central lacks: one question per chunk instead of one per file."""
    _node()
    body = read_json(limits.NODE_PUSH_MAX_BYTES)
    hashes = body.get("hashes") if isinstance(body, dict) else None
    if not isinstance(hashes, list) or len(hashes) > limits.NODE_PUSH_MAX_ITEMS:
        raise Problem("bad_request", status=400, field="hashes")
    wanted = [h for h in hashes if isinstance(h, str) and SHA256_RE.match(h)]
    return jsonify({"missing": node_media.missing(wanted)})


@bp.route("/media/<sha256>", methods=["HEAD", "GET"])
def media_get(sha256):
    node = _node()
    if not SHA256_RE.match(sha256):
        abort(404)
    found = node_media.file_in_scope(node.community_id, sha256)
    if found is None:
        abort(404)
    media, path = found
    if request.method == "HEAD":
        return "", 200, {"Content-Type": media.content_type, "Content-Length": str(path.stat().st_size)}
    return send_file(path, mimetype=media.content_type, etag=sha256, conditional=True)


@bp.put("/media/<sha256>")
def media_put(sha256):
    """A file a node's story names, as the node stores it (already checked and cleaned there);
    checked again here, by its bytes, and kept byte for byte so both sides hold the same file."""
    _node()
    if not SHA256_RE.match(sha256):
        raise Problem("bad_request", status=400, field="sha256")
    declared = request.headers.get("X-Content-SHA256", "")
    length = request.content_length
    if length is None or length > limits.MEDIA_MAX_BYTES:
        raise Problem("too_large", status=413, max=limits.MEDIA_MAX_BYTES)
    node_media.receive(sha256, declared, request.stream, length)
    return "", 204
