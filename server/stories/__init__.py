"""Stories: the feed, a story's page and the write form (the API side lives in sync/)."""
from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import routes  # noqa: E402,F401
