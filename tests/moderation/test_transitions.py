"""Every moderation action from every status, by every role, through the API and the HTML forms.

Allowed (facilitator of the story's community, admin): the transition table of
moderation/service.py; the same action again is a harmless 200; anything else is 409
bad_transition. Everyone else is refused (403, or 401 / the sign-in page without a session)
and nothing changes: not the status, not the revision, no audit row.
"""
import pytest

from kultialogo.moderation.service import TRANSITIONS

from .conftest import MODERATORS, PATHS, REASON, ROLES, audit_rows, stored, story_in

STATUSES = tuple(PATHS)
ACTIONS = tuple(TRANSITIONS)


def expected(role: str, status: str, action: str) -> tuple[str, str]:
    """(outcome, status afterwards) the rules give."""
    if role == "anonymous":
        return "unauthenticated", status
    if role not in MODERATORS:
        return "forbidden", status
    allowed_from, target = TRANSITIONS[action]
    if status == target:
        return "unchanged", status
    if status in allowed_from:
        return "changed", target
    return "bad_transition", status


def test_the_table_the_tests_follow():
    """The rules themselves, written out once, so a change to them is a visible decision."""
    table = {(s, a): expected("facilitator", s, a)[1] if expected("facilitator", s, a)[0] in ("changed", "unchanged")
             else None for s in STATUSES for a in ACTIONS}
    assert table == {
        ("pending", "publish"): "published", ("pending", "reject"): "rejected",
        ("pending", "hide"): None, ("pending", "unhide"): None,
        ("published", "publish"): "published", ("published", "reject"): "rejected",
        ("published", "hide"): "hidden", ("published", "unhide"): "published",
        ("rejected", "publish"): "published", ("rejected", "reject"): "rejected",
        ("rejected", "hide"): None, ("rejected", "unhide"): None,
        ("hidden", "publish"): None, ("hidden", "reject"): "rejected",
        ("hidden", "hide"): "hidden", ("hidden", "unhide"): "published",
    }


def _via_api(client, member, story_id, action):
    body = {"action": action}
    if action in ("reject", "hide"):
        body["reason"] = REASON
    response = client.post(f"/api/v1/stories/{story_id}/moderation", json=body,
                           headers=member.headers if member is not None else {})
    return response


def _via_form(web, role, story_id, action):
    browser = web(role)
    token = browser.csrf("/")
    return browser.post(f"/review/{story_id}/{action}?next=queue", data={"csrf_token": token, "reason": REASON})


def _check(channel, outcome, response):
    if channel == "api":
        codes = {"changed": 200, "unchanged": 200, "forbidden": 403, "unauthenticated": 401, "bad_transition": 409}
        assert response.status_code == codes[outcome], response.get_data(as_text=True)
        if outcome == "bad_transition":
            assert response.get_json()["code"] == "bad_transition"
        if outcome == "forbidden":
            assert response.get_json()["code"] == "forbidden"
    else:
        if outcome in ("changed", "unchanged"):
            assert response.status_code == 302 and response.headers["Location"] == "/review", response.status_code
        elif outcome == "unauthenticated":
            assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
        else:
            assert response.status_code == {"forbidden": 403, "bad_transition": 409}[outcome]


@pytest.mark.parametrize("channel", ["api", "form"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_every_action_from_every_status_by_every_role(client, cast, web, role, action, channel):
    member = cast.get(role)
    for status in STATUSES:
        story_id = story_in(status, cast["author"].account, cast["admin"].account)
        before = stored(story_id)
        before_revision, rows_before = before.revision, len(audit_rows(story_id=story_id))
        outcome, after_status = expected(role, status, action)

        if channel == "api":
            response = _via_api(client, member, story_id, action)
        else:
            response = _via_form(web, role, story_id, action)
        _check(channel, outcome, response)

        after = stored(story_id)
        assert after.status == after_status, (role, status, action)
        new_rows = audit_rows(story_id=story_id)[rows_before:]
        if outcome == "changed":
            assert after.revision > before_revision
            assert after.moderated_by_id == member.id
            assert [(r.action, r.actor_id, r.detail["from"], r.detail["to"]) for r in new_rows] == \
                [(f"story.{action}", member.id, status, after_status)]
            if action in ("reject", "hide"):
                assert after.moderation_reason_code == REASON
                assert new_rows[0].detail["reason"] == REASON
        else:
            assert after.revision == before_revision, (role, status, action)
            assert new_rows == []
