"""Pulls follow moderation: a hide sends a tombstone to everyone who may no longer see the story,
an unhide sends the story again with a new revision, and the author alone reads why."""
from flask_babel import force_locale

from kultialogo.moderation.reasons import MODERATION_REASON_LABELS
from kultialogo.moderation import service as moderation

from .conftest import stored, story_in

PULL = "/api/v1/sync/pull"


def pull(client, member=None, cursor=None, **headers):
    items = []
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        response = client.get(PULL, query_string=params, headers={**(member.headers if member else {}), **headers})
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        items += page["items"]
        cursor = page["cursor"]
        if not page["more"]:
            return {item["id"]: item for item in items}, cursor


def test_hide_sends_tombstones_and_unhide_sends_the_story_again(client, cast):
    author, reader, giulia = cast["author"], cast["other_participant"], cast["facilitator"]
    story_id = story_in("published", author.account, giulia.account)
    sid = str(story_id)
    cursors = {}
    for who in (None, reader, giulia, author):
        seen, cursors[who and who.username] = pull(client, who)
        assert seen[sid]["status"] == "published"

    response = client.post(f"/api/v1/stories/{sid}/moderation", headers=giulia.headers,
                           json={"action": "hide", "reason": "personal_data", "note": "The street name, please."})
    assert response.status_code == 200
    hidden_revision = stored(story_id).revision
    for who in (None, reader, giulia):  # no longer theirs to see: a tombstone, nothing else
        changes, cursors[who and who.username] = pull(client, who, cursors[who and who.username])
        assert changes == {sid: {"id": sid, "deleted": True, "revision": hidden_revision}}
    mine, cursors[author.username] = pull(client, author, cursors[author.username])
    assert mine[sid]["status"] == "hidden" and mine[sid]["revision"] == hidden_revision
    assert mine[sid]["moderation_reason_code"] == "personal_data"
    assert mine[sid]["moderation_reason"] == "The street name, please."
    assert mine[sid]["moderation_reason_text"]

    response = client.post(f"/api/v1/stories/{sid}/moderation", headers=giulia.headers, json={"action": "unhide"})
    assert response.status_code == 200
    shown_revision = stored(story_id).revision
    assert shown_revision > hidden_revision
    for who in (None, reader, giulia, author):
        changes, _cursor = pull(client, who, cursors[who and who.username])
        assert list(changes) == [sid]
        assert changes[sid]["status"] == "published" and changes[sid]["revision"] == shown_revision
        assert changes[sid]["title"] == stored(story_id).title  # a hide never touches the author's text
        assert "moderation_reason_code" not in changes[sid]


def test_the_reason_reaches_only_the_author_and_in_their_language(client, cast):
    author, giulia = cast["author"], cast["facilitator"]
    story_id = story_in("pending", author.account, giulia.account)
    response = client.post(f"/api/v1/stories/{story_id}/moderation", headers=giulia.headers,
                           json={"action": "reject", "reason": "off_topic"})
    assert response.status_code == 200
    assert "moderation_reason_code" not in response.get_json()  # the facilitator's own view: no
    # Stored as a code, never as words in the facilitator's language.
    assert stored(story_id).moderation_reason_code == "off_topic"
    assert stored(story_id).moderation_reason == ""
    for language in ("en", "it", "ar"):
        mine, _ = pull(client, author, **{"Accept-Language": language})
        with force_locale(language):
            words = str(MODERATION_REASON_LABELS["off_topic"])
        assert mine[str(story_id)]["moderation_reason_code"] == "off_topic"
        assert mine[str(story_id)]["moderation_reason_text"] == words
        assert "moderation_reason" not in mine[str(story_id)]  # no note was given
    others, _ = pull(client, cast["admin"])
    assert str(story_id) not in others


def test_a_free_text_reason_from_an_old_client_is_kept_as_the_note(client, cast):
    author, giulia = cast["author"], cast["facilitator"]
    story_id = story_in("pending", author.account, giulia.account)
    response = client.post(f"/api/v1/stories/{story_id}/moderation", headers=giulia.headers,
                           json={"action": "reject", "reason": "Names a child; please remove."})
    assert response.status_code == 200
    mine, _ = pull(client, author)
    assert mine[str(story_id)]["moderation_reason_code"] == "other"
    assert mine[str(story_id)]["moderation_reason"] == "Names a child; please remove."


def test_a_reason_code_and_a_second_free_text_are_refused(client, cast):
    story_id = story_in("pending", cast["author"].account, cast["facilitator"].account)
    response = client.post(f"/api/v1/stories/{story_id}/moderation", headers=cast["facilitator"].headers,
                           json={"action": "reject", "reason": "not a code", "note": "and a note"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_reason"
    assert stored(story_id).status == "pending"


def test_an_auto_hide_reaches_pulls_as_a_tombstone(client, app, cast):
    app.config["REPORTS_TO_HIDE"] = 1
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account)
    _, cursor = pull(client)
    assert moderation.report(cast["other_participant"].account, story_id, "hateful").hidden
    changes, _ = pull(client, cursor=cursor)
    assert changes == {str(story_id): {"id": str(story_id), "deleted": True, "revision": stored(story_id).revision}}
    mine, _ = pull(client, cast["author"])
    assert mine[str(story_id)]["status"] == "hidden"
    assert mine[str(story_id)]["moderation_reason_code"] == "reported"
