"""Stories: the feed, a story's page and the write form (the API side lives in sync/)."""
from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion
from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # stories move through the sync engine as the kind "story"
