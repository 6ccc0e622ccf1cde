from flask import current_app, jsonify
from flask_babel import get_locale
from sqlalchemy import select

from .. import limits
from ..accounts.auth import api_requester
from ..communities.models import Community
from ..extensions import csrf, db
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


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
