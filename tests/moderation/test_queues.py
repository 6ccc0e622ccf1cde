"""The two queues a facilitator clears: stories waiting for review and reported stories, per
community, oldest first, with what a decision needs, and actions as plain forms."""
import re

from sqlalchemy import select

from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.moderation.models import StoryReport
from tests import factories as f

from .conftest import audit_rows, stored, story_in, write_story
from .test_reports import open_reports, readers


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 dir="auto"><a href="/stories/[^"]+">([^<]+)</a></h2>', html)


def test_the_review_queue_is_per_community_and_oldest_first(web, cast):
    f.account("yusuf", community_slug="belgrade")
    from kultialogo.accounts.models import Account
    yusuf = db.session.scalar(select(Account).where(Account.username == "yusuf"))
    amina = cast["author"].account
    write_story(amina, title="First in Siena")
    write_story(yusuf, community="belgrade", title="Only in Belgrade")
    write_story(amina, title="Second in Siena", place="A town by the sea", about_minor=True,
                consent={"kind": "self", "guardian": True})

    giulia = web("facilitator").get("/review").get_data(as_text=True)
    assert titles(giulia) == ["First in Siena", "Second in Siena"]
    # What a decision needs: language, place, consent record, the minor flag.
    assert "A town by the sea" in giulia and "About or by a child." in giulia
    assert "Consent:" in giulia and "English" in giulia
    admin = web("admin")
    assert titles(admin.get("/review").get_data(as_text=True)) == ["First in Siena", "Only in Belgrade", "Second in Siena"]
    assert titles(admin.get("/review?community=belgrade").get_data(as_text=True)) == ["Only in Belgrade"]
    everything = admin.get("/review").get_data(as_text=True)
    assert 'href="/review?community=siena"' in everything  # the filter
    # A facilitator filtering on a community they do not review: as if it did not exist.
    assert web("facilitator").get("/review?community=belgrade").status_code == 404
    assert web("other_participant").get("/review").status_code == 403


def test_publishing_from_a_filtered_queue_comes_back_to_it(web, cast):
    story_id = write_story(cast["author"].account, title="Filtered")
    browser = web("admin")
    page = browser.get("/review?community=siena").get_data(as_text=True)
    action = f"/review/{story_id}/publish?next=queue&amp;community=siena"
    assert action in page
    response = browser.post(action.replace("&amp;", "&"), data={"csrf_token": f.csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/review?community=siena"
    assert stored(story_id).status == "published"


def _reported(cast, count, **kwargs):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account, **kwargs)
    people = readers(count) if count else []
    for n, person in enumerate(people):
        moderation.report(person.account, story_id, "personal_data" if n == 0 else "spam",
                          note=f"note {n} from a reader" if n == 0 else "")
    return story_id, people


def test_the_reports_queue_shows_reasons_and_notes_but_never_who(web, cast):
    story_id, people = _reported(cast, 2)
    page = web("facilitator").get("/review/reports").get_data(as_text=True)
    assert titles(page) == [stored(story_id).title]
    assert "Reported by 2 people" in page
    assert "note 0 from a reader" in page
    for person in people:
        assert person.username not in page
    assert web("other_facilitator").get("/review/reports").get_data(as_text=True).count("Reported by") == 0
    assert web("admin").get("/review/reports?community=siena").get_data(as_text=True).count("Reported by 2 people") == 1


def _resolve(web, story_id, decision, **data):
    browser = web("facilitator")
    page = browser.get("/review/reports").get_data(as_text=True)
    url = f"/review/reports/{story_id}/{decision}?next=reports"
    assert url in page.replace("&amp;", "&")
    return browser.post(url, data={"csrf_token": f.csrf_from(page), **data})


def test_dismissing_the_reports_of_an_auto_hidden_story_shows_it_again(web, cast):
    story_id, _people = _reported(cast, 3)
    assert stored(story_id).status == "hidden"
    revision = stored(story_id).revision
    response = _resolve(web, story_id, "dismiss")
    assert response.status_code == 302 and response.headers["Location"] == "/review/reports"
    story = stored(story_id)
    assert story.status == "published" and story.revision > revision
    assert open_reports(story_id) == 0
    db.session.rollback()
    assert all(r.resolved_by_id == cast["facilitator"].id and r.resolved_at is not None
               for r in db.session.scalars(select(StoryReport).where(StoryReport.story_id == story_id)))
    assert [r.detail for r in audit_rows(action="reports.resolve")] == [{"decision": "dismiss", "reports": 3}]
    assert [r.actor_id for r in audit_rows(action="story.unhide")] == [cast["facilitator"].id]
    # Out of the queue, and visible to everyone again.
    assert titles(web("facilitator").get("/review/reports").get_data(as_text=True)) == []
    assert web(None).get(f"/stories/{story_id}").status_code == 200


def test_dismissing_the_reports_of_a_visible_story_changes_nothing_else(web, cast):
    story_id, _people = _reported(cast, 1)
    revision = stored(story_id).revision
    assert _resolve(web, story_id, "dismiss").status_code == 302
    assert stored(story_id).status == "published" and stored(story_id).revision == revision
    assert open_reports(story_id) == 0


def test_hiding_a_reported_story_with_a_reason(web, cast):
    story_id, _people = _reported(cast, 1)
    response = _resolve(web, story_id, "hide", reason="personal_data", note="Please remove the address.")
    assert response.status_code == 302
    story = stored(story_id)
    assert (story.status, story.moderation_reason_code, story.moderation_reason) == \
        ("hidden", "personal_data", "Please remove the address.")
    assert open_reports(story_id) == 0
    author_page = web("author").get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Please remove the address." in author_page and "Why this story is hidden" in author_page


def test_keeping_an_auto_hidden_story_hidden_gives_the_author_the_facilitators_reason(web, cast):
    story_id, _people = _reported(cast, 3)
    revision = stored(story_id).revision
    assert _resolve(web, story_id, "hide", reason="hateful").status_code == 302
    story = stored(story_id)
    assert story.status == "hidden" and story.moderation_reason_code == "hateful"
    assert story.revision > revision  # the author's devices get the new reason


def test_rejecting_a_reported_story(web, cast):
    story_id, _people = _reported(cast, 3)
    response = _resolve(web, story_id, "reject", reason="off_topic")
    assert response.status_code == 302
    assert stored(story_id).status == "rejected" and stored(story_id).moderation_reason_code == "off_topic"
    assert open_reports(story_id) == 0
    mine = web("author").get("/account").get_data(as_text=True)
    assert stored(story_id).title in mine and "Not published" in mine


def test_a_facilitator_of_another_community_cannot_resolve(web, cast):
    story_id, _people = _reported(cast, 1)
    browser = web("other_facilitator")
    token = browser.csrf("/")
    assert browser.post(f"/review/reports/{story_id}/dismiss", data={"csrf_token": token}).status_code == 403
    assert web("other_participant").post(f"/review/reports/{story_id}/hide",
                                         data={"csrf_token": web("other_participant").csrf("/")}).status_code == 403
    assert open_reports(story_id) == 1


def test_a_moderation_decision_elsewhere_also_closes_the_reports(client, cast):
    story_id, _people = _reported(cast, 2)
    response = client.post(f"/api/v1/stories/{story_id}/moderation", headers=cast["facilitator"].headers,
                           json={"action": "hide", "reason": "hateful"})
    assert response.status_code == 200
    assert open_reports(story_id) == 0
    assert [r.detail["decision"] for r in audit_rows(action="reports.resolve")] == ["hide"]


def test_after_dismissal_the_same_people_cannot_hide_it_again(client, app, cast):
    story_id, people = _reported(cast, 3)
    moderation.resolve_reports(cast["facilitator"].account, story_id, "dismiss")
    for person in people:
        again = client.post(f"/api/v1/stories/{story_id}/reports", json={"reason": "spam"}, headers=person.headers)
        assert again.status_code == 200 and again.get_json()["result"] == "already_reported"
    assert stored(story_id).status == "published"
