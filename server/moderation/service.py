"""Moderation logic shared by the API and the review pages: status changes with their reasons,
reports (and the auto-hide after enough distinct reporters), and the two queues.

Every change runs in one write transaction that holds the revision counter lock (a
RevisionBlock), so two reports arriving together are counted one after the other, and writes
its audit event in that same transaction.
"""
import uuid
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from limits import parse_many
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit, limits, policy, records
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db, limiter
from ..revisions import RevisionBlock
from ..stories import hooks as story_hooks
from ..stories.models import (STATUS_HIDDEN, STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED,
                              Story)
from ..timeutil import utcnow
from ..userinput import clean_text
from .models import MODERATION_REASONS, REASON_REPORTED, REPORT_REASONS, StoryReport
from .reasons import moderation_reason_text

NOTE_MAX = limits.REPORT_NOTE_MAX

# action: (statuses it applies to, status it leads to). Reject also applies to a published or
# hidden story: a facilitator who finds a name or an address in it tells the author why, and
# the author's next edit goes back to review (a hidden story stays hidden when edited).
TRANSITIONS = {
    "publish": ({STATUS_PENDING, STATUS_REJECTED}, STATUS_PUBLISHED),
    "reject": ({STATUS_PENDING, STATUS_PUBLISHED, STATUS_HIDDEN}, STATUS_REJECTED),
    "hide": ({STATUS_PUBLISHED}, STATUS_HIDDEN),
    "unhide": ({STATUS_HIDDEN}, STATUS_PUBLISHED),
}
ACTIONS = tuple(TRANSITIONS)
WITH_REASON = ("reject", "hide")

# What a facilitator decides about a reported story.
DISMISS, HIDE, REJECT = "dismiss", "hide", "reject"
DECISIONS = (DISMISS, HIDE, REJECT)


def parse_reason(action: str, reason, note) -> tuple[str | None, str]:
    """(reason code, note) for an action.

    ``reason`` is a code (MODERATION_REASONS). A text that is not a code is taken as the
    facilitator's note with the code "other": the contract's ``reason`` has always been free
    text, and old clients keep working. Publishing and unhiding carry no reason.
    """
    if reason is None:
        reason = ""
    if note is None:
        note = ""
    if not isinstance(reason, str):
        raise Problem("bad_type", field="reason")
    if not isinstance(note, str):
        raise Problem("bad_type", field="note")
    note = clean_text(note, "note", NOTE_MAX, multiline=True)
    code = reason.strip()
    if code and code not in MODERATION_REASONS:
        if note:
            raise Problem("bad_reason", field="reason")
        note, code = clean_text(reason, "reason", NOTE_MAX, multiline=True), "other"
    if action not in WITH_REASON:
        return None, ""
    return code or "other", note


def _resolve_open_reports(actor, story, decision: str, now, revs: RevisionBlock) -> int:
    """Mark the story's open reports resolved; return how many there were.

    Each gets its own revision (the reporter's phones pull the change, kind "report"): one per
    row, since a pull page may end between two rows and must not skip the second.
    """
    ids = list(db.session.scalars(select(StoryReport.id).where(
        StoryReport.story_id == story.id, StoryReport.resolved_at.is_(None)).order_by(StoryReport.id)))
    for report_id in ids:
        db.session.execute(
            update(StoryReport).where(StoryReport.id == report_id)
            .values(resolved_at=now, resolved_by_id=getattr(actor, "id", None), revision=revs.next())
            .execution_options(synchronize_session=False))
    count = len(ids)
    if count:
        audit.record("reports.resolve", actor, story_id=story.id, community_id=story.community_id,
                     decision=decision, reports=count)
    return count


def _story_to_moderate(actor, story_id) -> Story:
    """The story, if this actor moderates its community: 404 if there is none, else 403."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise Problem("not_found", status=404)
    if not policy.can_moderate_story(actor, story):
        raise Problem("forbidden", status=403)
    return story


def _transition(actor, story: Story, action: str, code, note: str, revs: RevisionBlock, now) -> bool:
    """Change the story's status inside the caller's transaction; False if already there."""
    if not policy.can_moderate_story(actor, story):
        raise Problem("forbidden", status=403)
    allowed_from, target = TRANSITIONS[action]
    if target == STATUS_PUBLISHED and story.status != target and not policy.can_publish_story(actor, story):
        raise Problem("second_look_required", status=403)
    if story.status == target:
        if action not in WITH_REASON or (story.moderation_reason_code, story.moderation_reason) == (code, note):
            return False  # a retried request: harmless
        # The same decision with another reason (a facilitator confirms an auto-hide and says
        # why): the author's devices must get the new reason, so it is a change.
        before = story.status
    elif story.status not in allowed_from:
        raise Problem("bad_transition", status=409)
    else:
        before = story.status
    story.status = target
    story.moderation_reason_code = code
    story.moderation_reason = note
    story.moderated_by_id = actor.id
    story.moderated_at = now
    story.revision = revs.next()
    if target == STATUS_PUBLISHED and not story.ever_published:
        story.ever_published = True
        story_hooks.first_published(story)
    # ids and codes only: the note is the facilitator's text and stays on the story.
    audit.record(f"story.{action}", actor, story_id=story.id, community_id=story.community_id,
                 **{"from": before, "to": target, "reason": code, "note": bool(note)})
    return True


def moderate(actor, story_id: uuid.UUID, action: str, reason="", note="") -> Story:
    """Publish, reject, hide or unhide a story; repeating an applied action changes nothing.

    A decision also closes the story's open reports: a facilitator has looked at it.
    """
    if action not in TRANSITIONS:
        raise Problem("bad_action", field="action")
    code, note = parse_reason(action, reason, note)
    with write_transaction():
        story = _story_to_moderate(actor, story_id)
        revs = RevisionBlock(db.session)
        now = utcnow()
        if _transition(actor, story, action, code, note, revs, now):
            _resolve_open_reports(actor, story, action, now, revs)
        revs.flush()
    return story


# --- Reports ----------------------------------------------------------------------------

@dataclass
class ReportOutcome:
    created: bool          # False: this person had already reported this story
    hidden: bool = False   # this report hid the story (the threshold was reached)


def reports_to_hide(community) -> int:
    """Distinct reporters that hide a story at once: the community's own number, else the site's."""
    own = getattr(community, "reports_to_hide", None)
    return own if own else int(current_app.config["REPORTS_TO_HIDE"])


def clean_report(reason, note) -> tuple[str, str]:
    if not isinstance(reason, str):
        raise Problem("missing_field" if reason is None else "bad_type", field="reason")
    if reason not in REPORT_REASONS:
        raise Problem("bad_reason", field="reason")
    if note is None:
        note = ""
    return reason, clean_text(note, "note", NOTE_MAX, multiline=True)


def report(actor, story_id: uuid.UUID, reason, note="") -> ReportOutcome:
    """Report a story. The same person twice counts once (the unique constraint decides).

    When the story's open reports reach the community's threshold, it is hidden at once,
    with a new revision (devices drop it on their next pull) and an audit event.
    """
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    reason, note = clean_report(reason, note)
    with write_transaction():
        story = db.session.get(Story, story_id)
        if story is None or not policy.can_view_story(actor, story):
            raise Problem("not_found", status=404)
        if not policy.can_report_story(actor, story):
            raise Problem("not_reportable", status=409)
        # The counter lock first: reports of one story are then counted one after another,
        # so the N-th distinct reporter always sees the other N-1.
        revs = RevisionBlock(db.session)
        outcome = file_report(actor, story, reason, note, revs)
        revs.flush()
    return outcome


def report_limits() -> str:
    return f"{limits.REPORTS_PER_MINUTE} per minute;{limits.REPORTS_PER_HOUR} per hour"


REPORT_SCOPE = "story-reports"


def reporter_key(account) -> str:
    """One budget per person, whichever way (page, API, sync push; any token) they report."""
    return f"report:{account.id}"


def spend_report_budget(actor) -> None:
    """Count one report against the person's budget, or refuse it (429 report_rate_limited)
    when one of the limits is spent. The page and the API spend it through Flask-Limiter's
    shared limit (routes.py); this spends the same counters for reports that come in a push,
    where one request may carry many."""
    if not limiter.enabled:
        return  # RATELIMIT_ENABLED off (the size bench, a camp node's own tests): no storage to count in
    strategy = limiter.limiter
    budgets = parse_many(report_limits())
    key = reporter_key(actor)
    for budget in budgets:
        if not strategy.test(budget, key, REPORT_SCOPE):
            raise Problem("report_rate_limited", status=429, field="story", max=budget.amount)
    for budget in budgets:
        strategy.hit(budget, key, REPORT_SCOPE)


def file_report(actor, story: Story, reason: str, note: str, revs: RevisionBlock, sync_id=None) -> ReportOutcome:
    """Store a checked report inside the caller's transaction (which holds the counter lock);
    hide the story when its open reports reach the threshold. The form, the API and the sync
    (records.py) come here."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(StoryReport(story_id=story.id, reporter_id=actor.id, reason=reason, note=note,
                                       created_at=now, sync_id=sync_id or uuid.uuid4(), revision=revs.next()))
    except IntegrityError:
        return ReportOutcome(created=False)
    audit.record("story.report", actor, story_id=story.id, community_id=story.community_id, reason=reason)
    count = db.session.scalar(select(func.count()).select_from(StoryReport).where(
        StoryReport.story_id == story.id, StoryReport.resolved_at.is_(None)))
    threshold = reports_to_hide(story.community)
    hidden = False
    if story.status == STATUS_PUBLISHED and count >= threshold:
        story.status = STATUS_HIDDEN
        story.moderation_reason_code = REASON_REPORTED
        story.moderation_reason = ""
        story.moderated_by_id = None
        story.moderated_at = now
        story.revision = revs.next()
        audit.record("story.auto_hide", None, story_id=story.id, community_id=story.community_id,
                     reports=count, threshold=threshold)
        hidden = True
    return ReportOutcome(created=True, hidden=hidden)


def resolve_reports(actor, story_id: uuid.UUID, decision: str, reason="", note="") -> Story:
    """A facilitator's answer to a reported story; its open reports are then resolved.

    dismiss: the reports were unfounded, the story stays (or is again) visible;
    hide: hidden (the author sees why); reject: rejected, the author's next edit goes to review.
    """
    if decision not in DECISIONS:
        raise Problem("bad_action", field="decision")
    action = {DISMISS: "unhide", HIDE: "hide", REJECT: "reject"}[decision]
    code, note = parse_reason(action, reason, note)
    with write_transaction():
        story = _story_to_moderate(actor, story_id)
        revs = RevisionBlock(db.session)
        now = utcnow()
        if decision != DISMISS or story.status == STATUS_HIDDEN:
            _transition(actor, story, action, code, note, revs, now)
        _resolve_open_reports(actor, story, decision, now, revs)
        revs.flush()
    return story


# --- Queues -------------------------------------------------------------------------------

def reviewable_community_ids(viewer) -> set[int] | None:
    """Communities whose queues this viewer sees; None: every community (a site admin)."""
    return policy.managed_community_ids(viewer)


def _scoped(query, viewer, community_id):
    ids = reviewable_community_ids(viewer)
    if community_id is not None:
        if ids is not None and community_id not in ids:
            return None
        return query.where(Story.community_id == community_id)
    if ids is None:
        return query
    if not ids:
        return None
    return query.where(Story.community_id.in_(ids))


def review_queue(viewer, community_id: int | None = None) -> list[Story]:
    """Pending stories in the communities this viewer moderates (or one of them), oldest first."""
    query = _scoped(select(Story).where(Story.status == STATUS_PENDING), viewer, community_id)
    if query is None:
        return []
    return list(db.session.scalars(query.order_by(Story.received_at, Story.id)))


@dataclass
class ReportedStory:
    """A story with open reports, as a facilitator sees it: reasons and notes, never who."""
    story: Story
    count: int
    first_at: object
    reasons: list = field(default_factory=list)   # [(code, count)], most frequent first
    notes: list = field(default_factory=list)     # the reporters' notes, oldest first


def reports_queue(viewer, community_id: int | None = None) -> list[ReportedStory]:
    """Stories with open reports, the longest-waiting first."""
    opened = (select(StoryReport.story_id, func.count().label("n"), func.min(StoryReport.created_at).label("first"))
              .where(StoryReport.resolved_at.is_(None)).group_by(StoryReport.story_id).subquery())
    query = (select(Story, opened.c.n, opened.c.first).join(opened, opened.c.story_id == Story.id)
             .where(Story.status != "withdrawn"))
    query = _scoped(query, viewer, community_id)
    if query is None:
        return []
    rows = db.session.execute(query.order_by(opened.c.first, Story.id)).all()
    if not rows:
        return []
    reports = db.session.scalars(select(StoryReport).where(
        StoryReport.story_id.in_([row[0].id for row in rows]), StoryReport.resolved_at.is_(None))
        .order_by(StoryReport.id).options(selectinload(StoryReport.story))).all()
    by_story: dict = {}
    for r in reports:
        by_story.setdefault(r.story_id, []).append(r)
    out = []
    for story, count, first in rows:
        mine = by_story.get(story.id, [])
        reasons = Counter(r.reason for r in mine).most_common()
        out.append(ReportedStory(story, count, first, reasons, [r.note for r in mine if r.note]))
    return out


def queue_counts(viewer) -> dict[int, tuple[int, int]]:
    """{community_id: (pending stories, stories with open reports)} for the community filter."""
    ids = reviewable_community_ids(viewer)
    if ids is not None and not ids:
        return {}
    pending = select(Story.community_id, func.count()).where(Story.status == STATUS_PENDING)
    reported = (select(Story.community_id, func.count(func.distinct(Story.id)))
                .join(StoryReport, StoryReport.story_id == Story.id)
                .where(StoryReport.resolved_at.is_(None), Story.status != "withdrawn"))
    if ids is not None:
        pending = pending.where(Story.community_id.in_(ids))
        reported = reported.where(Story.community_id.in_(ids))
    out: dict[int, list[int]] = {}
    for cid, n in db.session.execute(pending.group_by(Story.community_id)):
        out.setdefault(cid, [0, 0])[0] = n
    for cid, n in db.session.execute(reported.group_by(Story.community_id)):
        out.setdefault(cid, [0, 0])[1] = n
    return {cid: (p, r) for cid, (p, r) in out.items()}


def has_reported(viewer, story_id) -> bool:
    """Whether this person already reported the story (to show "you reported this", nothing more)."""
    if not policy.signed_in(viewer):
        return False
    return db.session.scalar(select(func.count()).select_from(StoryReport).where(
        StoryReport.story_id == story_id, StoryReport.reporter_id == viewer.id)) > 0


# --- Attached to stories (stories/hooks.py) -------------------------------------------------

def add_reason_to_story_view(story, viewer, view: dict) -> None:
    """Why a story was rejected or hidden, in its sync view, for its author only: a code, its
    words in the requester's language, and the facilitator's own note (moderation_reason, as
    before codes existed). A stories/hooks.py view extender."""
    if story.status not in (STATUS_REJECTED, STATUS_HIDDEN) or not policy.is_author(viewer, story):
        return
    if story.moderation_reason_code:
        view["moderation_reason_code"] = story.moderation_reason_code
        view["moderation_reason_text"] = moderation_reason_text(story.moderation_reason_code)
    if story.moderation_reason:
        view["moderation_reason"] = story.moderation_reason


def delete_reports_with_story(actor, story: Story, revs: RevisionBlock) -> None:
    """Reports on a story go with its content: a reporter's note may quote the story. (The
    audit log keeps that it was reported, by whom and why, without text.) A stories/hooks.py
    withdrawal hook. Each leaves a tombstone for the reporter's and the moderators' phones."""
    for sync_id, reporter_id in db.session.execute(select(StoryReport.sync_id, StoryReport.reporter_id)
                                                   .where(StoryReport.story_id == story.id)).all():
        records.bury("report", sync_id, revs, community_id=story.community_id, owner_id=reporter_id,
                     audience="facilitators")
    db.session.execute(delete(StoryReport).where(StoryReport.story_id == story.id)
                       .execution_options(synchronize_session=False))
