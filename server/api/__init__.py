"""The versioned JSON API's shared parts: body parsing, limits, communities, OpenAPI, health."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401
