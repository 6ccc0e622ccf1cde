"""Pushes after a commit: publish hooks only note the story, so a rolled-back write never
notifies anyone, and the followers are looked up on the Web Push worker, off the request."""
from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..webpush import service as webpush
from . import service
from .models import Follow

_KEY = "activity.published"


def story_published(story) -> None:
    """stories/hooks.py's publish point: remember the story until the commit, if anyone
    follows its community (most publications then cost one indexed lookup and no job)."""
    if story.community_id is None:
        return
    followed = db.session.scalar(select(Follow.id).where(Follow.community_id == story.community_id).limit(1))
    if followed is not None:
        db.session().info.setdefault(_KEY, set()).add(story.id)


def _notify_followers(story_ids) -> None:
    account_ids = service.followers_to_notify(story_ids)
    if account_ids:
        webpush.send_now(sorted(account_ids), "activity")


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    story_ids = session.info.pop(_KEY, None)
    if story_ids and has_app_context():  # a script's own session outside the app: no worker
        webpush.later(_notify_followers, sorted(story_ids))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_KEY, None)
