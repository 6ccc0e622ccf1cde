"""The moderation part of a person's data: the reports they made of stories."""
from sqlalchemy import select, update

from ..extensions import db
from ..personal_data import Part
from ..timeutil import isoformat
from . import reply_reports
from .models import StoryReport


def _export(person) -> dict:
    rows = db.session.scalars(select(StoryReport).where(StoryReport.reporter_id == person.id)
                              .order_by(StoryReport.created_at, StoryReport.id))
    return {"reports.json": [{"story": str(r.story_id), "reason": r.reason, "note": r.note,
                              "created_at": isoformat(r.created_at), "resolved": r.resolved_at is not None}
                             for r in rows],
            "reply_reports.json": reply_reports.made_by(person)}


def _forget(person, choice, revs) -> None:
    # Their notes on reports are their words: blanked. The reports keep counting, without a
    # reporter (reporter_id is SET NULL with the account row).
    db.session.execute(update(StoryReport).where(StoryReport.reporter_id == person.id).values(note="")
                       .execution_options(synchronize_session=False))
    reply_reports.forget(person)


PART = Part("reports", "reports.json and reply_reports.json (the stories and replies you reported, with your notes)",
            _export, _forget, order=80)
