"""Events: assemblies, storytelling sessions, exchanges, camps and trainings of a community,
who came to them, and the stories told there."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion
