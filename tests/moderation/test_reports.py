"""Reporting a story: who may, once per person (a unique constraint), auto-hide after N distinct
reporters, no view of each other, the reports queue, and the rate limit."""
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kultialogo.extensions import db
from kultialogo.moderation.models import StoryReport
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import audit_rows, stored, story_in


def report_api(client, member, story_id, reason="hateful", note=None):
    body = {"reason": reason}
    if note is not None:
        body["note"] = note
    return client.post(f"/api/v1/stories/{story_id}/reports", json=body,
                       headers=member.headers if member is not None else {})


def open_reports(story_id) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(StoryReport).where(
        StoryReport.story_id == story_id, StoryReport.resolved_at.is_(None)))


def readers(count: int) -> list:
    """More participants of siena, each a distinct person with a token."""
    from kultialogo.accounts.auth import issue_token

    from .conftest import Member
    return [Member(a, issue_token(a, "t")[0]) for a in
            (f.account(f"reader{n}", community_slug="siena") for n in range(count))]


def test_a_report_is_stored_once_with_its_reason_and_audited(client, cast):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    reader = cast["other_participant"]
    response = report_api(client, reader, story_id, "personal_data", note="It names my neighbour.")
    assert response.status_code == 201
    assert response.get_json() == {"id": str(story_id), "result": "reported"}
    again = report_api(client, reader, story_id, "spam")
    assert again.status_code == 200
    assert again.get_json() == {"id": str(story_id), "result": "already_reported"}
    db.session.rollback()
    rows = db.session.scalars(select(StoryReport).where(StoryReport.story_id == story_id)).all()
    assert [(r.reporter_id, r.reason, r.note) for r in rows] == [(reader.id, "personal_data", "It names my neighbour.")]
    assert [(r.action, r.actor_id, r.detail) for r in audit_rows(action="story.report")] == \
        [("story.report", reader.id, {"reason": "personal_data"})]


def test_the_unique_constraint_refuses_a_second_row_for_the_same_person(app, cast):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    reporter = cast["other_participant"].id
    db.session.add(StoryReport(story_id=story_id, reporter_id=reporter, reason="spam", created_at=utcnow()))
    db.session.commit()
    db.session.add(StoryReport(story_id=story_id, reporter_id=reporter, reason="hateful", created_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert open_reports(story_id) == 1


@pytest.mark.parametrize("threshold", [None, 2])
def test_n_distinct_reporters_hide_the_story_at_once_and_the_same_one_counts_once(client, app, cast, threshold):
    """Default 3 from the config, or the community's own number."""
    if threshold is not None:
        from kultialogo.communities.models import Community
        community = db.session.scalar(select(Community).where(Community.slug == "siena"))
        community.reports_to_hide = threshold
        db.session.commit()
    n = threshold or app.config["REPORTS_TO_HIDE"]
    assert n == (threshold or 3)
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    people = readers(n)
    revision = stored(story_id).revision
    for person in people[:-1]:
        assert report_api(client, person, story_id).status_code == 201
        # The same people again: never counted twice, never hidden by repetition.
        assert report_api(client, person, story_id, "spam").status_code == 200
    assert stored(story_id).status == "published" and stored(story_id).revision == revision
    assert open_reports(story_id) == n - 1

    assert report_api(client, people[-1], story_id).status_code == 201
    hidden = stored(story_id)
    assert hidden.status == "hidden" and hidden.revision > revision
    assert hidden.moderation_reason_code == "reported" and hidden.moderated_by_id is None
    [event] = audit_rows(action="story.auto_hide")
    assert event.actor_id is None and event.story_id == story_id
    assert event.detail == {"reports": n, "threshold": n}
    assert len(audit_rows(action="story.report")) == n


def test_who_may_report(client, cast):
    author, reader = cast["author"], cast["other_participant"]
    published = story_in("published", author.account, cast["facilitator"].account)
    pending = story_in("pending", author.account, cast["facilitator"].account)
    community_only = story_in("published", author.account, cast["facilitator"].account, visibility="community")

    assert report_api(client, None, published).status_code == 401
    own = report_api(client, author, published)
    assert own.status_code == 409 and own.get_json()["code"] == "not_reportable"
    assert report_api(client, reader, pending).status_code == 404  # not theirs to see
    # A community story: its members may report it; someone from elsewhere cannot even see it.
    assert report_api(client, reader, community_only).status_code == 201
    assert report_api(client, cast["other_facilitator"], community_only).status_code == 404
    assert report_api(client, reader, uuid.uuid4()).status_code == 404
    assert report_api(client, reader, "not-a-uuid").status_code == 404
    bad = report_api(client, reader, published, reason="boring")
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_reason"
    long = report_api(client, reader, published, note="x" * 1001)
    assert long.status_code == 400 and long.get_json()["code"] == "too_long"
    missing = client.post(f"/api/v1/stories/{published}/reports", json={}, headers=reader.headers)
    assert missing.status_code == 400 and missing.get_json()["code"] == "missing_field"
    assert open_reports(published) == 0 and open_reports(community_only) == 1


def test_reporters_get_no_view_of_each_other(client, web, cast, app):
    app.config["REPORTS_TO_HIDE"] = 5
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    first, second = readers(2)
    assert report_api(client, first, story_id, note="Secret note of the first reporter").status_code == 201
    answer = report_api(client, second, story_id)
    assert set(answer.get_json()) == {"id", "result"}  # no count, no names, no hidden flag

    # The story page tells a reporter only about their own report.
    browser = web("other_participant")
    page = browser.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "You reported this story" not in page and "Report this story" in page
    for name in (first.username, second.username, "Secret note"):
        assert name not in page
    # The author and other readers see nothing of the reports either.
    for role in ("author", "other_participant"):
        html = web(role).get(f"/stories/{story_id}").get_data(as_text=True)
        assert first.username not in html and "Secret note" not in html and "Reported by" not in html
    # Participants cannot open the reports queue, and the pull carries no report data.
    assert web("other_participant").get("/review/reports").status_code == 403
    items = client.get("/api/v1/sync/pull", headers=first.headers).get_json()["items"]
    mine = next(i for i in items if i["id"] == str(story_id))
    assert not any("report" in key for key in mine)


def test_the_report_form_on_the_story_page(web, cast):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    browser = web("other_participant")
    page = browser.get(f"/stories/{story_id}").get_data(as_text=True)
    assert f'action="/stories/{story_id}/report"' in page
    token = f.csrf_from(page)
    first = browser.post(f"/stories/{story_id}/report", data={"csrf_token": token, "reason": "spam", "note": ""})
    assert first.status_code == 302 and first.headers["Location"] == "/"
    assert "The facilitators will look at this story" in browser.get("/").get_data(as_text=True)
    again = browser.post(f"/stories/{story_id}/report", data={"csrf_token": token, "reason": "hateful"})
    assert again.status_code == 302
    landing = browser.get("/")
    assert landing.status_code == 200 and "You have already reported this story" in landing.get_data(as_text=True)
    assert open_reports(story_id) == 1
    after = browser.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "You reported this story" in after and f'action="/stories/{story_id}/report"' not in after
    # The author gets no report button on their own story.
    own = web("author").get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Report this story" not in own
    # Without the CSRF token nothing is stored.
    other = web("facilitator")
    assert other.post(f"/stories/{story_id}/report", data={"reason": "spam"}).status_code == 400
    assert open_reports(story_id) == 1


def test_reporting_is_rate_limited_with_an_explanation(client, cast):
    from kultialogo import limits
    reader = cast["other_participant"]
    stories = [story_in("published", cast["author"].account, cast["facilitator"].account)
               for _ in range(limits.REPORTS_PER_MINUTE + 1)]
    for story_id in stories[:-1]:
        assert report_api(client, reader, story_id).status_code == 201
    refused = report_api(client, reader, stories[-1])
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "report_rate_limited"
    assert str(limits.REPORTS_PER_MINUTE) in body["message"]
    assert "Retry-After" in refused.headers
    assert open_reports(stories[-1]) == 0
    # Another person is not slowed down by this one.
    assert report_api(client, cast["facilitator"], stories[-1]).status_code == 201


def test_the_html_form_and_the_api_share_one_limit(client, web, cast):
    from kultialogo import limits
    reader = cast["other_participant"]
    stories = [story_in("published", cast["author"].account, cast["facilitator"].account)
               for _ in range(limits.REPORTS_PER_MINUTE + 1)]
    browser = web("other_participant")
    token = browser.csrf("/")
    for story_id in stories[:3]:
        assert browser.post(f"/stories/{story_id}/report", data={"csrf_token": token, "reason": "spam"}).status_code == 302
    for story_id in stories[3:-1]:
        assert report_api(client, reader, story_id).status_code == 201
    refused = browser.post(f"/stories/{stories[-1]}/report", data={"csrf_token": token, "reason": "spam"})
    assert refused.status_code == 429
    assert "reports" in refused.get_data(as_text=True)  # the page explains the limit, in words


def test_a_deleted_reporters_report_still_counts_without_their_id(client, app, cast):
    from kultialogo.privacy import service as privacy
    app.config["REPORTS_TO_HIDE"] = 2
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    [gone, stays] = readers(2)
    assert report_api(client, gone, story_id).status_code == 201
    privacy.delete_account(gone.account, gone.account, privacy.DELETE_STORIES)
    db.session.rollback()
    [row] = db.session.scalars(select(StoryReport).where(StoryReport.story_id == story_id)).all()
    assert row.reporter_id is None
    assert report_api(client, stays, story_id).status_code == 201
    assert stored(story_id).status == "hidden"


def test_reports_in_a_sync_push_spend_the_same_budget(client, cast):
    """A phone that kept many reports offline sends them in one push: each counts against the
    person's budget, the one over it is refused alone, and the API then refuses too."""
    import uuid

    from kultialogo import limits
    reader = cast["other_participant"]
    stories = [story_in("published", cast["author"].account, cast["facilitator"].account)
               for _ in range(limits.REPORTS_PER_MINUTE + 2)]
    items = [{"type": "report", "id": str(uuid.uuid4()), "data": {"story": str(s), "reason": "spam"}}
             for s in stories[:limits.REPORTS_PER_MINUTE + 1]]
    answered = client.post("/api/v1/sync/push", json={"items": items}, headers=reader.headers).get_json()["results"]
    assert [r["result"] for r in answered] == ["created"] * limits.REPORTS_PER_MINUTE + ["rejected"]
    refused = answered[-1]["error"]
    assert refused["code"] == "report_rate_limited" and str(limits.REPORTS_PER_MINUTE) in refused["message"]
    assert open_reports(stories[limits.REPORTS_PER_MINUTE]) == 0
    assert report_api(client, reader, stories[-1]).status_code == 429
