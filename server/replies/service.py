"""Replies to stories and reactions: writing, removing, moderating and listing them. Shared by
the HTML forms and the sync (records.py); permission checks are in policy.py.

Every write runs in one write transaction under the revision counter lock (RevisionBlock), and
gives the changed record a revision, so phones get it on their next pull; a record deleted for
real leaves a tombstone (records.bury) for the phones that may hold it.
"""
import uuid
from datetime import timedelta

from sqlalchemy import String, and_, cast, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import attachments, audit, limits, policy, records
from ..accounts.models import as_account
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories.models import STATUS_PUBLISHED, Story
from ..timeutil import isoformat, utcnow
from ..userinput import clean_text
from .models import (REACTION_KINDS, REPLY_HIDDEN, REPLY_PENDING, REPLY_PUBLISHED, Reaction, RepliesOff,
                     Reply)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
PUBLISH, HIDE = "publish", "hide"
REPLY, REACTION = "reply", "reaction"  # their record kinds' names (records.py)


# --- Validation ---------------------------------------------------------------------------

def clean_body(value, has_recording: bool = False) -> str:
    """Words, or a recording, or both: an empty body is fine beside a recording."""
    body = clean_text(value if value is not None else "", "body", limits.REPLY_BODY_MAX, multiline=True)
    if not body and not has_recording:
        raise Problem("missing_field", field="body")
    return body


def clean_kind(value) -> str:
    if value not in REACTION_KINDS:
        raise Problem("bad_reaction", field="kind")
    return value


def replies_off(story_id) -> bool:
    return db.session.get(RepliesOff, story_id) is not None


def readable_story(actor, story_id) -> Story:
    """The story if this actor may read it in full; 404 otherwise (never reveal that it exists)."""
    story = db.session.get(Story, story_id)
    if story is None or not policy.can_read_in_feed(actor, story):
        raise Problem("not_found", status=404, field="story")
    return story


def check_may_reply(actor, story: Story) -> None:
    if not policy.can_reply(actor, story):
        raise Problem("forbidden", status=403, field="story")
    if replies_off(story.id):
        raise Problem("replies_off", status=409, field="story")


def check_may_react(actor, story: Story) -> None:
    # Reactions stay possible when replies are off: the author turned off words, not thanks.
    if not policy.can_reply(actor, story):
        raise Problem("forbidden", status=403, field="story")


# --- Views --------------------------------------------------------------------------------

def author_label(reply: Reply) -> str | None:
    return reply.author.username if reply.author is not None else None


def reply_view(reply: Reply) -> dict:
    return {"type": REPLY, "id": str(reply.sync_id), "story": str(reply.story_id), "body": reply.body,
            "media": list(reply.media or []), "author": author_label(reply), "status": reply.status,
            "created_at": isoformat(reply.created_at), "revision": reply.revision}


def reaction_view(reaction: Reaction, viewer=None) -> dict:
    """A reaction as pulls carry it: whose it is only for that person ("mine")."""
    mine = policy.signed_in(viewer) and reaction.account_id == viewer.id
    return {"type": REACTION, "id": str(reaction.sync_id), "story": str(reaction.story_id), "kind": reaction.kind,
            "mine": bool(mine), "created_at": isoformat(reaction.created_at), "revision": reaction.revision}


def _visible_replies(viewer):
    return and_(policy.readable_stories_clause(viewer),
                policy.replies_clause(viewer, Reply.status, Reply.author_id, Story.community_id))


def visible_replies(viewer, story) -> list[Reply]:
    """The replies under a story this viewer sees, oldest first (published; their own and, for
    moderators, waiting and hidden ones too)."""
    return list(db.session.scalars(
        select(Reply).join(Story, Story.id == Reply.story_id)
        .where(Reply.story_id == story.id, _visible_replies(viewer))
        .order_by(Reply.created_at, Reply.id)))


def reaction_counts(story_id) -> dict[str, int]:
    rows = db.session.execute(select(Reaction.kind, func.count()).where(Reaction.story_id == story_id)
                              .group_by(Reaction.kind)).all()
    counts = {kind: 0 for kind in REACTION_KINDS}
    counts.update({kind: n for kind, n in rows})
    return counts


def my_reactions(viewer, story_id) -> set[str]:
    if not policy.signed_in(viewer):
        return set()
    return set(db.session.scalars(select(Reaction.kind).where(Reaction.story_id == story_id,
                                                              Reaction.account_id == viewer.id)))


# --- Pulls (records.py) and the activity list ---------------------------------------------

def reply_changes(viewer, since: int, limit: int) -> list[tuple[int, dict]]:
    """(revision, view or tombstone) of replies after ``since`` this viewer may see. A reply of a
    readable story that was hidden reaches its other readers as a tombstone, so
    their phones drop it; deleted ones as the tombstones they may receive."""
    rows = db.session.scalars(
        select(Reply).join(Story, Story.id == Reply.story_id)
        .where(Reply.revision > since, policy.readable_stories_clause(viewer))
        .order_by(Reply.revision).limit(limit))
    out = []
    for reply in rows:
        if policy.can_see_reply(viewer, reply, reply.story):
            out.append((reply.revision, reply_view(reply)))
        elif reply.status == REPLY_HIDDEN:  # it may have been published before: phones drop it
            out.append((reply.revision, records.tombstone_view(REPLY, reply.sync_id, reply.revision)))
    out += records.tombstones(REPLY, since, limit, policy.tombstone_clause(viewer, records.Tombstone))
    return sorted(out, key=lambda change: change[0])[:limit]


def reaction_changes(viewer, since: int, limit: int) -> list[tuple[int, dict]]:
    rows = db.session.scalars(
        select(Reaction).join(Story, Story.id == Reaction.story_id)
        .where(Reaction.revision > since, policy.readable_stories_clause(viewer))
        .order_by(Reaction.revision).limit(limit))
    out = [(r.revision, reaction_view(r, viewer)) for r in rows]
    out += records.tombstones(REACTION, since, limit, policy.tombstone_clause(viewer, records.Tombstone))
    return sorted(out, key=lambda change: change[0])[:limit]


def replies_for_activity(viewer, since_revision: int, limit: int, story_ids=(), newest: bool = False) -> list[dict]:
    """For the activity list: replies newer than ``since_revision`` that this viewer may see and
    that concern them, oldest first, at most ``limit``: published replies by others to the
    viewer's own stories, and to the stories in ``story_ids`` (those they follow). Each is the
    reply's sync view (reply_view: type "reply", id, story, body, author, status, created_at,
    revision); the viewer's own replies are left out. Nobody signed in: nothing. ``newest``: the
    latest ``limit`` of them, newest first (the /activity page)."""
    if not policy.signed_in(viewer):
        return []
    ids = [uuid.UUID(str(s)) for s in story_ids]
    concerns = or_(Story.author_id == viewer.id, Story.id.in_(ids)) if ids else Story.author_id == viewer.id
    rows = db.session.scalars(
        select(Reply).join(Story, Story.id == Reply.story_id)
        .where(Reply.revision > since_revision, Reply.status == REPLY_PUBLISHED, concerns,
               or_(Reply.author_id.is_(None), Reply.author_id != viewer.id), _visible_replies(viewer))
        .order_by(Reply.revision.desc() if newest else Reply.revision).limit(limit))
    return [reply_view(reply) for reply in rows]


# --- Writing replies ------------------------------------------------------------------------

def find_reply(sync_id) -> Reply | None:
    return db.session.scalar(select(Reply).where(Reply.sync_id == sync_id))


def write_reply(actor, story: Story, body: str, revs: RevisionBlock, sync_id: uuid.UUID | None = None,
                media: list | None = None) -> Reply:
    """Insert a reply inside the caller's transaction, checks done by the caller (the form and
    the sync both come here). Published at once where the author's story would be (a trusted
    community, a facilitator), otherwise waiting for a facilitator, as stories are."""
    status = REPLY_PUBLISHED if policy.publishes_directly(actor, story.community) else REPLY_PENDING
    now = utcnow()
    reply = Reply(sync_id=sync_id or uuid.uuid4(), story_id=story.id, author_id=actor.id, body=body,
                  media=list(media or []), status=status, created_at=now, updated_at=now, revision=revs.next())
    reply.author, reply.story = as_account(actor), story
    db.session.add(reply)
    records.unbury(REPLY, reply.sync_id)
    audit.record("reply.add", actor, story_id=story.id, community_id=story.community_id, status=status)
    db.session.flush()
    return reply


def add_reply(actor, story_id, body, sync_id: uuid.UUID | None = None, audio=None,
              disguise: bool = False) -> tuple[str, Reply]:
    """The reply form: (result, reply). The same ``sync_id`` twice is stored once.

    ``audio``: a recording posted with the form (or None); stored through the media pipeline
    only once the reply is known to be allowed, so a refused reply keeps no file; with
    ``disguise`` its voice is disguised first and the original is never stored (#17)."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    has_recording = bool(getattr(audio, "filename", None))
    check_may_reply(actor, readable_story(actor, story_id))
    clean_body(body, has_recording)
    media = attachments.ingest_recording(actor, audio, "audio", limits.REPLY_AUDIO_MAX_BYTES, disguise)
    with write_transaction():
        story = readable_story(actor, story_id)
        check_may_reply(actor, story)
        body = clean_body(body, bool(media))
        revs = RevisionBlock(db.session)
        if sync_id is not None:
            found = find_reply(sync_id)
            if found is not None:
                if (found.story_id != story.id or found.author_id != actor.id or found.body != body
                        or (media and not attachments.same_recordings(actor, found.media, media))):
                    raise Problem("record_id_taken", field="id")
                if media and list(found.media or []) != media:
                    attachments.release(media)  # the voice disguised anew: the stored reply keeps its own
                return UNCHANGED, found
            if records.is_buried(REPLY, sync_id):
                raise Problem("deleted", status=409, field="id")
        reply = write_reply(actor, story, body, revs, sync_id, media)
        revs.flush()
    return CREATED, reply


def bury_reply(reply: Reply, story: Story, revs: RevisionBlock) -> int:
    """Delete a reply for real, leaving a tombstone for those who could hold it."""
    audience = story.visibility if reply.status == REPLY_PUBLISHED else "facilitators"
    revision = records.bury(REPLY, reply.sync_id, revs, community_id=story.community_id,
                            owner_id=reply.author_id, audience=audience)
    attachments.release(reply.media)  # its recording goes once this commits, if nothing else names it
    db.session.delete(reply)
    return revision


def remove_reply(actor, sync_id) -> int:
    """Delete a reply (its author or the story's moderators); returns its tombstone's revision."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    with write_transaction():
        reply = find_reply(sync_id)
        if reply is None or not policy.can_see_reply(actor, reply, reply.story):
            raise Problem("not_found", status=404)
        story = reply.story
        if not policy.can_delete_reply(actor, reply, story):
            raise Problem("forbidden", status=403)
        revs = RevisionBlock(db.session)
        audit.record("reply.remove", actor, story_id=story.id, community_id=story.community_id)
        revision = bury_reply(reply, story, revs)
        db.session.flush()
        revs.flush()
    return revision


def moderate_reply(actor, sync_id, action: str) -> Reply:
    """Publish a waiting (or hidden) reply, or hide one: the story's moderators. Repeating an
    action changes nothing."""
    if action not in (PUBLISH, HIDE):
        raise Problem("bad_action", field="action")
    with write_transaction():
        reply = find_reply(sync_id)
        if reply is None or not policy.can_see_reply(actor, reply, reply.story):
            raise Problem("not_found", status=404)
        story = reply.story
        if not policy.can_moderate_reply(actor, story):
            raise Problem("forbidden", status=403)
        set_status(actor, reply, REPLY_PUBLISHED if action == PUBLISH else REPLY_HIDDEN, RevisionBlock(db.session))
    return reply


def set_status(actor, reply: Reply, status: str, revs: RevisionBlock) -> bool:
    """Change a reply's status inside the caller's transaction (moderation, reports)."""
    if reply.status == status:
        return False
    before, reply.status = reply.status, status
    reply.updated_at = utcnow()
    reply.revision = revs.next()
    audit.record(f"reply.{status}", actor, story_id=reply.story_id, community_id=reply.story.community_id,
                 **{"from": before})
    db.session.flush()
    revs.flush()
    return True


def switch_replies(actor, story_id, off: bool) -> None:
    """The author turns replies to their story off (no new ones; those there stay) or on again."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    with write_transaction():
        story = db.session.get(Story, story_id)
        if story is None or not policy.can_view_story(actor, story):
            raise Problem("not_found", status=404)
        if not policy.can_switch_replies(actor, story):
            raise Problem("forbidden", status=403)
        row = db.session.get(RepliesOff, story.id)
        if off and row is None:
            db.session.add(RepliesOff(story_id=story.id, turned_off_at=utcnow()))
        elif not off and row is not None:
            db.session.delete(row)


def review_queue(viewer, community_id: int | None = None) -> list[Reply]:
    """Waiting replies to stories in the communities this viewer reviews, oldest first (the
    review page lists them beside waiting stories and translations)."""
    ids = policy.managed_community_ids(viewer)
    query = (select(Reply).join(Story, Story.id == Reply.story_id)
             .where(Reply.status == REPLY_PENDING, Story.status == STATUS_PUBLISHED))
    if community_id is not None:
        if ids is not None and community_id not in ids:
            return []
        query = query.where(Story.community_id == community_id)
    elif ids is not None:
        if not ids:
            return []
        query = query.where(Story.community_id.in_(sorted(ids)))
    return list(db.session.scalars(query.order_by(Reply.created_at, Reply.id)))


# --- Reactions ------------------------------------------------------------------------------

def find_reaction(sync_id) -> Reaction | None:
    return db.session.scalar(select(Reaction).where(Reaction.sync_id == sync_id))


def existing_reaction(story_id, account_id, kind) -> Reaction | None:
    return db.session.scalar(select(Reaction).where(Reaction.story_id == story_id,
                                                    Reaction.account_id == account_id, Reaction.kind == kind))


def insert_reaction(actor, story: Story, kind: str, revs: RevisionBlock,
                    sync_id: uuid.UUID | None = None) -> tuple[str, Reaction]:
    """(result, reaction) inside the caller's transaction: the person's reaction of this kind to
    the story. Another one already there (another tab, another id) is answered as it is: the
    database's unique constraint decides, in a savepoint, so a race never becomes a 500."""
    existing = existing_reaction(story.id, actor.id, kind)
    if existing is not None:
        return UNCHANGED, existing
    reaction = Reaction(sync_id=sync_id or uuid.uuid4(), story_id=story.id, account_id=actor.id, kind=kind,
                        created_at=utcnow(), revision=revs.next())
    try:
        with db.session.begin_nested():
            db.session.add(reaction)
            db.session.flush()
    except IntegrityError:
        existing = existing_reaction(story.id, actor.id, kind)
        if existing is None:
            raise Problem("record_id_taken", status=409, field="id") from None  # the id is another's
        return UNCHANGED, existing
    records.unbury(REACTION, reaction.sync_id)
    return CREATED, reaction


def bury_reaction(reaction: Reaction, story: Story, revs: RevisionBlock) -> int:
    revision = records.bury(REACTION, reaction.sync_id, revs, community_id=story.community_id,
                            owner_id=reaction.account_id, audience=story.visibility)
    db.session.delete(reaction)
    return revision


def toggle_reaction(actor, story_id, kind) -> bool:
    """The reaction buttons: add this person's reaction of ``kind``, or take it back. True if
    it is there now."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    with write_transaction():
        story = readable_story(actor, story_id)
        check_may_react(actor, story)
        kind = clean_kind(kind)
        revs = RevisionBlock(db.session)
        existing = existing_reaction(story.id, actor.id, kind)
        if existing is not None:
            bury_reaction(existing, story, revs)
            now = False
        else:
            insert_reaction(actor, story, kind, revs)
            now = True
        db.session.flush()
        revs.flush()
    return now


# --- What hangs on a story ----------------------------------------------------------------------

def delete_with_story(actor, story: Story, revs: RevisionBlock) -> None:
    """Replies and reactions go with the story's content (a stories/hooks.py withdrawal hook),
    each leaving a tombstone so phones drop them; the "replies off" row goes too."""
    for reply in list(db.session.scalars(select(Reply).where(Reply.story_id == story.id))):
        bury_reply(reply, story, revs)
    for reaction in list(db.session.scalars(select(Reaction).where(Reaction.story_id == story.id))):
        bury_reaction(reaction, story, revs)
    db.session.execute(delete(RepliesOff).where(RepliesOff.story_id == story.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()


def story_page(viewer, story, args) -> dict:
    """What the story page shows below the story (a stories/hooks.py page context)."""
    replies = visible_replies(viewer, story) if policy.can_read_in_feed(viewer, story) else []
    off = replies_off(story.id)
    may_reply = policy.can_reply(viewer, story)
    form = None
    if may_reply and not off:
        from .forms import ReplyForm
        form = ReplyForm(formdata=None)
    return {"replies": replies, "reply_form": form, "replies_off": off,
            "published_reply_count": sum(1 for r in replies if r.status == REPLY_PUBLISHED),
            "reaction_counts": reaction_counts(story.id) if story.status == STATUS_PUBLISHED else {},
            "my_reactions": my_reactions(viewer, story.id), "can_react": may_reply,
            "can_switch_replies": policy.can_switch_replies(viewer, story), "reply_media": reply_media}


# --- A person's data ----------------------------------------------------------------------------

def made_by(person) -> dict:
    """The person's replies and reactions, for their data download."""
    replies = db.session.scalars(select(Reply).where(Reply.author_id == person.id)
                                 .order_by(Reply.created_at, Reply.id))
    reactions = db.session.scalars(select(Reaction).where(Reaction.account_id == person.id)
                                   .order_by(Reaction.created_at, Reaction.id))
    # A recording's bytes are in media/ of the same download (the media part: the person uploaded it).
    return {"replies.json": [{"id": str(r.sync_id), "story": str(r.story_id), "body": r.body, "status": r.status,
                              "media": list(r.media or []), "created_at": isoformat(r.created_at)}
                             for r in replies],
            "reactions.json": [{"id": str(r.sync_id), "story": str(r.story_id), "kind": r.kind,
                                "created_at": isoformat(r.created_at)} for r in reactions]}


def forget(person, revs: RevisionBlock) -> None:
    """On account deletion: the person's replies and reactions are deleted (tombstoned)."""
    for reply in list(db.session.scalars(select(Reply).where(Reply.author_id == person.id))):
        bury_reply(reply, reply.story, revs)
    for reaction in list(db.session.scalars(select(Reaction).where(Reaction.account_id == person.id))):
        bury_reaction(reaction, reaction.story, revs)
    db.session.flush()


# --- Recordings (attachments.py) ----------------------------------------------------------------

def named_in_community(sha256: str, community_id: int) -> bool:
    """Whether a reply under a story of this community names the file (camp nodes)."""
    return db.session.scalar(replies_naming(sha256).join(Story, Story.id == Reply.story_id)
                             .where(Story.community_id == community_id).limit(1)) is not None


def replies_naming(sha256: str):
    """Replies whose recording is this file: a LIKE on the JSON text, as media does for stories."""
    return select(Reply.id).where(cast(Reply.media, String).like(f'%"{sha256}"%'))


def may_hear(viewer, sha256: str) -> bool:
    """Whoever sees a reply naming the file may hear it (the same rule as the reply itself)."""
    return db.session.scalar(
        replies_naming(sha256).join(Story, Story.id == Reply.story_id).where(_visible_replies(viewer)).limit(1)
    ) is not None


def reply_media(reply: Reply) -> list[dict]:
    return attachments.describe(reply.media)


# --- Dashboard ----------------------------------------------------------------------------------

def replies_per_week(community_ids, since, until) -> dict:
    """{Monday (date): number of replies written that week} in these communities (None: all),
    hidden and waiting ones included: the count is of activity, not of what is shown."""
    query = select(Reply.created_at).join(Story, Story.id == Reply.story_id).where(
        Reply.created_at >= since, Reply.created_at < until)
    if community_ids is not None:
        query = query.where(Story.community_id.in_(sorted(community_ids)))
    weeks: dict = {}
    for (at,) in db.session.execute(query):
        monday = at.date() - timedelta(days=at.weekday())
        weeks[monday] = weeks.get(monday, 0) + 1
    return weeks
