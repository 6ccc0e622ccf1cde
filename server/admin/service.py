"""Site administration: communities and their settings, roles in them, and the audit log.

Plain functions the admin pages call (and tests call directly); every check is in policy.py,
every change is written to the audit log in its own transaction.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, policy
from ..accounts.auth import normalise_username
from ..accounts.models import MEMBERSHIP_ROLES, ROLE_FACILITATOR, Account, Membership
from ..audit import AuditEvent
from ..communities.models import MODERATION_MODES, MODERATION_REVIEW, Community
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..userinput import clean_language, clean_text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
NAME_MAX = 80
DESCRIPTION_MAX = 2000
REPORTS_TO_HIDE_MAX = 100


def _require_admin(actor) -> None:
    if not policy.can_administer(actor):
        raise Problem("forbidden", status=403)


# --- Communities ----------------------------------------------------------------------------

@dataclass
class CommunitySettings:
    """Validated settings of a community, as the form or a test gives them."""
    names: dict
    description: str = ""
    default_language: str = "en"
    moderation: str = MODERATION_REVIEW
    reports_to_hide: int | None = None


def clean_settings(names, description="", default_language="en", moderation=MODERATION_REVIEW,
                   reports_to_hide=None) -> CommunitySettings:
    """Check and normalise a community's settings; raises Problem with the field at fault."""
    cleaned = {}
    for language, name in (names or {}).items():
        name = clean_text(name or "", "names", NAME_MAX, multiline=False)
        if not name and not (language or "").strip():
            continue
        if not name:
            continue  # a language without a name: nothing to show in it
        try:
            tag = clean_language(language or "")
        except Problem:
            raise Problem("bad_language", field="names") from None
        cleaned[tag] = name
    if not cleaned:
        raise Problem("name_required", field="names")
    description = clean_text(description or "", "description", DESCRIPTION_MAX, multiline=True)
    try:
        default_language = clean_language(default_language or "")
    except Problem:
        raise Problem("bad_language", field="default_language") from None
    if moderation not in MODERATION_MODES:
        raise Problem("bad_moderation_mode", field="moderation")
    if reports_to_hide in ("", None):
        reports_to_hide = None
    else:
        try:
            reports_to_hide = int(reports_to_hide)
        except (TypeError, ValueError):
            raise Problem("bad_threshold", field="reports_to_hide", max=REPORTS_TO_HIDE_MAX) from None
        if not 1 <= reports_to_hide <= REPORTS_TO_HIDE_MAX:
            raise Problem("bad_threshold", field="reports_to_hide", max=REPORTS_TO_HIDE_MAX)
    return CommunitySettings(cleaned, description, default_language, moderation, reports_to_hide)


def communities(actor) -> list[Community]:
    _require_admin(actor)
    return list(db.session.scalars(select(Community).order_by(Community.slug)))


def community_by_slug(actor, slug: str) -> Community:
    _require_admin(actor)
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise Problem("not_found", status=404)
    return community


def create_community(actor, slug: str, settings: CommunitySettings) -> Community:
    """A new community. The slug is its short name in links and in the sync API (not changeable)."""
    _require_admin(actor)
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise Problem("bad_slug", field="slug")
    try:
        with write_transaction():
            community = Community(slug=slug, names=settings.names, description=settings.description,
                                  default_language=settings.default_language, moderation=settings.moderation,
                                  reports_to_hide=settings.reports_to_hide)
            db.session.add(community)
            db.session.flush()
            audit.record("community.create", actor, community_id=community.id, moderation=settings.moderation,
                         languages=sorted(settings.names), reports_to_hide=settings.reports_to_hide)
    except IntegrityError:
        raise Problem("slug_taken", status=409, field="slug") from None
    return community


def update_community(actor, community: Community, settings: CommunitySettings) -> Community:
    """Change names, description, language, moderation mode or report threshold."""
    _require_admin(actor)
    with write_transaction():
        community = db.session.get(Community, community.id)
        changed = []
        for key in ("names", "description", "default_language", "moderation", "reports_to_hide"):
            value = getattr(settings, key)
            if getattr(community, key) != value:
                setattr(community, key, value)
                changed.append(key)
        if changed:
            # Which settings changed, and the new values of the non-text ones: no names or text.
            audit.record("community.update", actor, community_id=community.id, changed=changed,
                         moderation=community.moderation, reports_to_hide=community.reports_to_hide)
    return community


# --- Members and roles --------------------------------------------------------------------

def members(actor, community) -> list[Membership]:
    _require_admin(actor)
    return list(db.session.scalars(select(Membership).where(Membership.community_id == community.id)
                                   .join(Account).order_by(Account.username)))


def set_role(actor, community, account_id: int, role: str) -> Membership:
    """Make a member of the community a facilitator or a participant (admins only)."""
    if not policy.can_change_roles(actor, community.id):
        raise Problem("forbidden", status=403)
    if role not in MEMBERSHIP_ROLES:
        raise Problem("bad_role", field="role")
    with write_transaction():
        membership = db.session.scalar(select(Membership).where(
            Membership.community_id == community.id, Membership.account_id == account_id))
        if membership is None:
            raise Problem("not_found", status=404)
        before = membership.role
        if before != role:
            membership.role = role
            audit.record("membership.role", actor, community_id=community.id, subject=account_id,
                         **{"from": before, "to": role})
    return membership


def set_helps(actor, community, account_id: int, is_mediator: bool, is_coach: bool) -> Membership:
    """Mark a facilitator of the community as a mediator and/or coach: they then see and answer
    its help requests (admins only). Only facilitators may be marked."""
    if not policy.can_change_roles(actor, community.id):
        raise Problem("forbidden", status=403)
    with write_transaction():
        membership = db.session.scalar(select(Membership).where(
            Membership.community_id == community.id, Membership.account_id == account_id))
        if membership is None:
            raise Problem("not_found", status=404)
        if membership.role != ROLE_FACILITATOR and (is_mediator or is_coach):
            raise Problem("helps_need_facilitator", status=409)
        before = (membership.is_mediator, membership.is_coach)
        if before != (is_mediator, is_coach):
            membership.is_mediator, membership.is_coach = is_mediator, is_coach
            audit.record("membership.helps", actor, community_id=community.id, subject=account_id,
                         mediator=is_mediator, coach=is_coach)
    return membership


def add_member(actor, community, username: str, role: str) -> Membership:
    """Add an existing account to the community with a role (admins only)."""
    if not policy.can_change_roles(actor, community.id):
        raise Problem("forbidden", status=403)
    if role not in MEMBERSHIP_ROLES:
        raise Problem("bad_role", field="role")
    try:
        username = normalise_username(username)
    except Problem:
        raise Problem("no_such_account", status=404, field="username") from None
    account = db.session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise Problem("no_such_account", status=404, field="username")
    try:
        with write_transaction():
            membership = Membership(account_id=account.id, community_id=community.id, role=role)
            db.session.add(membership)
            db.session.flush()
            audit.record("membership.add", actor, community_id=community.id, subject=account.id, role=role)
    except IntegrityError:  # the unique (account, community) pair decides, not a look-up first
        raise Problem("already_member", status=409, field="username") from None
    return membership


# --- The audit log ------------------------------------------------------------------------

@dataclass
class AuditFilter:
    action: str | None = None
    community_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class AuditPage:
    events: list            # [(AuditEvent, username or None, Community or None)]
    older: int | None       # the keyset cursor for the next (older) page, or None


def parse_day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Problem("bad_date", field=field) from None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def audit_query(flt: AuditFilter):
    """The filtered audit events, newest first (one statement: the viewer and an export share it)."""
    query = select(AuditEvent)
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.community_id is not None:
        query = query.where(AuditEvent.community_id == flt.community_id)
    if flt.date_from is not None:
        query = query.where(AuditEvent.at >= _day_start(flt.date_from))
    if flt.date_to is not None:
        query = query.where(AuditEvent.at < _day_start(flt.date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.id.desc())


def audit_page(actor, flt: AuditFilter, before: int | None = None, size: int = 50) -> AuditPage:
    """One page of the audit log, newest first, by keyset (ids grow with time): a page deep in
    a long log costs the same as the first."""
    if not policy.can_view_audit(actor):
        raise Problem("forbidden", status=403)
    query = audit_query(flt)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query.limit(size + 1)))
    older = events[size - 1].id if len(events) > size else None
    events = events[:size]
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(db.session.execute(select(Account.id, Account.username).where(Account.id.in_(actor_ids))).all()) if actor_ids else {}
    community_ids = {e.community_id for e in events if e.community_id is not None}
    places = {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(community_ids)))} if community_ids else {}
    return AuditPage([(e, names.get(e.actor_id), places.get(e.community_id)) for e in events], older)


def audit_actions() -> list[str]:
    """Every action that occurs in the log (for the filter), known ones first."""
    present = set(db.session.scalars(select(AuditEvent.action).distinct()))
    known = [a for a in audit.ACTION_LABELS if a in present]
    return known + sorted(present - set(known))
