"""The dashboard: numbers for coordinators and funders' reports, as charts drawn on the server."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from . import routes  # noqa: E402,F401
