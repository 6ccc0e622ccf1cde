"""Follows, and the activity list built from registered sources.

Following is idempotent (the unique constraints decide, under the revision counter lock) and
every change gets a revision, so a phone learns its follows from its pull (records.py).
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from .. import limits, policy, records
from ..communities.models import Community
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories.models import STATUS_PUBLISHED, Story
from ..timeutil import as_utc, isoformat
from .models import Follow

NAME = "follow"  # the record kind
COMMUNITY, STORY = "community", "story"


# --- Follows ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a follow points at: a community (by id) or a story (by id)."""
    kind: str
    id: object

    def where(self):
        column = Follow.community_id if self.kind == COMMUNITY else Follow.story_id
        return column == self.id


def community_target(actor, slug) -> Target:
    if not isinstance(slug, str) or len(slug) > 40:
        raise Problem("bad_type", field="community")
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise Problem("unknown_community", status=404, field="community")
    return Target(COMMUNITY, community.id)


def story_target(actor, story_id) -> Target:
    story = db.session.get(Story, story_id) if story_id is not None else None
    if story is None or not policy.can_read_in_feed(actor, story):
        raise Problem("not_found", status=404, field="story")  # never reveal that it exists
    return Target(STORY, story.id)


def find(account_id, target: Target) -> Follow | None:
    return db.session.scalar(select(Follow).where(Follow.account_id == account_id, target.where()))


def add(actor, target: Target, revs: RevisionBlock, sync_id: uuid.UUID | None = None) -> tuple[bool, Follow]:
    """Follow ``target`` (inside the caller's write transaction); (False, the follow) if the
    account already follows it, whatever its id."""
    found = find(actor.id, target)
    if found is not None:
        return False, found
    held = db.session.scalar(select(func.count()).select_from(Follow).where(Follow.account_id == actor.id))
    if held >= limits.FOLLOWS_MAX:
        raise Problem("too_many_follows", status=409, max=limits.FOLLOWS_MAX)
    follow = Follow(account_id=actor.id, sync_id=sync_id or uuid.uuid4(), revision=revs.next(),
                    **({"community_id": target.id} if target.kind == COMMUNITY else {"story_id": target.id}))
    db.session.add(follow)
    db.session.flush()
    return True, follow


def remove(follow: Follow, revs: RevisionBlock) -> int:
    """Unfollow (inside the caller's write transaction): the phone learns it from a tombstone
    only its owner receives; returns the tombstone's revision."""
    revision = records.bury(NAME, follow.sync_id, revs, owner_id=follow.account_id, audience="owner")
    db.session.delete(follow)
    db.session.flush()
    return revision


def follow(actor, target_of, value) -> bool:
    """The form's follow: True if it is new."""
    with write_transaction():
        target = target_of(actor, value)
        revs = RevisionBlock(db.session)
        created, _follow = add(actor, target, revs)
        revs.flush()
    return created


def unfollow(actor, target_of, value) -> bool:
    """The form's unfollow: True if there was a follow to remove."""
    with write_transaction():
        target = target_of(actor, value)
        found = find(actor.id, target)
        if found is None:
            return False
        revs = RevisionBlock(db.session)
        remove(found, revs)
        revs.flush()
    return True


def follows_of(account_id) -> list[Follow]:
    return list(db.session.scalars(select(Follow).where(Follow.account_id == account_id).order_by(Follow.id)))


def is_following(viewer, target: Target) -> bool:
    return policy.signed_in(viewer) and find(viewer.id, target) is not None


def view(follow: Follow) -> dict:
    """The follow as phones pull it (only ever by its own account)."""
    return {"type": NAME, "id": str(follow.sync_id),
            "community": follow.community.slug if follow.community_id is not None else None,
            "story": str(follow.story_id) if follow.story_id is not None else None,
            "created_at": isoformat(follow.created_at), "revision": follow.revision}


# --- Activity: a registry of sources ------------------------------------------------------------

@dataclass
class Entry:
    """One line of a person's activity: what happened (``kind``, a word each source chooses
    and templates/activity/page.html words), when, and where to read it."""
    kind: str
    at: datetime
    url: str
    title: str = ""
    record_id: str = ""


SOURCES: list = []
"""``fn(viewer, limit: int) -> list[Entry]``: up to ``limit`` recent entries for ``viewer``,
only of what that viewer may read (see the package docstring)."""


def register_source(fn):
    if fn not in SOURCES:
        SOURCES.append(fn)
    return fn


def unregister_source(fn) -> None:
    while fn in SOURCES:
        SOURCES.remove(fn)


def activity_for(viewer, limit: int = limits.ACTIVITY_PAGE_SIZE) -> list[Entry]:
    """The viewer's activity from every registered source, newest first."""
    if not policy.signed_in(viewer):
        return []
    entries = [entry for source in SOURCES for entry in source(viewer, limit)]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:limit]


# --- The stories source ---------------------------------------------------------------------------

def published_at():
    """When a story was published: its moderation time, else its arrival (published at once)."""
    return func.coalesce(Story.moderated_at, Story.received_at)


def stories_for_activity(viewer, limit: int) -> list[Entry]:
    """Stories published in communities the viewer follows since they followed, that they may
    read, not their own."""
    from flask import url_for  # views' business, kept out of the module's imports for the worker

    rows = db.session.execute(
        select(Story, published_at().label("at"))
        .join(Follow, (Follow.community_id == Story.community_id) & (Follow.account_id == viewer.id))
        .where(policy.readable_stories_clause(viewer), Story.status == STATUS_PUBLISHED,
               Story.author_id.is_distinct_from(viewer.id), published_at() >= Follow.created_at)
        .order_by(published_at().desc()).limit(limit))
    return [Entry("story", as_utc(row.at), url_for("stories.show", story_id=row.Story.id), row.Story.title,
                  str(row.Story.id)) for row in rows]


def followers_to_notify(story_ids) -> set[int]:
    """Accounts that follow the community of these newly published stories and may read them
    (not their authors): who gets a push."""
    from ..accounts.models import Account

    out: set[int] = set()
    for story in db.session.scalars(select(Story).where(Story.id.in_(list(story_ids)))):
        if story.status != STATUS_PUBLISHED or story.community_id is None:
            continue
        followers = db.session.scalars(select(Account).join(Follow, Follow.account_id == Account.id)
                                       .where(Follow.community_id == story.community_id))
        out |= {a.id for a in followers if a.id != story.author_id and policy.can_read_in_feed(a, story)}
    return out


def story_page(viewer, story, _args) -> dict:
    """stories/hooks.py: the follow buttons under a story (templates/activity/_follow.html)."""
    if not policy.signed_in(viewer):
        return {}
    from .forms import FollowForm
    return {"follow_form": FollowForm(),
            "follows_story": is_following(viewer, Target(STORY, story.id)),
            "follows_community": story.community_id is not None
            and is_following(viewer, Target(COMMUNITY, story.community_id))}


def communities_to_follow(viewer) -> list[Community]:
    """The viewer's own communities they do not follow yet: /activity offers them."""
    if not policy.signed_in(viewer):
        return []
    followed = select(Follow.community_id).where(Follow.account_id == viewer.id, Follow.community_id.is_not(None))
    ids = viewer.member_community_ids()
    if not ids:
        return []
    return list(db.session.scalars(select(Community).where(Community.id.in_(ids), Community.id.not_in(followed))
                                   .order_by(Community.slug)))
