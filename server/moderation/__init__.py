"""Moderation: the review and reports queues for facilitators, reporting a story, and the
moderation and report API. Logic in service.py, reports in models.py, words in reasons.py."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import routes  # noqa: E402,F401
