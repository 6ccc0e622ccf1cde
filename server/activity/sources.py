"""The activity list's sources for replies and help requests (service.py holds the registry).

They live here, not in replies/ or help/, because activity sits above those domains in the
layers: it may ask them, they know nothing of follows. Each adapter turns the domain's
``*_for_activity`` answer into Entries, and keeps only what the viewer may see.
"""
import uuid
from datetime import datetime

from sqlalchemy import select

from .. import policy
from ..extensions import db
from ..help import service as help_service
from ..help.labels import TOPIC_LABELS
from ..help.models import HelpRequest
from ..replies import service as replies_service
from ..stories.models import Story
from ..timeutil import as_utc
from .models import Follow
from .service import Entry


def _when(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def replies_for_activity(viewer, limit: int) -> list[Entry]:
    """Published replies by others to the viewer's stories and, since they followed them, to
    the stories they follow."""
    from flask import url_for

    if not policy.signed_in(viewer):
        return []
    followed = {row.story_id: as_utc(row.created_at) for row in db.session.execute(
        select(Follow.story_id, Follow.created_at).where(Follow.account_id == viewer.id, Follow.story_id.is_not(None)))}
    views = replies_service.replies_for_activity(viewer, 0, limit, story_ids=list(followed), newest=True)
    stories = {s.id: s for s in db.session.scalars(
        select(Story).where(Story.id.in_([uuid.UUID(v["story"]) for v in views])))} if views else {}
    out = []
    for view in views:
        story, at = stories.get(uuid.UUID(view["story"])), _when(view["created_at"])
        if story is None:
            continue
        since = followed.get(story.id)
        if story.author_id != viewer.id and since is not None and at < since:
            continue  # in a followed story, only what came after the follow is new
        out.append(Entry("reply", at, url_for("stories.show", story_id=story.id) + f"#reply-{view['id']}",
                         story.title, view["id"]))
    return out


# The asker's news ("help": an answer, a change of state) and a helper's ("help_new").
_HELP_KINDS = {"help_message": "help", "help_state": "help", "help_new": "help_new"}


def help_for_activity(viewer, limit: int) -> list[Entry]:
    """What concerns the viewer in help requests, one line per request and kind (an answer
    and the claim it made are one piece of news). The title is the topic's name, never the
    request's words; each request is checked once more against the policy."""
    from flask import url_for

    if not policy.signed_in(viewer):
        return []
    found = [entry for _rev, entry in help_service.help_for_activity(viewer, 0, limit, newest=True)]
    requests = {str(r.sync_id): r for r in db.session.scalars(
        select(HelpRequest).where(HelpRequest.sync_id.in_([uuid.UUID(e["request"]) for e in found])))} if found else {}
    out, seen = [], set()
    for entry in found:  # newest first: the first of a request is its latest news
        kind, request = _HELP_KINDS[entry["kind"]], requests.get(entry["request"])
        if request is None or (kind, entry["request"]) in seen or not policy.can_see_help_request(viewer, request):
            continue
        seen.add((kind, entry["request"]))
        out.append(Entry(kind, _when(entry["at"]), url_for("help.show", request_id=request.sync_id),
                         str(TOPIC_LABELS.get(request.topic, "")), entry["request"]))
    return out
