"""Translations of stories: added by people (the author, a facilitator, a volunteer), each with
its language and translator, shown in the reader's language with a link to the original."""
from flask import Blueprint

bp = Blueprint("translations", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion

from ..stories import hooks as story_hooks  # noqa: E402
from . import service as _service  # noqa: E402

# What translations add to stories (stories/hooks.py): the sync view, the feed's language filter
# and menu, the story page's translation and panel; and they go when the story's content does.
story_hooks.register_view_extender(_service.add_to_story_view)
story_hooks.register_view_preload(_service.preload_plain_views)
story_hooks.register_view_key(_service.translators_key)
story_hooks.register_feed_filter(_service.feed_filter)
story_hooks.register_feed_context(_service.feed_context)
story_hooks.register_story_page_context(_service.story_page)
story_hooks.register_withdrawal_hook(_service.delete_with_story)

from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # pushed and pulled by the sync engine
