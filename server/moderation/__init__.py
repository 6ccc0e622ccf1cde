"""Moderation: the review list for facilitators and the moderation API."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import routes  # noqa: E402,F401
