"""POST /api/v1/stories/{id}/moderation: who may, which transitions apply, and pulls follow."""
import uuid

import pytest

from kultialogo.stories.models import Story
from tests import factories as f

from .conftest import by_id, pull_all, push_one, stored_state, stored_story


def url(story_id) -> str:
    return f"/api/v1/stories/{story_id}/moderation"


def act(client, person, story_id, action, reason=None):
    body = {"action": action}
    if reason is not None:
        body["reason"] = reason
    return client.post(url(story_id), json=body, headers=person.headers if person else {})


@pytest.fixture
def pending(client, people):
    item = f.item(title="Waiting for review")
    push_one(client, people["participant_a"], item)
    return item["id"]


@pytest.mark.parametrize("who", ["facilitator_a", "admin"])
def test_facilitators_of_the_community_and_admins_can_publish(client, people, pending, who):
    before = stored_story(uuid.UUID(pending)).revision
    response = act(client, people[who], pending, "publish")
    assert response.status_code == 200, response.get_data(as_text=True)
    story = response.get_json()
    assert story["id"] == pending and story["status"] == "published"
    assert story["revision"] > before
    stored = stored_story(uuid.UUID(pending))
    assert stored.status == "published" and stored.moderated_by_id == people[who].id


@pytest.mark.parametrize("who", ["facilitator_b", "participant_a", "participant_b"])
def test_anyone_else_gets_403_and_nothing_changes(client, people, pending, who):
    before = stored_state()
    response = act(client, people[who], pending, "publish")
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "forbidden"
    assert stored_state() == before


def test_moderation_needs_credentials(client, people, pending):
    response = act(client, None, pending, "publish")
    assert response.status_code == 401
    assert stored_story(uuid.UUID(pending)).status == "pending"


def test_reject_keeps_the_reason_for_the_author_only(client, people, pending):
    response = act(client, people["facilitator_a"], pending, "reject", reason="Names a child; please remove.")
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    mine = by_id(pull_all(client, people["participant_a"])[0])[pending]
    assert mine["status"] == "rejected"
    assert mine["moderation_reason"] == "Names a child; please remove."
    assert pending not in by_id(pull_all(client, people["facilitator_a"])[0])


@pytest.mark.parametrize("path,action,expected", [
    ((), "publish", "published"), ((), "reject", "rejected"), (("publish",), "hide", "hidden"),
    (("publish", "hide"), "unhide", "published"), (("reject",), "publish", "published"),
    # A published or hidden story can be rejected: its author learns why, and their next edit
    # goes back to review.
    (("publish",), "reject", "rejected"), (("publish", "hide"), "reject", "rejected"),
])
def test_allowed_transitions(client, people, pending, path, action, expected):
    fatima = people["facilitator_a"]
    for step in path:
        assert act(client, fatima, pending, step).status_code == 200
    response = act(client, fatima, pending, action)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == expected


@pytest.mark.parametrize("path,action", [
    ((), "hide"), ((), "unhide"),
    (("reject",), "hide"), (("reject",), "unhide"), (("publish", "hide"), "publish"),
])
def test_transitions_that_do_not_apply_are_409_bad_transition(client, people, pending, path, action):
    fatima = people["facilitator_a"]
    for step in path:
        assert act(client, fatima, pending, step).status_code == 200
    before = stored_state()
    response = act(client, fatima, pending, action)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "bad_transition"
    assert stored_state() == before


@pytest.mark.parametrize("action", ["publish", "reject", "hide", "unhide"])
def test_a_withdrawn_story_cannot_be_moderated_back(client, people, pending, action):
    push_one(client, people["participant_a"], {"type": "story", "op": "withdraw", "id": pending})
    before = stored_state()
    response = act(client, people["admin"], pending, action)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.get_json()["code"] == "bad_transition"
    assert stored_state() == before
    assert stored_story(uuid.UUID(pending)).status == "withdrawn"


def test_repeating_an_applied_action_changes_nothing(client, people, pending):
    fatima = people["facilitator_a"]
    first = act(client, fatima, pending, "publish").get_json()
    again = act(client, fatima, pending, "publish")
    assert again.status_code == 200
    assert again.get_json()["revision"] == first["revision"]


@pytest.mark.parametrize("body,code", [
    ({"action": "delete"}, "bad_action"), ({}, "missing_field"), ({"action": 3}, "bad_type"),
    ({"action": "reject", "reason": 5}, "bad_type"), ({"action": "reject", "reason": "\x00"}, "bad_text"),
    ({"action": "reject", "reason": "r" * 1001}, "too_long"),
])
def test_a_bad_moderation_request_is_400(client, people, pending, body, code):
    before = stored_state()
    response = client.post(url(pending), json=body, headers=people["facilitator_a"].headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["code"] == code
    assert stored_state() == before


@pytest.mark.parametrize("raw", [b"[]", b"{", b'"publish"'])
def test_a_moderation_body_that_is_not_an_object_is_400(client, people, pending, raw):
    response = client.post(url(pending), data=raw, content_type="application/json",
                           headers=people["facilitator_a"].headers)
    assert response.status_code == 400


@pytest.mark.parametrize("story_id", ["5c33ac9d-a3b5-4b68-9728-44e3e9893a64", "not-a-uuid"])  # fixed: every xdist worker must collect the same ids
def test_an_unknown_story_is_404(client, people, story_id):
    response = act(client, people["admin"], story_id, "publish")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_pulls_reflect_hide_and_unhide(client, people, pending):
    fatima = people["facilitator_a"]
    act(client, fatima, pending, "publish")
    seen, cursor = pull_all(client)
    assert by_id(seen)[pending]["title"] == "Waiting for review"

    hidden = act(client, fatima, pending, "hide").get_json()
    changes, cursor = pull_all(client, cursor=cursor)
    assert changes == [{"id": pending, "deleted": True, "revision": hidden["revision"]}]

    shown = act(client, fatima, pending, "unhide").get_json()
    changes, cursor = pull_all(client, cursor=cursor)
    assert [c["id"] for c in changes] == [pending]
    assert changes[0]["status"] == "published" and changes[0]["revision"] == shown["revision"]
    assert changes[0]["title"] == "Waiting for review"  # hiding never discards the author's text
    assert Story  # the model is what stored_story returns
