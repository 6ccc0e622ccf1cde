"""Following a community or a story: plain forms, the sync's "follow" kind, and the pull."""
import uuid

import pytest
from sqlalchemy import select

from kultialogo.activity.models import Follow
from kultialogo.extensions import db
from tests.moderation.conftest import story_in, write_story

PUSH, PULL = "/api/v1/sync/push", "/api/v1/sync/pull"


def follows(account_id):
    db.session.rollback()
    return list(db.session.scalars(select(Follow).where(Follow.account_id == account_id)))


def test_activity_offers_the_viewers_own_communities_to_follow(cast, web):
    html = web("other_participant").get("/activity").get_data(as_text=True)
    assert 'action="/follow/community/siena"' in html and "/follow/community/belgrade" not in html


def test_follow_and_unfollow_a_community_by_form_is_idempotent(cast, web):
    story_id = write_story(cast["author"].account, visibility="public")
    browser = web("other_participant")
    page = f"/stories/{story_id}"
    # the story page is readable by bilal only once published: follow from the activity page's token
    for _ in range(2):
        response = browser.form("/follow/community/siena", {"next": "/activity"}, page="/activity")
        assert response.status_code == 302 and response.headers["Location"].endswith("/activity")
    assert [f.community_id for f in follows(cast["other_participant"].id)] != []
    assert len(follows(cast["other_participant"].id)) == 1
    html = browser.get("/activity").get_data(as_text=True)
    assert "Stop following" in html and 'action="/follow/community/siena"' not in html
    for _ in range(2):
        assert browser.form("/unfollow/community/siena", {"next": "/activity"}, page="/activity").status_code == 302
    assert follows(cast["other_participant"].id) == []
    assert page  # the page is checked in test_story_page_shows_follow_buttons


def test_follow_forms_need_csrf_and_sign_in(cast, web):
    anonymous = web("anonymous")
    assert anonymous.post("/follow/community/siena", data={}).status_code == 400  # no CSRF token
    response = anonymous.form("/follow/community/siena", {"next": "/activity"}, page="/")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert anonymous.get("/activity").status_code == 302
    browser = web("author")
    assert browser.post("/follow/community/siena", data={"next": "/activity"}).status_code == 400
    assert follows(cast["author"].id) == []


def test_the_next_field_never_redirects_off_site(cast, web):
    response = web("author").form("/follow/community/siena", {"next": "//evil.example/x"}, page="/activity")
    assert response.status_code == 302 and response.headers["Location"].endswith("/activity")


def test_a_story_one_may_not_read_cannot_be_followed(cast, web):
    hidden = write_story(cast["author"].account, community="siena", visibility="community")  # pending
    response = web("other_facilitator").form(f"/follow/story/{hidden}", {"next": "/activity"}, page="/activity")
    assert response.status_code == 404
    assert follows(cast["other_facilitator"].id) == []


def test_story_page_shows_follow_buttons(cast, web):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    browser = web("other_participant")
    html = browser.get(f"/stories/{story_id}").get_data(as_text=True)
    assert f'action="/follow/story/{story_id}"' in html and 'action="/follow/community/siena"' in html
    assert browser.form(f"/follow/story/{story_id}", {"next": f"/stories/{story_id}"},
                        page=f"/stories/{story_id}").status_code == 302
    html = browser.get(f"/stories/{story_id}").get_data(as_text=True)
    assert f'action="/unfollow/story/{story_id}"' in html
    assert "/follow/" not in web("anonymous").get(f"/stories/{story_id}").get_data(as_text=True)


def _follow_item(follow_id, op="upsert", **data):
    item = {"type": "follow", "op": op, "id": str(follow_id)}
    if op == "upsert":
        item["data"] = data
    return item


def test_follow_by_push_is_idempotent_and_only_own_follows_are_pulled(client, cast):
    bilal, amina = cast["other_participant"], cast["author"]
    follow_id = uuid.uuid4()
    item = _follow_item(follow_id, community="siena")
    first = client.post(PUSH, json={"items": [item]}, headers=bilal.headers).get_json()
    again = client.post(PUSH, json={"items": [item]}, headers=bilal.headers).get_json()
    assert first["results"][0]["result"] == "created", first
    assert again["results"][0]["result"] == "unchanged"
    other_id = uuid.uuid4()  # another tab, another id, the same community: still one follow
    third = client.post(PUSH, json={"items": [_follow_item(other_id, community="siena")]}, headers=bilal.headers)
    assert third.get_json()["results"][0]["result"] == "unchanged"
    assert len(follows(bilal.id)) == 1

    pulled = client.get(PULL + "?kinds=follow", headers=bilal.headers).get_json()["items"]
    assert [(i["type"], i["id"], i["community"]) for i in pulled] == [("follow", str(follow_id), "siena")]
    assert client.get(PULL + "?kinds=follow", headers=amina.headers).get_json()["items"] == []
    assert client.get(PULL + "?kinds=follow", headers=cast["admin"].headers).get_json()["items"] == []

    # someone else cannot delete it; its owner can, and learns of it as a tombstone
    refused = client.post(PUSH, json={"items": [_follow_item(follow_id, op="delete")]}, headers=amina.headers)
    assert refused.get_json()["results"][0]["result"] == "rejected"
    done = client.post(PUSH, json={"items": [_follow_item(follow_id, op="delete")]}, headers=bilal.headers)
    assert done.get_json()["results"][0]["result"] == "updated"
    assert follows(bilal.id) == []
    pulled = client.get(PULL + "?kinds=follow", headers=bilal.headers).get_json()["items"]
    assert pulled == [{"type": "follow", "id": str(follow_id), "deleted": True, "revision": pulled[0]["revision"]}]
    assert client.get(PULL + "?kinds=follow", headers=amina.headers).get_json()["items"] == []
    # a late replay of the follow after the unfollow does not follow again
    late = client.post(PUSH, json={"items": [item]}, headers=bilal.headers).get_json()["results"][0]
    assert late["result"] == "rejected" and late["error"]["code"] == "deleted"
    assert follows(bilal.id) == []


@pytest.mark.parametrize("data,code", [({}, "missing_field"), ({"community": "siena", "story": str(uuid.uuid4())}, "missing_field"),
                                       ({"community": "nowhere"}, "unknown_community"),
                                       ({"story": str(uuid.uuid4())}, "not_found"), ({"colour": "red"}, "unknown_field")])
def test_bad_follow_pushes_are_refused_with_a_code(client, cast, data, code):
    answer = client.post(PUSH, json={"items": [_follow_item(uuid.uuid4(), **data)]},
                         headers=cast["author"].headers).get_json()
    result = answer["results"][0]
    assert result["result"] == "rejected" and result["error"]["code"] == code, result
    assert follows(cast["author"].id) == []
