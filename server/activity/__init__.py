"""Follows and the activity list: a person follows a community or a story, and sees on /activity
what happened there since, newest first (and offline, what the phone pulled: pwa/js/activity.js).

The activity list is made of SOURCES (service.py). A source is a function
``fn(viewer, limit) -> list[Entry]`` returning at most ``limit`` recent entries for that viewer,
each with ``kind`` (a word: "story", "reply", "help"), ``at`` (an aware datetime), ``url`` (where
to read it), ``title`` and ``record_id``. A source must return only what the viewer may read
(check with policy.py), never another person's private records. Registering one is one line,
in the domain that owns the records or at the integration point in create_app:

    from kultialogo.activity import register_source
    register_source(stories_for_activity)

templates/activity/page.html words each kind ("A new story", "A new reply", ...): a new kind
adds its line there (and to pwa/js/activity-kinds.js for the offline list). To also reach the
person's browsers, the domain calls ``kultialogo.webpush.notify(account_ids)`` in its write
transaction (a job, sent once that commits): the line is always the same neutral one.

Stories: the source here lists stories first published in followed communities since the
follow; stories/hooks.py's publish point tells us of a first publication, and the transaction
queues one job (notifications.py) that pushes to the followers who may read it.
"""
from flask import Blueprint

bp = Blueprint("activity", __name__)

from . import routes  # noqa: E402,F401
from .service import register_source, unregister_source  # noqa: E402,F401
from . import notifications as _notifications  # noqa: E402
from . import service as _service  # noqa: E402

register_source(_service.stories_for_activity)

from . import sources as _sources  # noqa: E402

register_source(_sources.replies_for_activity)  # replies to one's stories and followed stories
register_source(_sources.help_for_activity)  # help requests: only the asker's and their helpers' news

from ..stories import hooks as story_hooks  # noqa: E402

story_hooks.register_publish_hook(_notifications.story_published)
story_hooks.register_story_page_context(_service.story_page)

from ..personal_data import register as register_personal_data  # noqa: E402
from . import personal_data as _part  # noqa: E402

register_personal_data(_part.PART)  # follows and push subscriptions: downloaded, and gone with the account

from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # a phone follows offline and pulls its own follows
