"""Translations of stories: added by people (the author, a facilitator, a volunteer), each with
its language and translator, shown in the reader's language with a link to the original."""
from flask import Blueprint

bp = Blueprint("translations", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion
from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # pushed and pulled by the sync engine
