"""Sync: the contract's push and pull (docs/sync.md)."""
from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/api/v1/sync")

from . import routes  # noqa: E402,F401
