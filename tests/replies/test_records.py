"""Replies and reactions as record kinds (issue 16, item 1): pushed twice, from two tabs, stored
once; the database constraint itself; who may push; what pulls carry to whom."""
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kultialogo.extensions import db
from kultialogo.replies.models import Reaction, Reply
from kultialogo.replies import service as replies
from kultialogo.stories import service as stories
from kultialogo.timeutil import utcnow

from .conftest import story_in, published_story, pull, push, pushed, reaction_item, reply_item, write_story


def count(model, **where) -> int:
    db.session.rollback()
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def test_a_reply_pushed_twice_is_stored_once(client, cast, trusted):
    trusted()
    story_id = published_story(cast)
    item = reply_item(story_id)
    [first] = pushed(client, cast["other_participant"], item)
    assert first["result"] == "created", first
    assert first["record"]["status"] == "published" and first["record"]["author"] == "bilal"
    [again] = pushed(client, cast["other_participant"], item)
    assert again["result"] == "unchanged" and again["record"]["id"] == item["id"]
    # The same id in one push, twice: still one.
    results = pushed(client, cast["other_participant"], item, item)
    assert [r["result"] for r in results] == ["unchanged", "unchanged"]
    assert count(Reply) == 1
    # Another text under the same id is refused, not an edit.
    [other] = pushed(client, cast["other_participant"], reply_item(story_id, "Changed", reply_id=item["id"]))
    assert other["result"] == "rejected" and other["error"]["code"] == "record_id_taken"


def test_in_a_community_that_reviews_a_participants_reply_waits(client, cast):
    story_id = published_story(cast)
    [result] = pushed(client, cast["other_participant"], reply_item(story_id))
    assert result["result"] == "created" and result["record"]["status"] == "pending"
    # Only its author and the story's moderators see it waiting.
    assert result["record"]["id"] in pull(client, cast["other_participant"])[0]
    assert result["record"]["id"] in pull(client, cast["facilitator"])[0]
    assert result["record"]["id"] not in pull(client, cast["author"])[0]
    assert result["record"]["id"] not in pull(client, None)[0]
    replies.moderate_reply(cast["facilitator"].account, uuid.UUID(result["record"]["id"]), "publish")
    assert pull(client, None)[0][result["record"]["id"]]["status"] == "published"


def test_two_tabs_react_with_two_ids_stored_once(client, cast):
    story_id = published_story(cast)
    bilal = cast["other_participant"]
    [first] = pushed(client, bilal, reaction_item(story_id, "me_too"))
    second_item = reaction_item(story_id, "me_too")
    [second] = pushed(client, bilal, second_item)
    assert first["result"] == "created"
    # The second tab is answered with the reaction that is there (its id), nothing new stored.
    assert second["result"] == "unchanged" and second["record"]["id"] == first["record"]["id"]
    assert second["record"]["mine"] is True
    assert count(Reaction) == 1
    # Another kind is another reaction; another person's the same kind too.
    pushed(client, bilal, reaction_item(story_id, "learned"))
    pushed(client, cast["facilitator"], reaction_item(story_id, "me_too"))
    db.session.rollback()
    assert replies.reaction_counts(story_id) == {"thanks": 0, "me_too": 2, "learned": 1}


def test_the_database_itself_refuses_a_second_reaction_of_a_kind(app, cast):
    story_id = published_story(cast)
    bilal = cast["other_participant"].account
    db.session.add(Reaction(story_id=story_id, account_id=bilal.id, kind="thanks", revision=1, created_at=utcnow()))
    db.session.commit()
    db.session.add(Reaction(story_id=story_id, account_id=bilal.id, kind="thanks", revision=2, created_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count(Reaction) == 1


def test_the_constraint_race_is_answered_with_the_existing_reaction(app, cast):
    """The look-up first misses (another writer inserted meanwhile): the savepoint catches the
    constraint, and the stored reaction is the answer, not a 500."""
    from kultialogo.revisions import RevisionBlock
    story_id = published_story(cast)
    bilal = cast["other_participant"].account
    other = uuid.uuid4()
    db.session.add(Reaction(sync_id=other, story_id=story_id, account_id=bilal.id, kind="thanks", revision=1,
                            created_at=utcnow()))
    db.session.commit()
    original = replies.existing_reaction
    calls = []

    def missing_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else original(*args)
    replies.existing_reaction = missing_once
    try:
        story = db.session.get(type(stories.get_story_for(bilal, story_id)), story_id)
        result, reaction = replies.insert_reaction(bilal, story, "thanks", RevisionBlock(db.session), uuid.uuid4())
    finally:
        replies.existing_reaction = original
    assert (result, reaction.sync_id) == ("unchanged", other)
    db.session.commit()
    assert count(Reaction) == 1


@pytest.mark.parametrize("body, code", [("", "missing_field"), ("x" * 2001, "too_long"), (5, "bad_type")])
def test_validation_errors_have_codes_and_store_nothing(client, cast, body, code):
    story_id = published_story(cast)
    [result] = pushed(client, cast["other_participant"], reply_item(story_id, body))
    assert result["result"] == "rejected" and result["error"]["code"] == code
    [result] = pushed(client, cast["other_participant"], reaction_item(story_id, "love"))
    assert result["error"]["code"] == "bad_reaction"
    assert count(Reply) == 0 and count(Reaction) == 0


def test_who_may_push_a_reply_or_reaction(client, cast):
    community_story = published_story(cast, visibility="community")
    # milica (Belgrade) cannot read a Siena community story: it does not exist for her.
    for item in (reply_item(community_story), reaction_item(community_story)):
        [result] = pushed(client, cast["other_facilitator"], item)
        assert result["result"] == "rejected" and result["error"]["code"] == "not_found"
    # Nobody signed in: the push itself is refused.
    assert push(client, None, reply_item(community_story)).status_code == 401
    # A story waiting for review is nobody's to reply to, not even its moderators'.
    waiting = write_story(cast["author"].account)
    [result] = pushed(client, cast["facilitator"], reply_item(waiting))
    assert result["error"]["code"] in ("not_found", "forbidden")
    assert count(Reply) == 0 and count(Reaction) == 0


def test_replies_off_refuses_new_replies_but_keeps_those_there(client, cast, trusted):
    trusted()
    story_id = published_story(cast)
    [kept] = pushed(client, cast["other_participant"], reply_item(story_id))
    with pytest.raises(Exception) as refused:
        replies.switch_replies(cast["other_participant"].account, story_id, True)
    assert getattr(refused.value, "code", None) == "forbidden"
    replies.switch_replies(cast["author"].account, story_id, True)
    [result] = pushed(client, cast["other_participant"], reply_item(story_id))
    assert result["result"] == "rejected" and result["error"]["code"] == "replies_off"
    assert result["error"]["message"] == "The author turned replies off for this story."
    assert count(Reply) == 1 and kept["record"]["id"] in pull(client, None)[0]
    # Reactions stay possible.
    assert pushed(client, cast["other_participant"], reaction_item(story_id))[0]["result"] == "created"
    replies.switch_replies(cast["author"].account, story_id, False)
    assert pushed(client, cast["other_participant"], reply_item(story_id))[0]["result"] == "created"


def test_a_reply_on_a_community_story_never_reaches_outsiders(client, cast, trusted):
    trusted()
    story_id = published_story(cast, visibility="community")
    [result] = pushed(client, cast["other_participant"], reply_item(story_id), reaction_item(story_id))[:1]
    reply_id = result["record"]["id"]
    for who in ("author", "other_participant", "facilitator", "admin"):
        seen, _ = pull(client, cast[who])
        assert reply_id in seen and seen[reply_id]["body"].startswith("Thank you")
        assert any(item["type"] == "reaction" for item in seen.values())
    for who in (None, cast["other_facilitator"]):
        seen, _ = pull(client, who)
        assert seen == {}


def test_hidden_replies_reach_only_their_author_and_moderators(client, cast, trusted):
    trusted()
    story_id = published_story(cast)
    [result] = pushed(client, cast["other_participant"], reply_item(story_id))
    reply_id = result["record"]["id"]
    cursors = {who: pull(client, cast[who] if who else None)[1] for who in (None, "author", "other_participant")}
    replies.moderate_reply(cast["facilitator"].account, uuid.UUID(reply_id), "hide")
    # Readers' phones drop it (a tombstone); its author and the moderators keep it, hidden.
    for who in (None, "author"):
        seen, _ = pull(client, cast[who] if who else None, cursors[who])
        assert seen[reply_id].get("deleted") is True and "body" not in seen[reply_id]
    seen, _ = pull(client, cast["other_participant"], cursors["other_participant"])
    assert seen[reply_id]["status"] == "hidden"
    assert pull(client, cast["facilitator"])[0][reply_id]["status"] == "hidden"


def test_delete_leaves_tombstones_and_only_the_author_or_a_moderator_may(client, cast, trusted):
    trusted()
    story_id = published_story(cast)
    bilal = cast["other_participant"]
    [result] = pushed(client, bilal, reply_item(story_id))
    reply_id = result["record"]["id"]
    _, cursor = pull(client, None)
    [refused] = pushed(client, cast["author"], {"type": "reply", "op": "delete", "id": reply_id})
    assert refused["error"]["code"] == "forbidden"
    [done] = pushed(client, bilal, {"type": "reply", "op": "delete", "id": reply_id})
    assert done["result"] == "updated" and done["record"]["deleted"] is True
    assert pull(client, None, cursor)[0][reply_id]["deleted"] is True
    # A late replay of the upsert does not bring it back.
    [late] = pushed(client, bilal, reply_item(story_id, reply_id=reply_id))
    assert late["error"]["code"] == "deleted"
    assert count(Reply) == 0


def test_withdrawal_takes_replies_and_reactions_with_it(client, cast, trusted):
    trusted()
    story_id = published_story(cast)
    [reply] = pushed(client, cast["other_participant"], reply_item(story_id))
    [reaction] = pushed(client, cast["other_participant"], reaction_item(story_id))
    replies.switch_replies(cast["author"].account, story_id, True)
    _, cursor = pull(client, cast["other_participant"])
    stories.withdraw_one(cast["author"].account, story_id)
    assert count(Reply) == 0 and count(Reaction) == 0
    seen, _ = pull(client, cast["other_participant"], cursor)
    assert seen[reply["record"]["id"]]["deleted"] is True
    assert seen[reaction["record"]["id"]]["deleted"] is True


def test_activity_lists_replies_to_own_and_followed_stories(client, cast, trusted):
    trusted()
    own = published_story(cast)
    followed = story_in("published", cast["facilitator"].account, cast["facilitator"].account)
    bilal, amina = cast["other_participant"], cast["author"]
    pushed(client, bilal, reply_item(own, "On yours"), reply_item(followed, "On the followed one"))
    pushed(client, amina, reply_item(own, "My own answer"))
    db.session.rollback()
    listed = replies.replies_for_activity(amina.account, 0, 50)
    assert [r["body"] for r in listed] == ["On yours"]
    listed = replies.replies_for_activity(cast["admin"].account, 0, 50, story_ids=[followed])
    assert [r["body"] for r in listed] == ["On the followed one"]
    assert replies.replies_for_activity(None, 0, 50) == []


def test_a_voice_reply_sent_again_with_its_voice_disguised_anew_is_the_same_reply(client, cast, trusted):
    # A voice is disguised into other bytes each time it goes up: a phone that sends its reply
    # again (its answer lost, a second tab) names another file, and it is still one reply.
    import shutil
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; CI installs it)")
    from kultialogo.media.models import MediaFile
    from tests.media.test_voice_disguise import speech_wav
    trusted()
    story_id = published_story(cast)
    bilal = cast["other_participant"]
    wav = speech_wav()

    def disguised(member) -> str:
        response = client.post("/api/v1/media/disguised", data=wav, headers=member.headers, content_type="audio/wav")
        assert response.status_code == 201, response.get_json()
        return response.get_json()["sha256"]

    first, again = disguised(bilal), disguised(bilal)
    assert first != again  # the same voice, other bytes
    item = reply_item(story_id, "")
    item["data"]["media"] = [first]
    [created] = pushed(client, bilal, item)
    assert created["result"] == "created", created
    item["data"]["media"] = [again]
    [replay] = pushed(client, bilal, item)
    assert replay["result"] == "unchanged", replay
    db.session.rollback()
    assert db.session.scalar(select(Reply.media)) == [first] and count(Reply) == 1
    assert db.session.get(MediaFile, again) is None  # the second disguise, named by nothing, is gone
    assert db.session.get(MediaFile, first) is not None

    # Not a recording disguised by this person: another reply, refused as ever.
    someone_elses = disguised(cast["author"])
    item["data"]["media"] = [someone_elses]
    [refused] = pushed(client, bilal, item)
    assert refused["result"] == "rejected" and refused["error"]["code"] == "record_id_taken"
    db.session.rollback()
    db.session.get(MediaFile, first).disguised = False  # as if stored as recorded
    db.session.commit()
    item["data"]["media"] = [again]
    [refused] = pushed(client, bilal, item)
    assert refused["result"] == "rejected" and refused["error"]["code"] == "record_id_taken"
