"""Moderation: the review and reports queues for facilitators, reporting a story, and the
moderation and report API. Logic in service.py, reports in models.py, words in reasons.py."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion

from ..stories import hooks as story_hooks  # noqa: E402
from . import service as _service  # noqa: E402

# What moderation adds to stories (stories/hooks.py): the reason for its author in the sync
# view; and the reports on a story go when its content does.
story_hooks.register_view_extender(_service.add_reason_to_story_view)
story_hooks.register_withdrawal_hook(_service.delete_reports_with_story)

from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # pushed and pulled by the sync engine
