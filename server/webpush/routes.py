"""The Web Push API: the server's public key, and a browser's subscription (JSON, token or
session with its CSRF header). Thin: the checks are in service.py."""
from flask import jsonify
from flask_babel import get_locale

from .. import limits
from ..accounts.auth import api_requester
from ..api.body import read_json
from ..extensions import csrf
from . import bp, keys, service


@bp.get("/api/v1/webpush/key")
def public_key():
    # Only a signed-in person can subscribe; the key itself is public (it only verifies).
    api_requester(required=True)
    response = jsonify({"public_key": keys.public_key()})
    response.cache_control.no_store = True
    return response


@bp.post("/api/v1/webpush/subscriptions")
@csrf.exempt  # api_requester checks the CSRF header of a session request
def subscribe():
    actor = api_requester(required=True)
    body = read_json(limits.WEBPUSH_BODY_MAX)
    created, _sub = service.subscribe(actor, body, str(get_locale() or "en"))
    return jsonify({"result": "created" if created else "unchanged"}), 201 if created else 200


@bp.delete("/api/v1/webpush/subscriptions")
@csrf.exempt
def unsubscribe():
    actor = api_requester(required=True)
    body = read_json(limits.WEBPUSH_BODY_MAX)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    service.unsubscribe(actor, endpoint)
    return "", 204  # idempotent: gone, or never there
