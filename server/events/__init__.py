"""Events: assemblies, storytelling sessions, exchanges, camps and trainings of a community,
who came to them, and the stories told there."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from . import routes  # noqa: E402,F401
from ..records import register as register_kind  # noqa: E402
from . import records as _kinds  # noqa: E402
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion

from ..stories import hooks as story_hooks  # noqa: E402
from . import service as _service  # noqa: E402

# What events add to stories (stories/hooks.py): the check of the event a story names, the
# event on the story's page, and the write form's choice of event.
story_hooks.register_content_check(_service.check_story_event)
story_hooks.register_story_page_context(_service.story_page_context)
story_hooks.register_write_page_context(_service.write_page_context)
story_hooks.register_form_content(_service.form_content)
story_hooks.register_withdrawal_hook(_service.lines_go_with_story)  # told lines: tombstoned

register_kind(_kinds.ATTENDANCE_KIND)  # an event's attendance, recorded on a phone offline
register_kind(_kinds.TOLD_KIND)  # a story told at an event
