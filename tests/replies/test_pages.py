"""The story page's replies and reactions (plain forms, CSRF, no JavaScript), and the
authorization of every form endpoint for every role."""
import uuid

import pytest
from sqlalchemy import select

from kultialogo.extensions import db
from kultialogo.replies import service as replies
from kultialogo.replies.models import Reaction, Reply

from .conftest import published_story


def stored_replies(story_id) -> list[Reply]:
    db.session.rollback()
    return list(db.session.scalars(select(Reply).where(Reply.story_id == story_id).order_by(Reply.id)))


def test_a_reader_replies_and_reacts_with_plain_forms(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    page = f"/stories/{story_id}"
    bilal = web("other_participant")
    html = bilal.get(page).get_data(as_text=True)
    assert "Send the reply" in html and "Thank you for sharing" in html and "No replies yet." in html
    reply_id = str(uuid.uuid4())
    response = bilal.form(f"{page}/replies", {"body": "It reminded me of my first winter.", "id": reply_id}, page=page)
    assert response.status_code == 302
    # Sent twice (a double tap, a replay): stored once.
    bilal.form(f"{page}/replies", {"body": "It reminded me of my first winter.", "id": reply_id}, page=page)
    [reply] = stored_replies(story_id)
    assert (str(reply.sync_id), reply.status, reply.author_id) == (reply_id, "published", cast["other_participant"].id)
    assert bilal.form(f"{page}/reactions/me_too", {}, page=page).status_code == 302
    html = web("anonymous").get(page).get_data(as_text=True)
    assert "It reminded me of my first winter." in html and "Send the reply" not in html
    assert 'Me too <span class="count">1</span>' in html
    # Pressing again takes it back.
    bilal.form(f"{page}/reactions/me_too", {}, page=page)
    db.session.rollback()
    assert db.session.scalar(select(Reaction.id)) is None


def test_without_csrf_or_sign_in_nothing_is_stored(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    page = f"/stories/{story_id}"
    bilal = web("other_participant")
    assert bilal.post(f"{page}/replies", data={"body": "No token"}).status_code in (302, 400)
    assert bilal.post(f"{page}/reactions/thanks", data={}).status_code == 400
    anonymous = web("anonymous")
    token = anonymous.csrf(page)
    for path in (f"{page}/replies", f"{page}/reactions/thanks", f"{page}/replies-off"):
        response = anonymous.post(path, data={"csrf_token": token, "body": "Hello"})
        assert response.status_code in (302, 401) and "/signin" in response.headers.get("Location", "/signin")
    assert stored_replies(story_id) == []


ROLES = ("author", "other_participant", "facilitator", "other_facilitator", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_do_what_on_a_community_story(web, cast, trusted, role):
    """A community-only story: Milica (Belgrade) gets 404 everywhere; members reply and react;
    only the reply's author and moderators delete it; only moderators hide or publish; only the
    story's author turns replies off."""
    trusted()
    story_id = published_story(cast, visibility="community")
    _result, reply = replies.add_reply(cast["other_participant"].account, story_id, "A reply by Bilal")
    page = f"/stories/{story_id}"
    browser = web(role)
    token = browser.csrf("/")
    post = lambda path: browser.post(path, data={"csrf_token": token, "body": f"From {role}"})  # noqa: E731
    outsider = role == "other_facilitator"
    assert browser.get(page).status_code == (404 if outsider else 200)
    assert post(f"{page}/replies").status_code == (404 if outsider else 302)
    assert post(f"{page}/reactions/learned").status_code == (404 if outsider else 302)
    hide = post(f"{page}/replies/{reply.sync_id}/hide").status_code
    assert hide == {"other_facilitator": 404, "facilitator": 302, "admin": 302}.get(role, 403)
    switch = post(f"{page}/replies-off").status_code
    assert switch == {"other_facilitator": 404, "author": 302}.get(role, 403)
    delete = post(f"{page}/replies/{reply.sync_id}/delete").status_code
    assert delete == {"other_facilitator": 404, "facilitator": 302, "admin": 302,
                      "other_participant": 302, "author": 403}[role]
    bodies = [r.body for r in stored_replies(story_id)]
    assert ("A reply by Bilal" in bodies) == (role in ("author",) or outsider)
    assert (f"From {role}" in bodies) == (not outsider)


def test_hidden_and_waiting_replies_on_the_page(web, cast):
    story_id = published_story(cast)  # siena reviews: a participant's reply waits
    _result, reply = replies.add_reply(cast["other_participant"].account, story_id, "Waiting words")
    page = f"/stories/{story_id}"
    assert "Waiting words" not in web("anonymous").get(page).get_data(as_text=True)
    assert "Waiting words" not in web("author").get(page).get_data(as_text=True)
    assert "Waiting for review" in web("other_participant").get(page).get_data(as_text=True)
    giulia = web("facilitator")
    assert "Publish this reply" in giulia.get(page).get_data(as_text=True)
    # The review page lists it for the story's facilitators only.
    assert "Waiting words" in giulia.get("/review").get_data(as_text=True)
    assert "Waiting words" not in web("other_facilitator").get("/review").get_data(as_text=True)
    giulia.form(f"{page}/replies/{reply.sync_id}/publish", {}, page=page)
    assert "Waiting words" in web("anonymous").get(page).get_data(as_text=True)
    giulia.form(f"{page}/replies/{reply.sync_id}/hide", {}, page=page)
    assert "Waiting words" not in web("anonymous").get(page).get_data(as_text=True)
    assert "Hidden by a facilitator" in web("other_participant").get(page).get_data(as_text=True)


def test_replies_off_on_the_page(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    page = f"/stories/{story_id}"
    amina = web("author")
    assert "Turn replies off" in amina.get(page).get_data(as_text=True)
    amina.form(f"{page}/replies-off", {}, page=page)
    bilal = web("other_participant")
    html = bilal.get(page).get_data(as_text=True)
    assert "The author turned replies off for this story." in html and "Send the reply" not in html
    token = bilal.csrf(page)
    response = bilal.post(f"{page}/replies", data={"csrf_token": token, "body": "Still?"})
    assert response.status_code == 302
    assert stored_replies(story_id) == []
    assert "The author turned replies off" in bilal.get(page).get_data(as_text=True)
    amina.form(f"{page}/replies-on", {}, page=page)
    assert "Send the reply" in bilal.get(page).get_data(as_text=True)
