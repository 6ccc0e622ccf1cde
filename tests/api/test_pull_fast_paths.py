"""The pull's fast paths (bench/hotpaths.py) answer as the slow ones did: the token and the
memberships are read on every request, and a kept view of a story is only ever a reader's."""
from datetime import timedelta

from sqlalchemy import delete, update

from kultialogo.accounts.models import Account, ApiToken, Membership
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from kultialogo.timeutil import utcnow
from tests import factories as f

from .conftest import PULL, by_id, pull_all, push, push_one


def _write(statement) -> None:
    db.session.rollback()  # end this session's read snapshot: SQLite refuses to upgrade a stale one
    db.session.execute(statement)
    db.session.commit()


def test_a_token_revoked_or_expired_between_two_pulls_stops_the_second(client, people):
    reader = people["participant_a"]
    for change in ({"revoked_at": utcnow()}, {"revoked_at": None, "expires_at": utcnow() - timedelta(minutes=1)}):
        _write(update(ApiToken).where(ApiToken.account_id == reader.id).values(revoked_at=None,
                                                                                 expires_at=utcnow() + timedelta(days=1)))
        assert client.get(PULL, headers=reader.headers).status_code == 200
        _write(update(ApiToken).where(ApiToken.account_id == reader.id).values(**change))
        response = client.get(PULL, headers=reader.headers)
        assert response.status_code == 401 and response.get_json()["code"] == "bad_token"


def test_an_empty_delta_refuses_a_token_whose_account_went_or_was_handed_over(client, people):
    # The empty delta (nothing new since the cursor) reads the token on a Core connection with
    # the head: still on every request, never from a cache.
    reader = people["participant_a"]
    _items, cursor = pull_all(client, reader)
    empty = f"{PULL}?cursor={cursor}"
    assert client.get(empty, headers=reader.headers).get_json()["items"] == []
    _write(update(Account).where(Account.id == reader.id).values(is_managed=True))
    assert client.get(empty, headers=reader.headers).status_code == 401
    _write(update(Account).where(Account.id == reader.id).values(is_managed=False))
    assert client.get(empty, headers=reader.headers).status_code == 200
    _write(delete(ApiToken).where(ApiToken.account_id == reader.id))
    assert client.get(empty, headers=reader.headers).get_json()["code"] == "bad_token"


def test_leaving_a_community_narrows_the_very_next_pull(client, people):
    writer, reader = people["facilitator_a"], people["participant_a"]
    item = f.item(visibility="community", title="For the community")
    assert push_one(client, writer, item)["result"] == "created"  # a facilitator's story: published
    items, _cursor = pull_all(client, reader)
    assert by_id(items)[item["id"]]["title"] == "For the community"
    _write(delete(Membership).where(Membership.account_id == reader.id))
    items, _cursor = pull_all(client, reader)
    assert by_id(items)[item["id"]] == {"id": item["id"], "deleted": True, "revision": by_id(items)[item["id"]]["revision"]}


def test_a_renamed_author_shows_in_the_next_pull_of_a_kept_view(client, people):
    writer, reader = people["facilitator_a"], people["participant_b"]
    item = f.item(title="Named", author_display="name")
    push_one(client, writer, item)
    first = by_id(pull_all(client, reader)[0])[item["id"]]
    assert by_id(pull_all(client, reader)[0])[item["id"]] == first  # kept, the same
    _write(update(Account).where(Account.id == writer.id).values(display_name="Fatima R."))
    again = by_id(pull_all(client, reader)[0])[item["id"]]
    assert again["author"] == "Fatima R." and again["revision"] == first["revision"]


def test_what_the_author_and_moderators_see_is_never_handed_to_a_reader(client, people):
    author, moderator, reader = people["participant_a"], people["facilitator_a"], people["participant_b"]
    consent = {"kind": "verbal", "recorded_by": "Fatima", "at": "2026-07-14T10:00:00Z"}
    item = f.item(title="Told aloud", consent=consent)
    assert push_one(client, author, item)["result"] == "created"
    published = client.post(f"/api/v1/stories/{item['id']}/moderation", json={"action": "publish"},
                            headers=moderator.headers)
    assert published.status_code == 200
    for who in (author, moderator, reader, author, moderator, reader):  # each twice: after a kept view
        view = by_id(pull_all(client, who)[0])[item["id"]]
        if who is reader:
            assert view["consent"]["recorded_by"] is None and "conflicts" not in view
        else:
            assert view["consent"]["recorded_by"] == "Fatima"
        assert ("conflicts" in view) == (who is author)


def test_a_signed_in_browser_pulls_as_its_account(client, people):
    f.sign_in(client, "amina")
    response = client.get(PULL)
    assert response.status_code == 200
    assert response.get_json()["items"] == client.get(PULL, headers=people["participant_a"].headers).get_json()["items"]


def test_a_story_changed_between_the_pages_two_reads_is_read_again_whole(app, client, people, monkeypatch):
    # The page reads its stories' heads, then by revision the whole rows of the views it must
    # build; a revision gone meanwhile (the story changed) makes it read the page again in one
    # statement. Here that second read finds nothing, as if every story had just changed.
    from kultialogo.stories import records as story_records, service as stories
    writer, reader = people["facilitator_a"], people["participant_a"]
    push(client, writer, *(f.item(title=f"Story {n}", visibility=v) for n, v in
                           enumerate(("public", "community", "facilitators"))))
    whole = []
    monkeypatch.setattr(story_records.StoryKind, "_whole_page", lambda self, *args, made=story_records.StoryKind.
                        _whole_page: whole.append(args) or made(self, *args))
    monkeypatch.setattr(stories, "_by_revisions_query", lambda: stories.plain_stories_query(Story.revision < 0))
    again = pull_all(client, reader)[0]
    assert len(whole) == 1
    monkeypatch.undo()
    app.extensions.pop("kultialogo_reader_views", None)  # no kept views: each built from its whole row
    assert pull_all(client, reader)[0] == again
    assert [item.get("title") for item in again] == ["Story 0", "Story 1", None]  # the last a tombstone


def test_a_page_is_written_as_jsonify_writes_it(app):
    from flask import jsonify

    from kultialogo.records import KeptView, typed, untyped
    from kultialogo.sync.service import page_response
    view = KeptView({"id": "x", "title": 'Say "items":[] \\ نزهة\u2028\x01', "n": [1, None, True], "zz": {"b": 1, "a": 2}})
    items = [typed(view, "story"), {"type": "story", "id": "y", "deleted": True}, untyped(typed(view, "story"))]
    assert items[2] is view and typed(view, "story") is items[0]
    body = {"items": items, "cursor": "abc", "more": False, "protocol": 3, "reset": True}
    with app.test_request_context():
        for _ in range(2):  # the kept texts made, then reused
            assert page_response(body).get_data() == jsonify(body).get_data()
        app.debug = True  # indented: written by jsonify itself
        assert page_response(body).get_data() == jsonify(body).get_data()
        app.debug = False
        assert page_response({**body, "items": []}).get_data() == jsonify({**body, "items": []}).get_data()
