"""Who sees what on the HTML pages: viewers × visibility × status, in community A (Siena).

The expectations are written out here, not derived from kultialogo.policy, so that a change
in the policy has to change this table too.
"""
import pytest

from tests import factories as f
from tests.pages.util import moderate, signed_in_client, story, text

VIEWERS = ["anonymous", "participant_a", "participant_b", "facilitator_a", "facilitator_b", "admin"]
VISIBILITIES = ["public", "community", "facilitators"]
STATUSES = {"pending": (), "published": ("publish",), "rejected": ("reject",), "hidden": ("publish", "hide")}

# Who may read a *published* story of community A, by visibility.
AUDIENCE = {
    "public": set(VIEWERS),
    "community": {"participant_a", "facilitator_a", "admin"},
    "facilitators": {"facilitator_a", "admin"},
}
MODERATORS_OF_A = {"facilitator_a", "admin"}


def expected_on_story_page(viewer, visibility, status):
    if status == "published":
        return viewer in AUDIENCE[visibility]
    return viewer in MODERATORS_OF_A  # pending, rejected and hidden: the author and A's moderators


def expected_in_feed(viewer, visibility, status):
    return status == "published" and viewer in AUDIENCE[visibility]


@pytest.fixture
def world(app):
    f.community("siena")
    f.community("belgrade")
    author = f.account("author", community_slug="siena")
    f.account("participant_a", community_slug="siena")
    f.account("participant_b", community_slug="belgrade")
    f.account("facilitator_a", community_slug="siena", role="facilitator")
    f.account("facilitator_b", community_slug="belgrade", role="facilitator")
    admin = f.account("admin", is_admin=True)
    stories = {}
    for visibility in VISIBILITIES:
        for status, actions in STATUSES.items():
            s = story(author, f"Story {visibility} {status}", visibility=visibility)
            moderate(admin, s, *actions)
            stories[(visibility, status)] = str(s.id)
    return stories


@pytest.mark.parametrize("viewer", VIEWERS)
def test_story_pages_and_feed_show_exactly_what_the_viewer_may_see(app, world, viewer):
    app.config["FEED_PAGE_SIZE"] = 100
    client = signed_in_client(app, None if viewer == "anonymous" else viewer)
    feed = text(client.get("/"))
    for (visibility, status), story_id in world.items():
        page = client.get(f"/stories/{story_id}")
        title = f"Story {visibility} {status}"
        if expected_on_story_page(viewer, visibility, status):
            assert page.status_code == 200, (viewer, visibility, status)
            assert title in text(page)
        else:
            # 404, not 403: a story one may not see does not exist for them.
            assert page.status_code == 404, (viewer, visibility, status)
            assert title not in text(page)
        assert (title in feed) == expected_in_feed(viewer, visibility, status), (viewer, visibility, status)


def test_authors_see_their_own_stories_whatever_the_status(app, world):
    client = signed_in_client(app, "author")
    feed = text(client.get("/"))
    for (visibility, status), story_id in world.items():
        page = client.get(f"/stories/{story_id}")
        assert page.status_code == 200
        assert f"Story {visibility} {status}" in feed


def test_unknown_and_withdrawn_stories_are_404(app, world):
    import uuid
    client = signed_in_client(app, "author")
    assert client.get(f"/stories/{uuid.uuid4()}").status_code == 404
    assert client.get("/stories/not-a-uuid").status_code == 404
    story_id = world[("public", "published")]
    page = text(client.get(f"/stories/{story_id}"))
    withdrawn = client.post(f"/stories/{story_id}/withdraw", data={"csrf_token": f.csrf_from(page)})
    assert withdrawn.status_code == 302
    assert "Your story was withdrawn and deleted." in text(client.get("/"))
    assert client.get(f"/stories/{story_id}").status_code == 404
    assert signed_in_client(app, None).get(f"/stories/{story_id}").status_code == 404
