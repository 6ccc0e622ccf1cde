"""/activity lists what is new in what a person follows, and only what they may read."""
import pytest

from kultialogo.activity import service
from tests.moderation.conftest import story_in, write_story


def _follow(browser, path):
    assert browser.form(path, {"next": "/activity"}, page="/activity").status_code == 302


def test_a_story_published_in_a_followed_community_is_listed_with_a_link_and_a_date(cast, web):
    bilal = web("other_participant")
    _follow(bilal, "/follow/community/siena")
    before = bilal.get("/activity").get_data(as_text=True)
    assert 'id="activity-empty"' in before
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account, title="River day")
    pending = write_story(cast["author"].account, title="Still waiting")
    html = bilal.get("/activity").get_data(as_text=True)
    assert f'href="/stories/{story_id}"' in html and "River day" in html and "<time datetime=" in html
    assert "Still waiting" not in html and str(pending) not in html
    # the author's own story is not news to her, even if she follows her community
    amina = web("author")
    _follow(amina, "/follow/community/siena")
    assert f'href="/stories/{story_id}"' not in amina.get("/activity").get_data(as_text=True)


def test_stories_of_communities_not_followed_are_not_listed(cast, web):
    bilal = web("other_participant")
    _follow(bilal, "/follow/community/belgrade")
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    assert str(story_id) not in bilal.get("/activity").get_data(as_text=True)


def test_a_community_only_story_never_reaches_an_outsider_who_follows_the_community(cast, web):
    outsider = web("other_facilitator")  # milica: belgrade only
    _follow(outsider, "/follow/community/siena")
    member = web("other_participant")
    _follow(member, "/follow/community/siena")
    closed = story_in("published", cast["author"].account, cast["facilitator"].account, visibility="community")
    public = story_in("published", cast["author"].account, cast["facilitator"].account, visibility="public")
    html = outsider.get("/activity").get_data(as_text=True)
    assert str(closed) not in html and f'href="/stories/{public}"' in html
    assert f'href="/stories/{closed}"' in member.get("/activity").get_data(as_text=True)


def test_a_registered_source_is_listed_newest_first(cast, web, app):
    from datetime import datetime, timezone

    def replies(viewer, limit):
        return [service.Entry("reply", datetime(2030, 1, 1, tzinfo=timezone.utc), "/stories/x#r", "A reply", "r1")]

    service.register_source(replies)
    try:
        bilal = web("other_participant")
        _follow(bilal, "/follow/community/siena")
        story_in("published", cast["author"].account, cast["facilitator"].account, title="Older news")
        html = bilal.get("/activity").get_data(as_text=True)
        assert html.index('data-kind="reply"') < html.index('data-kind="story"')
    finally:
        service.unregister_source(replies)


@pytest.mark.parametrize("path", ["/activity"])
def test_activity_needs_sign_in(web, path):
    response = web("anonymous").get(path)
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
