"""Reports of replies (moderation, same rules as stories): once per person, hidden at the
community's threshold, answered by the story's facilitators only; they go with the reply."""
import pytest
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.moderation import reply_reports
from kultialogo.moderation.models import ReplyReport
from kultialogo.replies import service as replies
from kultialogo.stories import service as stories

from .conftest import published_story, stored_reply


def reports() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ReplyReport))


def test_reports_hide_a_reply_at_the_threshold_and_a_facilitator_answers(app, web, cast, trusted):
    trusted()
    app.config["REPORTS_TO_HIDE"] = 2
    story_id = published_story(cast)
    _r, reply = replies.add_reply(cast["other_participant"].account, story_id, "Rude words")
    page = f"/stories/{story_id}"
    amina = web("author")
    assert "Report this reply" in amina.get(page).get_data(as_text=True)
    form = {"reason": "hateful", "note": "Not kind"}
    assert amina.form(f"{page}/replies/{reply.sync_id}/report", form, page=page).status_code == 302
    amina.form(f"{page}/replies/{reply.sync_id}/report", form, page=page)  # twice: counts once
    assert reports() == 1 and stored_reply(reply.sync_id).status == "published"
    # Its author cannot report it; an outsider does not see it.
    bilal = web("other_participant")
    token = bilal.csrf(page)
    assert bilal.post(f"{page}/replies/{reply.sync_id}/report", data={"csrf_token": token, **form}).status_code == 409
    root = web("admin")
    root.form(f"{page}/replies/{reply.sync_id}/report", form, page=page)
    assert stored_reply(reply.sync_id).status == "hidden"
    assert "Rude words" not in web("anonymous").get(page).get_data(as_text=True)
    # Only the story's facilitators answer: a participant is refused.
    assert bilal.post(f"{page}/replies/{reply.sync_id}/reports/dismiss",
                      data={"csrf_token": token}).status_code == 403
    giulia = web("facilitator")
    assert "Open reports: 2" in giulia.get(page).get_data(as_text=True)
    giulia.form(f"{page}/replies/{reply.sync_id}/reports/dismiss", {}, page=page)
    assert stored_reply(reply.sync_id).status == "published"
    assert "Open reports" not in giulia.get(page).get_data(as_text=True)


def test_community_reply_cannot_be_reported_from_outside_and_reports_go_with_the_story(web, cast, trusted):
    trusted()
    story_id = published_story(cast, visibility="community")
    _r, reply = replies.add_reply(cast["other_participant"].account, story_id, "Words")
    with pytest.raises(Exception) as refused:
        reply_reports.report_reply(cast["other_facilitator"].account, reply.sync_id, "spam")
    assert getattr(refused.value, "status", None) == 404
    reply_reports.report_reply(cast["author"].account, reply.sync_id, "spam")
    assert reports() == 1
    stories.withdraw_one(cast["author"].account, story_id)
    assert reports() == 0
