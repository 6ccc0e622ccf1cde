import hashlib
import hmac

from flask import current_app, jsonify
from flask_babel import get_locale
from sqlalchemy import select

from .. import disclosure, limits
from ..accounts.auth import api_requester
from ..communities.models import Community
from ..errors import Problem
from ..extensions import csrf, db
from ..accounts.models import member_names
from . import bp
from .openapi import openapi_document

# The API authenticates each request itself (bearer token, or session plus the CSRF header
# checked in api_requester), so the form-oriented global CSRF check stays off here.
csrf.exempt(bp)


@bp.get("/limits")
def get_limits():
    response = jsonify(limits.published(current_app.config["PUSH_RATE_LIMIT_PER_MINUTE"]))
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/communities")
def list_communities():
    viewer = api_requester(required=False)
    locale = str(get_locale())
    rows = db.session.scalars(select(Community).order_by(Community.slug)).all()
    out = []
    for community in rows:
        role = viewer.role_in(community.id) if viewer is not None else None
        out.append({"slug": community.slug, "name": community.name_for(locale), "role": role})
    response = jsonify(out)
    response.vary.add("Authorization")
    response.vary.add("Accept-Language")
    return response


def name_salt(community_id: int) -> str:
    """The community's salt for name hashes: fixed per community and server (from the secret
    key), so a phone's cached list stays good, and unlike any other community's."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"name-hashes:{community_id}".encode(), hashlib.sha256).hexdigest()[:16]


@bp.get("/communities/<slug>/name-hashes")
def community_name_hashes(slug):
    """Short salted hashes of the other members' full names, for the phone's personal-data
    warning (pwa/js/disclosure.js): members only, never the names themselves."""
    viewer = api_requester(required=True)
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise Problem("unknown_community", status=404)
    if viewer.role_in(community.id) is None:
        raise Problem("not_member", status=403)
    salt = name_salt(community.id)
    response = jsonify({"community": community.slug, "salt": salt, "bits": disclosure.NAME_HASH_BITS,
                        "words": list(disclosure.NAME_WORDS),
                        "hashes": disclosure.name_hashes(salt, member_names(community.id, viewer.id))})
    response.cache_control.private = True
    response.cache_control.no_store = True
    response.vary.add("Authorization")
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
