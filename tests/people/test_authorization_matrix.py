"""The authorization matrix: role x visibility x status x endpoint, allow or deny, on both
databases. The expected answers are written out below as plain rules (the table), not
computed with kultialogo.policy, so a change in policy.py that opens a door shows up here."""
import itertools

import pytest

from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.people.helpers import Fresh, make_story, store_media

ROLES = ["anonymous", "author", "participant_a", "participant_b", "facilitator_a", "facilitator_b", "admin"]
VISIBILITIES = ["public", "community", "facilitators"]
STATUSES = ["pending", "published", "rejected", "hidden", "withdrawn"]
ENDPOINTS = ["page", "pull", "media", "edit", "withdraw", "moderate"]

MEMBERS_A = {"author", "participant_a", "facilitator_a"}
MODERATORS_A = {"facilitator_a", "admin"}


def expected(role: str, visibility: str, status: str, endpoint: str) -> bool:
    """The table. ``author`` is a participant of A who wrote the story."""
    if status == "withdrawn":
        # Gone for everyone; only the author may repeat the withdrawal (harmless, unchanged),
        # and moderators get 409 (a transition that does not apply), not 403.
        return (endpoint == "withdraw" and role == "author") or (endpoint == "moderate" and role in MODERATORS_A)
    if endpoint == "edit" or endpoint == "withdraw":
        return role == "author"
    if endpoint == "moderate":
        return role in MODERATORS_A
    if status == "published":
        audience = {
            "public": set(ROLES),
            "community": MEMBERS_A | {"admin"},
            "facilitators": {"author", "facilitator_a", "admin"},
        }[visibility]
        return role in audience
    # pending, rejected, hidden: the author and the community's moderators see the page (and
    # its media); only the author pulls it (facilitators review in /review, not in their pull).
    if endpoint == "pull":
        return role == "author"
    return role in {"author"} | MODERATORS_A


MODERATION_ACTION = {"pending": "publish", "published": "hide", "hidden": "unhide", "rejected": "publish",
                     "withdrawn": "publish"}


@pytest.fixture
def world(app):
    f.community("a")
    f.community("b")
    people = {
        "author": f.account("author", community_slug="a"),
        "participant_a": f.account("participant_a", community_slug="a"),
        "participant_b": f.account("participant_b", community_slug="b"),
        "facilitator_a": f.account("facilitator_a", community_slug="a", role="facilitator"),
        "facilitator_b": f.account("facilitator_b", community_slug="b", role="facilitator"),
        "admin": f.account("admin", is_admin=True),
    }
    browsers, tokens = {"anonymous": Fresh(app)}, {"anonymous": None}
    for role, account in people.items():
        browsers[role] = Fresh(app)
        browsers[role].sign_in(account.username)
        tokens[role] = f.token(Fresh(app), account.username)
    return people, browsers, tokens


def _headers(token):
    return f.bearer(token) if token else {}


def _story_item(story, **changes):
    data = f.story_data(community="a", visibility=story.visibility, title=story.title or "x", body="changed",
                        media=list(story.media or []))
    data.update(changes)
    return {"type": "story", "op": "upsert", "id": str(story.id), "base_etag": story.etag, "data": data}


def _attempt(app, endpoint, role, story, sha, browsers, tokens) -> bool:
    token = tokens[role]
    api = Fresh(app)
    if endpoint == "page":
        response = browsers[role].get(f"/stories/{story.id}")
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200
    if endpoint == "media":
        response = api.get(f"/media/{sha}", headers=_headers(token))
        response.close()  # send_file's open file
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200
    if endpoint == "edit":
        response = api.post("/api/v1/sync/push", json={"items": [_story_item(story)]}, headers=_headers(token))
        if response.status_code == 401:
            return False
        result = response.get_json()["results"][0]
        return result["result"] == "updated"
    if endpoint == "withdraw":
        item = {"type": "story", "op": "withdraw", "id": str(story.id)}
        response = api.post("/api/v1/sync/push", json={"items": [item]}, headers=_headers(token))
        if response.status_code == 401:
            return False
        result = response.get_json()["results"][0]["result"]
        db.session.rollback()  # end the test's read transaction: see what the request committed
        allowed = result in ("updated", "unchanged")
        assert not allowed or db.session.get(Story, story.id).status == "withdrawn", result
        return allowed
    if endpoint == "moderate":
        response = api.post(f"/api/v1/stories/{story.id}/moderation",
                            json={"action": MODERATION_ACTION[story.status], "reason": "r"}, headers=_headers(token))
        assert response.status_code in (200, 409, 401, 403, 404), response.status_code
        return response.status_code in (200, 409)
    raise AssertionError(endpoint)


def test_authorization_matrix(app, world):
    people, browsers, tokens = world
    author = people["author"]
    failures = []

    # Read-only endpoints share one story per (visibility, status), each with its own photo.
    shared = {}
    for visibility, status in itertools.product(VISIBILITIES, STATUSES):
        sha = store_media(author)
        shared[visibility, status] = (make_story(author, visibility=visibility, status=status, media=[sha]), sha)
    pulled = {}
    for role in ROLES:
        response = Fresh(app).get("/api/v1/sync/pull?limit=500", headers=_headers(tokens[role]))
        assert response.status_code == 200
        pulled[role] = {item["id"] for item in response.get_json()["items"] if not item.get("deleted")}

    for (visibility, status), (story, sha) in shared.items():
        for role in ROLES:
            for endpoint in ("page", "pull", "media"):
                if endpoint == "pull":
                    got = str(story.id) in pulled[role]
                else:
                    got = _attempt(app, endpoint, role, story, sha, browsers, tokens)
                if got != expected(role, visibility, status, endpoint):
                    failures.append((role, visibility, status, endpoint, "allowed" if got else "denied"))

    # Changing endpoints: a fresh story for every attempt.
    for visibility, status, role, endpoint in itertools.product(VISIBILITIES, STATUSES, ROLES,
                                                                ("edit", "withdraw", "moderate")):
        story = make_story(author, visibility=visibility, status=status)
        got = _attempt(app, endpoint, role, story, None, browsers, tokens)
        if got != expected(role, visibility, status, endpoint):
            failures.append((role, visibility, status, endpoint, "allowed" if got else "denied"))

    assert not failures, "\n".join(map(str, failures))


def test_hidden_ids_cannot_be_guessed_from_the_answers(app, world):
    """A story one may not see answers exactly like one that does not exist."""
    people, browsers, tokens = world
    story = make_story(people["author"], visibility="facilitators", status="published")
    import re
    import uuid

    def page(path):
        response = browsers[role].get(path)
        # The page names its own path (the language switcher's "next"), and its CSRF tokens are
        # signed with the second they were made (two requests may straddle one); everything
        # else is equal.
        body = re.sub(r'name="(next|csrf_token)" value="[^"]*"', "", response.get_data(as_text=True))
        return response.status_code, re.sub(r'<meta name="csrf-token" content="[^"]*">', "", body)
    for role in ("anonymous", "participant_a", "participant_b", "facilitator_b"):
        hidden = page(f"/stories/{story.id}")
        missing = page(f"/stories/{uuid.uuid4()}")
        assert hidden[0] == missing[0] == 404
        assert hidden[1] == missing[1]
