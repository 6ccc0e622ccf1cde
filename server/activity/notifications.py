"""Pushes with a commit: publish hooks only note the story, and the notes become one job queued
in the same transaction, so a rolled-back write never notifies anyone; the followers are
looked up by the job, off the request.

Replies and help requests are noted the same way, from the session's flushes (their domains
sit below activity and know nothing of it): a reply newly published (written by someone
trusted, or published by a facilitator), a message in a help request, a new help request.
Every write path (forms, sync, camp nodes) flushes, so none is missed.
"""
import uuid
from functools import lru_cache

from flask import has_app_context
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session

from .. import jobs, policy
from ..accounts.models import Account, Membership
from ..database import fetch_rows
from ..extensions import db
from ..help.models import HelpMessage, HelpRequest
from ..replies.models import REPLY_PUBLISHED, Reply
from ..webpush import service as webpush
from ..webpush.models import PushSubscription
from . import service
from .models import Follow

_KEY = "activity.published"
_REPLIES, _MESSAGES, _REQUESTS = "activity.replies", "activity.help_messages", "activity.help_requests"
_KEYS = (_KEY, _REPLIES, _MESSAGES, _REQUESTS)
_FOLLOWED = "activity.followed"  # community id -> whether anyone follows it, for one transaction
_ALL = (*_KEYS, "activity.subscribed", _FOLLOWED)


def story_published(story) -> None:
    """stories/hooks.py's publish point: remember the story until the commit, if anyone
    follows its community. Asked once per community per transaction (a push of 100 stories
    in one community is one indexed lookup, not 100), and asked again after a follow is
    written in the same transaction (_note)."""
    if story.community_id is None:
        return
    session = db.session()
    followed = session.info.setdefault(_FOLLOWED, {})
    if story.community_id not in followed:
        # On the session's connection, as Core: no flush (none was wanted), no ORM execution.
        followed[story.community_id] = bool(fetch_rows(session.connection(), _any_follower(),
                                                       {"community_id": story.community_id}))
    if followed[story.community_id]:
        session.info.setdefault(_KEY, set()).add(story.id)


@lru_cache(maxsize=1)
def _any_follower():
    """Built once, as a push asks it for every community it publishes in."""
    follows = Follow.__table__
    return select(follows.c.id).where(follows.c.community_id == bindparam("community_id")).limit(1)


def _newly_published(reply: Reply, new: bool) -> bool:
    if reply.status != REPLY_PUBLISHED:
        return False
    return new or bool(inspect(reply).attrs.status.history.deleted)  # pending or hidden before


def _anyone_subscribed(session) -> bool:
    """Whether any browser subscribed at all, asked once per transaction: without one there is
    nobody to push to and no job to queue."""
    if "activity.subscribed" not in session.info:
        with session.no_autoflush:
            found = session.execute(select(PushSubscription.id).limit(1)).first()
        session.info["activity.subscribed"] = found is not None
    return session.info["activity.subscribed"]


@event.listens_for(Session, "after_flush")
def _note(session, _context) -> None:
    if _FOLLOWED in session.info and any(isinstance(o, Follow) for o in session.new):
        del session.info[_FOLLOWED]  # a community may have its first follower now
    mine = [o for o in list(session.new) + list(session.dirty) if isinstance(o, (Reply, HelpMessage, HelpRequest))]
    if not mine or not _anyone_subscribed(session):
        return
    for obj, new in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        if isinstance(obj, Reply) and _newly_published(obj, new):
            session.info.setdefault(_REPLIES, set()).add(obj.id)
        elif new and isinstance(obj, HelpMessage):
            session.info.setdefault(_MESSAGES, set()).add(obj.id)
        elif new and isinstance(obj, HelpRequest):
            session.info.setdefault(_REQUESTS, set()).add(obj.id)


def reply_readers(reply_ids) -> set[int]:
    """The authors and followers of the replies' stories who may read them, not the replies'
    authors."""
    out: set[int] = set()
    for reply in db.session.scalars(select(Reply).where(Reply.id.in_(list(reply_ids)))):
        story = reply.story
        followers = db.session.scalars(select(Account).join(Follow, Follow.account_id == Account.id)
                                       .where(Follow.story_id == story.id))
        people = list(followers) + ([story.author] if story.author_id is not None else [])
        out |= {a.id for a in people
                if a.id != reply.author_id and policy.can_see_reply(a, reply, story)}
    return out


def help_askers(message_ids) -> set[int]:
    """The askers of requests a helper wrote in (never the message's own author)."""
    rows = db.session.execute(select(HelpRequest.asker_id, HelpMessage.author_id)
                              .join(HelpMessage, HelpMessage.request_id == HelpRequest.id)
                              .where(HelpMessage.id.in_(list(message_ids))))
    return {asker for asker, author in rows if author != asker}


def help_helpers(request_ids) -> set[int]:
    """The mediators and coaches of the new requests' communities (not who asked or opened it)."""
    out: set[int] = set()
    for request in db.session.scalars(select(HelpRequest).where(HelpRequest.id.in_(list(request_ids)))):
        helpers = db.session.scalars(select(Account).join(Membership, Membership.account_id == Account.id)
                                     .where(Membership.community_id == request.community_id))
        out |= {a.id for a in helpers if a.id not in (request.asker_id, request.recorded_by_id)
                and policy.can_see_help_request(a, request)}
    return out


def _notify_about(story_ids, reply_ids, message_ids, request_ids) -> None:
    account_ids: set[int] = set()
    if story_ids:
        account_ids |= service.followers_to_notify(story_ids)
    if reply_ids:
        account_ids |= reply_readers(reply_ids)
    if message_ids:
        account_ids |= help_askers(message_ids)
    if request_ids:
        account_ids |= help_helpers(request_ids)
    if account_ids:
        webpush.send_now(sorted(account_ids), "activity")


def _notify_job(payload: dict) -> None:
    _notify_about([uuid.UUID(i) for i in payload["stories"]], payload["replies"], payload["help_messages"],
                  payload["help_requests"])


jobs.register("activity.notify", _notify_job)


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    """Queue the notifications this transaction owes in the transaction itself: they go out
    once it commits, and never if it (or the savepoint this is) rolls back."""
    if not has_app_context() or session.in_nested_transaction():
        return  # a script's own session outside the app; a savepoint (its notes wait for the whole)
    if session.new or session.dirty or session.deleted:
        session.flush()  # the notes are made while flushing (_note, story_published)
    noted = [sorted(str(i) if isinstance(i, uuid.UUID) else i for i in session.info.pop(key, None) or ())
             for key in _KEYS]
    if any(noted):
        jobs.enqueue("activity.notify", dict(zip(("stories", "replies", "help_messages", "help_requests"), noted)),
                     session=session)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    # SQLAlchemy calls this on a savepoint's release too: what is remembered per transaction
    # stays until the real commit.
    if session.in_nested_transaction():
        return
    session.info.pop("activity.subscribed", None)
    session.info.pop(_FOLLOWED, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        for key in _ALL:
            session.info.pop(key, None)
