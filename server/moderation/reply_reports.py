"""Reports of replies to stories: the same rules as reports of stories (service.py). One per
person and reply (the unique constraint decides), the same reasons and note, the same report
budget; when a reply's open reports reach the community's threshold it is hidden at once. A
facilitator then keeps it (dismiss: published again) or hides it, which resolves its reports.

Moderation builds on replies (pyproject's layers): it calls the replies service, never the
other way round.
"""
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, policy
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..replies import service as replies
from ..replies.models import REPLY_HIDDEN, REPLY_PUBLISHED, Reply
from ..revisions import RevisionBlock
from ..timeutil import utcnow
from .models import ReplyReport
from .service import DISMISS, HIDE, ReportOutcome, clean_report, reports_to_hide, spend_report_budget


def _reply_for(actor, reply_id):
    reply = replies.find_reply(reply_id)
    if reply is None or not policy.can_see_reply(actor, reply, reply.story):
        raise Problem("not_found", status=404)
    return reply


def report_reply(actor, reply_id, reason, note="") -> ReportOutcome:
    """Report a reply; the same person twice counts once."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    reason, note = clean_report(reason, note)
    with write_transaction():
        reply = _reply_for(actor, reply_id)
        story = reply.story
        if not policy.can_report_reply(actor, reply, story):
            raise Problem("not_reportable", status=409)
        revs = RevisionBlock(db.session)  # the counter lock: reports of one reply counted in turn
        try:
            with db.session.begin_nested():
                db.session.add(ReplyReport(reply_id=reply.id, reporter_id=actor.id, reason=reason, note=note,
                                           created_at=utcnow()))
        except IntegrityError:
            return ReportOutcome(created=False)
        spend_report_budget(actor)
        audit.record("reply.report", actor, story_id=story.id, community_id=story.community_id, reason=reason)
        count = open_reports(reply.id)
        threshold = reports_to_hide(story.community)
        hidden = count >= threshold and replies.set_status(None, reply, REPLY_HIDDEN, revs)
        revs.flush()
    return ReportOutcome(created=True, hidden=bool(hidden))


def open_reports(reply_id) -> int:
    return db.session.scalar(select(func.count()).select_from(ReplyReport).where(
        ReplyReport.reply_id == reply_id, ReplyReport.resolved_at.is_(None)))


def has_reported(viewer, reply) -> bool:
    if not policy.signed_in(viewer):
        return False
    return db.session.scalar(select(func.count()).select_from(ReplyReport).where(
        ReplyReport.reply_id == reply.id, ReplyReport.reporter_id == viewer.id)) > 0


def resolve(actor, reply_id, decision: str) -> None:
    """A facilitator's answer to a reported reply: dismiss (it is published again) or hide."""
    if decision not in (DISMISS, HIDE):
        raise Problem("bad_action", field="decision")
    with write_transaction():
        reply = _reply_for(actor, reply_id)
        if not policy.can_moderate_reply(actor, reply.story):
            raise Problem("forbidden", status=403)
        revs = RevisionBlock(db.session)
        replies.set_status(actor, reply, REPLY_PUBLISHED if decision == DISMISS else REPLY_HIDDEN, revs)
        db.session.execute(update(ReplyReport).where(ReplyReport.reply_id == reply.id,
                                                     ReplyReport.resolved_at.is_(None))
                           .values(resolved_at=utcnow()).execution_options(synchronize_session=False))
        audit.record(f"reply.reports_{decision}", actor, story_id=reply.story_id,
                     community_id=reply.story.community_id)
        revs.flush()


def made_by(person) -> list[dict]:
    """The replies this person reported, for their data download."""
    rows = db.session.execute(select(ReplyReport, Reply.sync_id).join(Reply, Reply.id == ReplyReport.reply_id)
                              .where(ReplyReport.reporter_id == person.id)
                              .order_by(ReplyReport.created_at, ReplyReport.id))
    return [{"reply": str(sync_id), "reason": r.reason, "note": r.note, "resolved": r.resolved_at is not None}
            for r, sync_id in rows]


def forget(person) -> None:
    db.session.execute(update(ReplyReport).where(ReplyReport.reporter_id == person.id).values(note="")
                       .execution_options(synchronize_session=False))
