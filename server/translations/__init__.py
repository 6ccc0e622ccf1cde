"""Translations of stories: added by people (the author, a facilitator, a volunteer), each with
its language and translator, shown in the reader's language with a link to the original."""
from flask import Blueprint

bp = Blueprint("translations", __name__)

from . import routes  # noqa: E402,F401
