"""Events: assemblies, storytelling sessions, exchanges, camps and trainings of a community,
who came to them, and the stories told there."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from . import routes  # noqa: E402,F401
