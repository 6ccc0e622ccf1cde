"""POST /api/v1/sync/push: created, replayed, updated, conflicting and withdrawn stories."""
import unicodedata
import uuid

from kultialogo.stories.models import Story, StoryConflict
from tests import factories as f

from .conftest import PUSH, by_id, count_rows, pull_all, push, push_one, stored_story


def moderate(client, person, story_id, action):
    response = client.post(f"/api/v1/stories/{story_id}/moderation", json={"action": action},
                           headers=person.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_first_push_creates_the_story_and_answers_with_the_server_view(client, people):
    amina = people["participant_a"]
    item = f.item(title="Bread in Siena", body="The baker gave us bread.")
    result = push_one(client, amina, item)
    assert result["result"] == "created"
    assert result["id"] == item["id"]
    assert result["error"] is None and result["missing_media"] == []
    story = result["story"]
    assert story["id"] == item["id"]
    assert story["title"] == "Bread in Siena" and story["body"] == "The baker gave us bread."
    assert story["status"] == "pending"  # a participant's story waits for review
    assert isinstance(story["revision"], int) and story["revision"] > 0
    assert story["etag"].startswith('"') and story["etag"].endswith('"')
    assert story["received_at"].endswith("Z")
    assert story["conflicts"] == []
    assert count_rows() == 1
    assert stored_story(uuid.UUID(item["id"])).author_id == amina.id


def test_replaying_the_same_push_is_unchanged_and_stores_nothing_new(client, people):
    amina = people["participant_a"]
    item = f.item()
    first = push_one(client, amina, item)
    again = push_one(client, amina, item)
    assert again["result"] == "unchanged"
    assert again["story"]["etag"] == first["story"]["etag"]
    assert again["story"]["revision"] == first["story"]["revision"]
    assert count_rows() == 1


def test_a_different_created_at_is_only_a_claim_and_still_unchanged(client, people):
    amina = people["participant_a"]
    item = f.item()
    push_one(client, amina, item)
    item["data"]["created_at"] = "2030-01-01T00:00:00Z"
    assert push_one(client, amina, item)["result"] == "unchanged"


def test_server_owned_fields_in_the_data_are_ignored(client, people):
    amina = people["participant_a"]
    item = f.item(status="published", revision=999999, etag='"forged"', received_at="2001-01-01T00:00:00Z")
    story = push_one(client, amina, item)["story"]
    assert story["status"] == "pending"
    assert story["revision"] != 999999 and story["etag"] != '"forged"'


def test_a_story_pushed_back_as_the_server_sent_it_is_unchanged(client, people):
    # The contract: server-owned fields are ignored on push. A client may send back the story
    # exactly as push or pull gave it (translations, author, conflicts... included).
    amina = people["participant_a"]
    item = f.item()
    story = push_one(client, amina, item)["story"]
    assert set(story) - set(item["data"]), "the server view carries server-owned fields"
    again = push_one(client, amina, {**item, "data": story})
    assert again["result"] == "unchanged", again["error"]


def test_the_same_id_twice_in_one_batch_is_created_then_unchanged(client, people):
    item = f.item()
    results = push(client, people["participant_a"], item, item)
    assert [r["result"] for r in results] == ["created", "unchanged"]
    assert count_rows() == 1


def test_an_edit_on_the_current_etag_is_updated(client, people):
    amina = people["participant_a"]
    item = f.item(title="First title")
    created = push_one(client, amina, item)["story"]
    edit = f.item(item["id"], base_etag=created["etag"], title="Second title")
    result = push_one(client, amina, edit)
    assert result["result"] == "updated"
    assert result["story"]["title"] == "Second title"
    assert result["story"]["etag"] != created["etag"]
    assert result["story"]["revision"] > created["revision"]
    assert stored_story(uuid.UUID(item["id"])).title == "Second title"
    # Replaying the edit is now a plain replay.
    assert push_one(client, amina, edit)["result"] == "unchanged"


def test_a_stale_edit_is_a_conflict_and_keeps_both_texts(client, people):
    amina = people["participant_a"]
    item = f.item(body="Version one.")
    v1 = push_one(client, amina, item)["story"]
    v2 = push_one(client, amina, f.item(item["id"], base_etag=v1["etag"], body="Version two."))["story"]
    stale = f.item(item["id"], base_etag=v1["etag"], body="Version three, written offline.")
    result = push_one(client, amina, stale)
    assert result["result"] == "conflict"
    assert result["story"]["body"] == "Version two."  # the server's version wins the story...
    assert [c["body"] for c in result["story"]["conflicts"]] == ["Version three, written offline."]
    stored = stored_story(uuid.UUID(item["id"]))
    assert stored.body == "Version two."  # ...and the losing text is kept, not dropped
    assert [c.content["body"] for c in stored.conflicts] == ["Version three, written offline."]
    assert v2["etag"] == f'"{stored.etag}"'


def test_an_edit_without_base_etag_is_a_conflict_too(client, people):
    amina = people["participant_a"]
    item = f.item(body="Mine.")
    push_one(client, amina, item)
    result = push_one(client, amina, f.item(item["id"], base_etag=None, body="Changed without a base."))
    assert result["result"] == "conflict"
    assert stored_story(uuid.UUID(item["id"])).body == "Mine."
    assert count_rows(StoryConflict) == 1


def test_replaying_a_conflicting_push_keeps_its_text_once(client, people):
    amina = people["participant_a"]
    item = f.item(body="Mine.")
    push_one(client, amina, item)
    stale = f.item(item["id"], body="Other text.")
    assert push_one(client, amina, stale)["result"] == "conflict"
    assert push_one(client, amina, stale)["result"] == "conflict"
    assert count_rows(StoryConflict) == 1


def test_only_the_author_sees_kept_conflicts_in_pull(client, people):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    item = f.item(body="Published text.")
    push_one(client, amina, item)
    moderate(client, fatima, item["id"], "publish")
    _, author_cursor = pull_all(client, amina)
    _, other_cursor = pull_all(client, fatima)
    assert push_one(client, amina, f.item(item["id"], body="Offline edit."))["result"] == "conflict"

    # The author's other devices learn of the kept text from where they stopped.
    mine = by_id(pull_all(client, amina, cursor=author_cursor)[0])
    assert [c["body"] for c in mine[item["id"]]["conflicts"]] == ["Offline edit."]
    assert mine[item["id"]]["body"] == "Published text."
    conflict = mine[item["id"]]["conflicts"][0]
    assert set(conflict) >= {"etag", "title", "body", "language", "received_at"}

    for viewer in (fatima, people["admin"]):
        story = by_id(pull_all(client, viewer)[0])[item["id"]]
        assert "conflicts" not in story
        assert "Offline edit." not in str(story)
    story = by_id(pull_all(client, fatima, cursor=other_cursor)[0]).get(item["id"])
    assert story is None or "conflicts" not in story
    anonymous = by_id(pull_all(client)[0])[item["id"]]
    assert "conflicts" not in anonymous


def test_an_edit_can_resolve_a_conflict_from_the_current_etag(client, people):
    amina = people["participant_a"]
    item = f.item(body="A")
    current = push_one(client, amina, item)["story"]
    push_one(client, amina, f.item(item["id"], body="B"))  # conflict
    resolved = push_one(client, amina, f.item(item["id"], base_etag=current["etag"], body="A and B"))
    assert resolved["result"] == "updated"
    assert resolved["story"]["body"] == "A and B"


def test_withdraw_leaves_a_tombstone_and_erases_the_content(client, people):
    amina = people["participant_a"]
    item = f.item(title="Please remove me", body="Something I regret sharing.")
    push_one(client, amina, item)
    result = push_one(client, amina, {"type": "story", "op": "withdraw", "id": item["id"], "base_etag": None})
    assert result["result"] == "updated"
    assert result["story"]["deleted"] is True and result["story"]["id"] == item["id"]
    assert set(result["story"]) == {"id", "deleted", "revision"}
    stored = stored_story(uuid.UUID(item["id"]))
    assert stored.status == "withdrawn"
    assert stored.title == "" and stored.body == ""
    items = by_id(pull_all(client, amina)[0])
    assert items[item["id"]] == {"id": item["id"], "deleted": True, "revision": stored.revision}


def test_a_replayed_upsert_cannot_resurrect_a_withdrawn_story(client, people):
    amina = people["participant_a"]
    item = f.item(body="Gone for good.")
    push_one(client, amina, item)
    push_one(client, amina, {"type": "story", "op": "withdraw", "id": item["id"]})
    replay = push_one(client, amina, item)
    assert replay["result"] == "rejected"
    assert replay["error"]["code"] == "withdrawn"
    assert replay["story"] == {"id": item["id"], "deleted": True, "revision": replay["story"]["revision"]}
    stored = stored_story(uuid.UUID(item["id"]))
    assert stored.status == "withdrawn" and stored.body == ""


def test_a_withdraw_that_arrives_before_its_story_still_wins(client, people):
    amina = people["participant_a"]
    item = f.item(body="Sent, then withdrawn, delivered out of order.")
    withdrawn = push_one(client, amina, {"type": "story", "op": "withdraw", "id": item["id"]})
    assert withdrawn["story"]["deleted"] is True
    late = push_one(client, amina, item)
    assert late["result"] == "rejected" and late["error"]["code"] == "withdrawn"
    assert stored_story(uuid.UUID(item["id"])).body == ""


def test_withdrawing_twice_is_unchanged(client, people):
    amina = people["participant_a"]
    item = f.item()
    push_one(client, amina, item)
    withdraw = {"type": "story", "op": "withdraw", "id": item["id"]}
    push_one(client, amina, withdraw)
    assert push_one(client, amina, withdraw)["result"] == "unchanged"


def test_nobody_else_can_withdraw_or_overwrite_a_story(client, people):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    item = f.item(body="Amina's words.")
    push_one(client, amina, item)
    withdraw = push_one(client, fatima, {"type": "story", "op": "withdraw", "id": item["id"]})
    assert withdraw["result"] == "rejected" and withdraw["error"]["code"] == "forbidden"
    overwrite = push_one(client, fatima, f.item(item["id"], body="Someone else's words."))
    assert overwrite["result"] == "rejected" and overwrite["error"]["code"] == "forbidden"
    assert overwrite["story"] is None  # nothing about the story leaks to a non-author
    stored = stored_story(uuid.UUID(item["id"]))
    assert stored.body == "Amina's words." and stored.status == "pending"


def test_one_bad_item_never_affects_the_others(client, people):
    amina = people["participant_a"]
    good1, good2 = f.item(title="Good one"), f.item(title="Good two")
    existing = f.item(title="Already here")
    push_one(client, amina, existing)
    items = [
        good1,
        f.item(title="x" * 10_000),                           # too_long
        {"type": "story", "op": "upsert", "id": "nope", "data": f.story_data()},  # bad_id
        f.item(community="atlantis"),                         # unknown_community
        f.item(existing["id"], title="Changed without base"),  # conflict: kept, not fatal
        f.item(body="bad \x00 byte"),                         # bad_text
        "not even an object",                                 # bad_item
        good2,
    ]
    results = push(client, amina, *items)
    assert [r["result"] for r in results] == [
        "created", "rejected", "rejected", "rejected", "conflict", "rejected", "rejected", "created"]
    assert [r["error"]["code"] for r in results if r["result"] == "rejected"] == [
        "too_long", "bad_id", "unknown_community", "bad_text", "bad_item"]
    assert count_rows() == 3
    assert count_rows(StoryConflict) == 1
    assert {r["id"] for r in results if r["result"] == "created"} == {good1["id"], good2["id"]}


def test_text_is_stored_nfc_normalised_and_nfd_replays_are_unchanged(client, people):
    amina = people["participant_a"]
    nfd_title = unicodedata.normalize("NFD", "Caffè à Siena")
    nfd_body = unicodedata.normalize("NFD", "Ελληνικά, Tiếng Việt, é")
    assert nfd_title != unicodedata.normalize("NFC", nfd_title)
    item = f.item(title=nfd_title, body=nfd_body)
    story = push_one(client, amina, item)["story"]
    assert story["title"] == unicodedata.normalize("NFC", nfd_title)
    assert story["body"] == unicodedata.normalize("NFC", nfd_body)
    stored = stored_story(uuid.UUID(item["id"]))
    assert stored.title == unicodedata.normalize("NFC", nfd_title)
    # The NFC spelling of the same text is the same content.
    nfc = f.item(item["id"], title=unicodedata.normalize("NFC", nfd_title),
                 body=unicodedata.normalize("NFC", nfd_body))
    assert push_one(client, amina, nfc)["result"] == "unchanged"


def test_bidirectional_controls_are_allowed_and_kept(client, people):
    amina = people["participant_a"]
    body = ("\u200fمرحبا\u200e hello \u202aembedded\u202c \u202bR\u202c \u202dLRO\u202c \u202eRLO\u202c "
            "\u2066isolate\u2069 \u2067r\u2069 \u2068first strong\u2069")
    item = f.item(title="\u2067عنوان\u2069 title", body=body, language="ar")
    result = push_one(client, amina, item)
    assert result["result"] == "created", result
    assert result["story"]["body"] == body
    assert stored_story(uuid.UUID(item["id"])).body == body


def test_newlines_and_tabs_are_kept_in_the_body(client, people):
    body = "Line one\n\tindented line two\nline three"
    story = push_one(client, people["participant_a"], f.item(body=body))["story"]
    assert story["body"] == body


def test_a_site_admin_may_post_in_any_community_and_publishes_directly(client, people):
    root = people["admin"]
    result = push_one(client, root, f.item(community="belgrade"))
    assert result["result"] == "created"
    assert result["story"]["status"] == "published"


def test_a_facilitator_publishes_directly_in_their_own_community_only(client, people):
    fatima = people["facilitator_a"]
    assert push_one(client, fatima, f.item(community="siena"))["story"]["status"] == "published"
    result = push_one(client, fatima, f.item(community="belgrade"))
    assert result["result"] == "rejected" and result["error"]["code"] == "forbidden"


def test_a_participants_edit_of_a_published_story_goes_back_to_review(client, people):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    item = f.item(body="Before.")
    push_one(client, amina, item)
    published = moderate(client, fatima, item["id"], "publish")
    edited = push_one(client, amina, f.item(item["id"], base_etag=published["etag"], body="After."))
    assert edited["result"] == "updated"
    assert edited["story"]["status"] == "pending"


def test_an_edit_of_a_hidden_story_stays_hidden(client, people):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    item = f.item(body="Before.")
    push_one(client, amina, item)
    moderate(client, fatima, item["id"], "publish")
    hidden = moderate(client, fatima, item["id"], "hide")
    edited = push_one(client, amina, f.item(item["id"], base_etag=hidden["etag"], body="After."))
    assert edited["result"] == "updated"
    assert edited["story"]["status"] == "hidden"  # an offline edit never undoes a moderation decision


def test_media_not_on_the_server_is_reported_missing_and_nothing_is_stored(client, people):
    sha = "ab" * 32
    item = f.item(media=[sha])
    result = push_one(client, people["participant_a"], item)
    assert result["result"] == "media_missing"
    assert result["missing_media"] == [sha]
    assert count_rows() == 0


def test_the_push_answer_keeps_the_order_and_ids_of_the_items(client, people):
    items = [f.item(title=f"Story {i}") for i in range(12)]
    results = push(client, people["participant_a"], *items)
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert all(r["result"] == "created" for r in results)
    revisions = [r["story"]["revision"] for r in results]
    assert revisions == sorted(revisions) and len(set(revisions)) == 12


def test_uppercase_uuid_names_the_same_story(client, people):
    amina = people["participant_a"]
    item = f.item()
    push_one(client, amina, item)
    upper = dict(item, id=item["id"].upper())
    assert push_one(client, amina, upper)["result"] == "unchanged"
    assert count_rows() == 1


def test_push_answers_with_the_server_time(client, people):
    response = client.post(PUSH, json={"items": []}, headers=people["participant_a"].headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["results"] == [] and body["server_time"].endswith("Z")


def test_a_story_is_stored_in_the_community_it_names(client, people):
    item = f.item(community="Siena ")  # slugs are matched case- and space-insensitively
    assert push_one(client, people["participant_a"], item)["result"] == "created"
    assert stored_story(uuid.UUID(item["id"])).community.slug == "siena"
    assert Story  # imported for stored_story's type
