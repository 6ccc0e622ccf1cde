"""Exports for funders' reports: CSV and JSON, streamed, from the dashboard and the command line."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import routes  # noqa: E402,F401
