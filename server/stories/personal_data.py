"""The stories part of a person's data: the stories they wrote (or that were recorded for them)."""
from sqlalchemy import select, update

from ..extensions import db
from ..personal_data import DELETE, Part
from ..timeutil import isoformat, utcnow
from . import service
from .models import STATUS_WITHDRAWN, Story


def written_by(person) -> list:
    return list(db.session.scalars(select(Story).where(Story.author_id == person.id).order_by(Story.received_at)))


def _export(person) -> dict:
    out = []
    for story in written_by(person):
        if story.status == STATUS_WITHDRAWN:
            out.append({"id": str(story.id), "status": "withdrawn", "withdrawn_at": isoformat(story.updated_at)})
            continue
        view = service.story_view(story, story.author)
        view["moderation_reason"] = story.moderation_reason or None
        out.append(view)
    return {"stories.json": out}


def _forget(person, choice, revs) -> None:
    """Their stories are withdrawn (only a tombstone stays, so phones delete their copies) or
    kept without their name (a new revision, so phones replace the name they cached)."""
    for story in written_by(person):
        if story.status == STATUS_WITHDRAWN:
            continue
        if choice == DELETE:
            service.withdraw(person, story.id, revs=revs, existing=story)
        else:
            story.author_id = None
            story.author = None
            story.author_display = "anonymous"
            story.conflicts.clear()
            story.updated_at = utcnow()
            story.revision = revs.next()
    # Their name as recorder of other people's consent goes too (the audit log keeps the kind),
    # each story at a new revision: the author's and moderators' phones cached that name and
    # replace it only when the story comes back in their pull.
    recorded = select(Story).where(Story.recorded_by_id == person.id, Story.status != STATUS_WITHDRAWN)
    for story in db.session.scalars(recorded):
        story.consent_recorded_by = None
        story.recorded_by_id = None
        story.updated_at = utcnow()
        story.revision = revs.next()
    # A withdrawn story keeps no content to send again; its column is cleared all the same.
    db.session.execute(update(Story).where(Story.recorded_by_id == person.id)
                       .values(consent_recorded_by=None, recorded_by_id=None)
                       .execution_options(synchronize_session=False))


def own_stories(person) -> list:
    """The person's stories, newest first, without the withdrawn ones (their account page)."""
    return list(db.session.scalars(select(Story).where(Story.author_id == person.id, Story.status != STATUS_WITHDRAWN)
                                   .order_by(Story.received_at.desc(), Story.id)))


PART = Part("stories", "stories.json (every story you wrote or that was recorded for you)",
            _export, _forget, order=50)
