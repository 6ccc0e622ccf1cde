"""Replies to stories and reactions to them: short answers and a fixed set of reactions, seen by
those who can see the story, moderated by the same rules as stories, written offline like them."""
from flask import Blueprint

bp = Blueprint("replies", __name__)

from . import routes  # noqa: E402,F401
from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # its share of a person's data download and account deletion

from ..stories import hooks as story_hooks  # noqa: E402
from . import service as _service  # noqa: E402

# What replies add to stories (stories/hooks.py): the replies and reactions under a story's page;
# and they go when the story's content does.
story_hooks.register_story_page_context(_service.story_page)
story_hooks.register_withdrawal_hook(_service.delete_with_story)

from ..records import register as register_kind  # noqa: E402
from .records import REACTION_KIND, REPLY_KIND  # noqa: E402

register_kind(REPLY_KIND)  # pushed and pulled by the sync engine
register_kind(REACTION_KIND)

from ..attachments import Referrer, register_referrer  # noqa: E402

# A voice reply's recording: served to those who see the reply, kept while the reply names it.
register_referrer(Referrer("reply", _service.replies_naming, _service.may_hear, _service.named_in_community))
