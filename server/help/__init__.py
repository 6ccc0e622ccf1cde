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

from ..attachments import Referrer, register_referrer  # noqa: E402
from . import service as _service  # noqa: E402

# A request's or message's recording: heard only by the asker and the community's mediators and
# coaches (media answers 404 to anyone else), kept while the request holds it.
register_referrer(Referrer("help_request", _service.requests_naming, _service.may_hear_request,
                           _service.request_named_in_community))
register_referrer(Referrer("help_message", _service.messages_naming, _service.may_hear_message,
                           _service.message_named_in_community))
