"""A person's own data: download all of it, or delete the account (stories deleted or anonymised)."""
import io
import json
import zipfile

from sqlalchemy import select, update

from .. import audit, policy
from ..database import forget_traces, write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..timeutil import isoformat, utcnow
from .models import Account, ApiToken

DELETE_STORIES = "delete"
ANONYMISE_STORIES = "anonymise"


def can_act_for(actor, person) -> bool:
    """The person themselves; for a managed participant (who cannot sign in) also a facilitator
    of one of their communities, on their request, and admins."""
    if not policy.signed_in(actor) or person is None:
        return False
    if actor.id == person.id:
        return True
    if not person.is_managed:
        return False
    return actor.is_admin or bool(actor.facilitated_community_ids() & person.member_community_ids())


def _own_stories(person):
    from ..stories.models import Story
    return list(db.session.scalars(select(Story).where(Story.author_id == person.id).order_by(Story.received_at)))


def own_stories(person) -> list:
    """The person's stories, newest first, without the withdrawn ones (their account page)."""
    from ..stories.models import Story
    return list(db.session.scalars(select(Story).where(Story.author_id == person.id, Story.status != "withdrawn")
                                   .order_by(Story.received_at.desc(), Story.id)))


def _story_export(story) -> dict:
    from ..stories import service as stories
    if story.status == "withdrawn":
        return {"id": str(story.id), "status": "withdrawn", "withdrawn_at": isoformat(story.updated_at)}
    view = stories.story_view(story, story.author)
    view["moderation_reason"] = story.moderation_reason or None
    return view


def _media_of(person, stories_list) -> list[str]:
    from ..media.models import MediaFile
    hashes = []
    for story in stories_list:
        for sha in story.media or []:
            if sha not in hashes:
                hashes.append(sha)
    for sha in db.session.scalars(select(MediaFile.sha256).where(MediaFile.uploader_id == person.id)):
        if sha not in hashes:
            hashes.append(sha)
    return hashes


def export_zip(actor, person) -> bytes:
    """Everything the server holds about this person: account.json, stories.json, media/."""
    if not can_act_for(actor, person):
        raise Problem("forbidden", status=403)
    from ..media.models import MediaFile
    from ..media.store import get_store
    own = _own_stories(person)
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.account_id == person.id)).all()
    account = {
        "username": person.username, "display_name": person.display_name, "locale": person.locale,
        "created_at": isoformat(person.created_at), "is_admin": person.is_admin,
        "is_managed": person.is_managed,
        "memberships": [{"community": m.community.slug, "role": m.role, "since": isoformat(m.created_at)}
                        for m in person.memberships],
        "devices": [{"label": t.label, "created_at": isoformat(t.created_at), "expires_at": isoformat(t.expires_at),
                     "revoked_at": isoformat(t.revoked_at)} for t in tokens],
    }
    buffer = io.BytesIO()
    store = get_store()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("account.json", json.dumps(account, ensure_ascii=False, indent=2))
        archive.writestr("stories.json", json.dumps([_story_export(s) for s in own], ensure_ascii=False, indent=2))
        media_index = []
        for sha in _media_of(person, own):
            row = db.session.get(MediaFile, sha)
            path = store.local_path(sha) if row is not None else None
            if path is None:
                continue
            ext = (row.content_type.split("/")[-1] or "bin").replace("jpeg", "jpg")
            name = f"media/{sha}.{ext}"
            archive.write(path, name)
            media_index.append({"sha256": sha, "file": name, "type": row.content_type})
        archive.writestr("media.json", json.dumps(media_index, indent=2))
        from ..events.service import attended_by  # late: events imports accounts
        archive.writestr("events.json", json.dumps(attended_by(person), ensure_ascii=False, indent=2))
        from ..translations.service import made_by  # late: translations import stories
        archive.writestr("translations.json", json.dumps(made_by(person), ensure_ascii=False, indent=2))
        archive.writestr("README.txt", "Your Kultialogo data: account.json (your account), stories.json "
                                       "(every story you wrote or that was recorded for you), media/ (your "
                                       "photos and recordings), events.json (the events you were counted at, "
                                       "with the answers you gave), translations.json (the translations of stories you made).\n")
    with write_transaction():
        audit.record("account.export", actor, subject=person.id)
    return buffer.getvalue()


def delete_account(actor, person, stories_choice: str) -> None:
    """Delete the account and every trace of it; its stories are withdrawn or anonymised.

    Withdrawn stories keep only their tombstone (id and revision), so phones delete their
    copies; anonymised stories lose their author and any kept conflicting versions, and get
    a new revision so phones replace the name they cached.
    """
    if not can_act_for(actor, person):
        raise Problem("forbidden", status=403)
    if stories_choice not in (DELETE_STORIES, ANONYMISE_STORIES):
        raise Problem("bad_request", field="stories")
    from ..media.models import MediaFile
    from ..media.service import release_after_commit
    from ..stories import service as stories
    from ..stories.models import Story
    person_id = person.id
    with write_transaction():
        revs = RevisionBlock(db.session)
        uploaded = list(db.session.scalars(select(MediaFile.sha256).where(MediaFile.uploader_id == person_id)))
        for story in _own_stories(person):
            if story.status == "withdrawn":
                continue
            if stories_choice == DELETE_STORIES:
                stories.withdraw(person, story.id, revs=revs, existing=story)
            else:
                story.author_id = None
                story.author = None
                story.author_display = "anonymous"
                story.conflicts.clear()
                story.updated_at = utcnow()
                story.revision = revs.next()
        # Their translations of stories go the same way as their stories (deleted or anonymous).
        from ..translations.service import forget_translator
        forget_translator(person, stories_choice == DELETE_STORIES, revs)
        # Their name as recorder of other people's consent goes too (the audit log keeps the kind).
        db.session.execute(update(Story).where(Story.recorded_by_id == person_id)
                           .values(consent_recorded_by=None, recorded_by_id=None)
                           .execution_options(synchronize_session=False))
        # Their notes on reports of other people's stories are their words: blanked (the
        # reports themselves keep counting, without a reporter: see moderation/models.py).
        from ..moderation.models import StoryReport
        db.session.execute(update(StoryReport).where(StoryReport.reporter_id == person_id).values(note="")
                           .execution_options(synchronize_session=False))
        # Files they uploaded that no remaining story uses are deleted once this commits.
        release_after_commit(uploaded)
        # The actor is kept when a facilitator or admin deleted a managed participant; a person
        # deleting their own account becomes "deleted account" (actor_id SET NULL below).
        audit.record("account.delete", actor, stories=stories_choice, by_self=actor.id == person_id)
        db.session.flush()
        db.session.delete(db.session.get(Account, person_id))
        revs.flush()
        forget_traces()  # SQLite's WAL is checkpointed once this commits
