"""Managed participants and stories recorded on someone's behalf."""
import secrets
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, policy
from ..accounts.auth import normalise_username
from ..accounts.models import ROLE_PARTICIPANT, Account, JoinCode, Membership
from ..communities.models import Community, communities_among
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories import service as stories
from ..stories.models import STATUS_PENDING, Story
from ..stories.schema import StoryContent
from ..timeutil import utcnow
from ..userinput import clean_text

# Not an argon2 hash: verify fails on it, and authenticate() refuses managed accounts first.
UNUSABLE_PASSWORD = "!managed"


def community_for(actor, slug: str) -> Community:
    """A community this actor manages; 404 for any other (never reveal which exist)."""
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not policy.can_manage_community(actor, community.id):
        raise Problem("not_found", status=404)
    return community


def managed_communities(actor) -> list[Community]:
    return communities_among(policy.managed_community_ids(actor))


def overview(actor) -> list[dict]:
    """The communities this actor manages, each with how many members it has, how many join
    codes still let people in, and how many stories wait for review (three grouped counts)."""
    communities = managed_communities(actor)
    ids = [c.id for c in communities]
    if not ids:
        return []
    now = utcnow()

    def per_community(column, *where):
        return dict(db.session.execute(select(column, func.count()).where(column.in_(ids), *where)
                                       .group_by(column)).all())
    members = per_community(Membership.community_id)
    codes = per_community(JoinCode.community_id, JoinCode.revoked_at.is_(None), JoinCode.expires_at > now,
                          JoinCode.uses < JoinCode.max_uses)
    waiting = per_community(Story.community_id, Story.status == STATUS_PENDING)
    return [{"community": c, "members": members.get(c.id, 0), "join_codes": codes.get(c.id, 0),
             "waiting": waiting.get(c.id, 0)} for c in communities]


def members(actor, community) -> list[Membership]:
    if not policy.can_manage_community(actor, community.id):
        raise Problem("forbidden", status=403)
    return list(db.session.scalars(select(Membership).where(Membership.community_id == community.id)
                                   .join(Account).order_by(Account.username)))


def member_for(actor, community, account_id: int) -> Account:
    """A member of a community the actor manages; 404 otherwise."""
    account = db.session.get(Account, account_id)
    if (account is None or community.id not in account.member_community_ids()
            or not policy.can_manage_community(actor, community.id)):
        raise Problem("not_found", status=404)
    return account


def create_managed(actor, community, display_name: str, username: str | None = None) -> Account:
    """An account for someone who tells their story without one: no password, cannot sign in
    (until they claim it with a reset code), a participant of this community."""
    if not policy.can_manage_community(actor, community.id):
        raise Problem("forbidden", status=403)
    display_name = clean_text(display_name or "", "display_name", 80, multiline=False)
    username = normalise_username(username) if username else f"guest-{secrets.token_hex(4)}"
    try:
        with write_transaction():
            person = Account(username=username, display_name=display_name, password_hash=UNUSABLE_PASSWORD,
                             is_managed=True, managed_by_id=actor.id)
            db.session.add(person)
            db.session.flush()
            db.session.add(Membership(account_id=person.id, community_id=community.id, role=ROLE_PARTICIPANT))
            audit.record("account.create_managed", actor, community_id=community.id, subject=person.id)
    except IntegrityError:
        raise Problem("username_taken", status=409, field="username") from None
    db.session.refresh(person)
    return person


def record_for(actor, person, story_id: uuid.UUID, content: StoryContent) -> stories.Outcome:
    """Store a story a facilitator recorded for a managed participant, with the consent record.

    The person is the author; the facilitator is kept as recorder (may withdraw it on the
    person's request) and named in the consent record, with the time it was first stored.
    """
    community = db.session.scalar(select(Community).where(Community.slug == content.community))
    if community is None:
        raise Problem("unknown_community", field="community")
    if not policy.can_record_for(actor, person, community.id):
        raise Problem("forbidden", status=403)
    if content.consent["kind"] not in ("verbal", "written", "self"):
        raise Problem("bad_consent", field="consent.kind")
    with write_transaction():
        revs = RevisionBlock(db.session)
        outcome = stories.upsert_in_savepoint(person, story_id, content, revs=revs,
                                              communities=stories.Communities())
        if outcome.result == stories.CREATED:
            now = utcnow()
            db.session.execute(update(Story).where(Story.id == story_id)
                               .values(recorded_by_id=actor.id, consent_at=now)
                               .execution_options(synchronize_session=False))
            audit.record("story.consent", actor, story_id=story_id, community_id=community.id,
                         kind=content.consent["kind"], guardian=bool(content.consent.get("guardian")),
                         about_minor=content.about_minor, at=now.isoformat())
        revs.flush()
    return outcome


def recorded_stories(actor, person) -> list[Story]:
    return list(db.session.scalars(select(Story).where(Story.author_id == person.id,
                                                       Story.status != "withdrawn")
                                   .order_by(Story.received_at.desc())))
