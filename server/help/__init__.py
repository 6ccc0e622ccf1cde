"""Help requests (mediation and coaching): a person asks their community's mediators and
coaches for help, privately, in their language; one claims it, they exchange messages, and it
is closed with an outcome. Only the asker and those helpers ever see it."""
from flask import Blueprint

bp = Blueprint("help", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # the person's requests and messages: downloaded, and purged with the account

from ..records import register as register_kind  # noqa: E402
from .records import MESSAGE_KIND, REQUEST_KIND  # noqa: E402

register_kind(REQUEST_KIND)  # pushed and pulled by the sync engine
register_kind(MESSAGE_KIND)
