"""Every per-item rejection code of the contract: a clear code, a message, nothing stored."""
import json
import uuid

import pytest

from kultialogo import limits
from tests import factories as f

from .conftest import PUSH, count_rows, push_one, stored_state


def assert_rejected(result, code, item_id=None):
    assert result["result"] == "rejected", result
    assert result["error"]["code"] == code, result["error"]
    assert isinstance(result["error"]["message"], str) and result["error"]["message"]
    assert result["story"] is None
    if item_id is not None:
        assert result["id"] == item_id


def push_raw(client, person, raw_json: str) -> dict:
    """Push a hand-written JSON body (for escapes such as lone surrogates)."""
    response = client.post(PUSH, data=raw_json.encode(), content_type="application/json",
                           headers=person.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def without(data: dict, field: str) -> dict:
    return {k: v for k, v in data.items() if k != field}


@pytest.mark.parametrize("bad_id", [
    "not-a-uuid", "", "1234", 42, None, ["0193f1c2"],
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8",          # version 1: not made on a device
    "{12345678-1234-4234-8234-123456789abc}",        # braces: a second spelling
    "urn:uuid:12345678-1234-4234-8234-123456789abc",
    "12345678123442348234123456789abc",              # no dashes
])
def test_an_id_that_is_not_a_canonical_uuid_is_bad_id(client, people, bad_id):
    item = {"type": "story", "op": "upsert", "id": bad_id, "base_etag": None, "data": f.story_data()}
    assert_rejected(push_one(client, people["participant_a"], item), "bad_id")
    assert count_rows() == 0


def test_a_uuid_v7_is_accepted(client, people):
    v7 = "0193f1c2-7d1e-7cc3-8a4b-0123456789ab"
    result = push_one(client, people["participant_a"], f.item(v7))
    assert result["result"] == "created" and result["id"] == v7


@pytest.mark.parametrize("data_id", ["436b4f5e-6996-4024-bc6b-46e137615b70", "junk", 7])  # fixed: xdist workers collect the same ids
def test_a_data_id_that_differs_from_the_item_id_is_id_mismatch(client, people, data_id):
    item = f.item(id=data_id)
    assert_rejected(push_one(client, people["participant_a"], item), "id_mismatch", item["id"])
    assert count_rows() == 0


def test_a_data_id_equal_to_the_item_id_is_fine(client, people):
    item = f.item()
    item["data"]["id"] = item["id"]
    assert push_one(client, people["participant_a"], item)["result"] == "created"


@pytest.mark.parametrize("field", ["title", "body", "language", "community", "visibility"])
def test_a_missing_required_field_is_missing_field(client, people, field):
    item = f.item()
    item["data"] = without(item["data"], field)
    result = push_one(client, people["participant_a"], item)
    assert_rejected(result, "missing_field", item["id"])
    assert result["error"]["field"] == field
    assert count_rows() == 0


def test_an_upsert_without_data_is_missing_field(client, people):
    item = {"type": "story", "op": "upsert", "id": str(uuid.uuid4())}
    assert_rejected(push_one(client, people["participant_a"], item), "missing_field")


@pytest.mark.parametrize("field,value", [
    ("title", 5), ("title", ["a"]), ("body", {"text": "x"}), ("body", True), ("language", 12),
    ("community", 3), ("visibility", ["public"]), ("author_display", 1), ("consent", "yes"),
    ("media", "abc"), ("created_at", 1720000000),
])
def test_a_field_of_the_wrong_json_type_is_bad_type(client, people, field, value):
    item = f.item(**{field: value})
    assert_rejected(push_one(client, people["participant_a"], item), "bad_type", item["id"])
    assert count_rows() == 0


@pytest.mark.parametrize("patch", [{"data": "a string"}, {"data": [1, 2]}, {"base_etag": 5}, {"type": "photo"}])
def test_an_item_with_a_wrongly_typed_envelope_is_bad_type(client, people, patch):
    item = {**f.item(), **patch}
    assert_rejected(push_one(client, people["participant_a"], item), "bad_type")


def test_text_over_the_published_limits_is_too_long(client, people):
    published = client.get("/api/v1/limits").get_json()["story"]
    amina = people["participant_a"]
    title_max, body_max = published["title_max"], published["body_max"]
    assert (title_max, body_max) == (limits.STORY_TITLE_MAX, limits.STORY_BODY_MAX)
    assert push_one(client, amina, f.item(title="t" * title_max))["result"] == "created"
    assert push_one(client, amina, f.item(body="b" * body_max))["result"] == "created"
    for item, field in ((f.item(title="t" * (title_max + 1)), "title"),
                        (f.item(body="b" * (body_max + 1)), "body")):
        result = push_one(client, amina, item)
        assert_rejected(result, "too_long", item["id"])
        assert result["error"]["field"] == field
    assert count_rows() == 2


def test_limits_count_characters_not_bytes(client, people):
    title = "ع" * limits.STORY_TITLE_MAX  # two bytes each in UTF-8
    assert push_one(client, people["participant_a"], f.item(title=title, language="ar"))["result"] == "created"


@pytest.mark.parametrize("text", ["NUL \x00 inside", "bell \x07", "escape \x1b[31m", "DEL \x7f",
                                  "C1 \x85 control", "form feed \x0c", "nonchar \uffff"])
def test_control_characters_are_bad_text(client, people, text):
    for field in ("title", "body"):
        item = f.item(**{field: text})
        assert_rejected(push_one(client, people["participant_a"], item), "bad_text", item["id"])
    assert count_rows() == 0


@pytest.mark.parametrize("field", ["title", "body", "consent.recorded_by"])
def test_a_lone_surrogate_is_bad_text(client, people, field):
    item = f.item()
    if field == "consent.recorded_by":
        item["data"]["consent"] = {"kind": "verbal", "recorded_by": "SURROGATE", "at": None}
    else:
        item["data"][field] = "SURROGATE"
    raw = json.dumps({"items": [item]}).replace("SURROGATE", "x\\ud800y")
    assert_rejected(push_raw(client, people["participant_a"], raw), "bad_text", item["id"])
    assert count_rows() == 0


@pytest.mark.parametrize("field", ["community", "language", "visibility", "author_display"])
def test_nul_or_a_lone_surrogate_in_any_other_field_is_refused_not_a_server_error(client, people, field):
    amina = people["participant_a"]
    for bad in ("sie\\u0000na", "sie\\ud800na"):
        item = f.item(**{field: "PLACEHOLDER"})
        raw = json.dumps({"items": [item]}).replace("PLACEHOLDER", bad)
        result = push_raw(client, amina, raw)
        assert result["result"] == "rejected", result
        assert result["error"]["code"] in {"bad_text", "unknown_community", "bad_language",
                                           "bad_visibility", "bad_author_display"}
    assert count_rows() == 0


@pytest.mark.parametrize("tag", ["english", "e", "en_GB", "xx", "12", "en--GB", "",
                                 "en-" + "-".join(["abcdefgh"] * 6)])
def test_a_tag_that_is_not_bcp47_is_bad_language(client, people, tag):
    item = f.item(language=tag)
    assert_rejected(push_one(client, people["participant_a"], item), "bad_language", item["id"])
    assert count_rows() == 0


@pytest.mark.parametrize("tag,stored", [("ar", "ar"), ("sr-latn-rs", "sr-Latn-RS"), ("UK", "uk"),
                                        ("pt-BR", "pt-BR"), ("es-419", "es-419")])
def test_valid_language_tags_are_stored_in_canonical_case(client, people, tag, stored):
    result = push_one(client, people["participant_a"], f.item(language=tag))
    assert result["result"] == "created"
    assert result["story"]["language"] == stored


@pytest.mark.parametrize("slug", ["atlantis", "x" * 500, "siena/../belgrade"])
def test_a_community_that_does_not_exist_is_unknown_community(client, people, slug):
    item = f.item(community=slug)
    assert_rejected(push_one(client, people["participant_a"], item), "unknown_community", item["id"])
    assert count_rows() == 0


@pytest.mark.parametrize("visibility", ["everyone", "PUBLIC", "", "private"])
def test_an_unknown_visibility_is_bad_visibility(client, people, visibility):
    item = f.item(visibility=visibility)
    assert_rejected(push_one(client, people["participant_a"], item), "bad_visibility", item["id"])
    assert count_rows() == 0


def test_posting_in_a_community_one_is_not_a_member_of_is_forbidden(client, people):
    item = f.item(community="siena")
    assert_rejected(push_one(client, people["participant_b"], item), "forbidden", item["id"])
    assert count_rows() == 0


def test_a_site_admin_is_not_forbidden_anywhere(client, people):
    for slug in ("siena", "belgrade"):
        assert push_one(client, people["admin"], f.item(community=slug))["result"] == "created"


@pytest.mark.parametrize("where", ["item", "data", "consent"])
def test_unknown_fields_are_refused(client, people, where):
    item = f.item()
    if where == "item":
        item["colour"] = "blue"
    elif where == "data":
        item["data"] = {**item["data"], "mood": "happy", "colour": "blue"}
    else:
        item["data"]["consent"] = {"kind": "self", "recorded_by": None, "at": None, "signature": "x"}
    result = push_one(client, people["participant_a"], item)
    assert_rejected(result, "unknown_field")
    # The field named is the first unknown one as sent (the test client sends keys sorted).
    assert result["error"]["field"] == {"item": "colour", "data": "colour", "consent": "consent.signature"}[where]
    assert count_rows() == 0


def test_an_unknown_operation_is_refused(client, people):
    item = {**f.item(), "op": "delete"}
    assert_rejected(push_one(client, people["participant_a"], item), "bad_op")


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T00:00:00Z", "9999-12-31T23:59:59-23:59",
                                   "0001-01-01T00:00:00+01:00"])
def test_a_date_that_cannot_be_read_is_refused_not_a_server_error(client, people, value):
    for field in ("created_at", "consent"):
        item = f.item(**({"created_at": value} if field == "created_at"
                         else {"consent": {"kind": "verbal", "recorded_by": "Fatima", "at": value}}))
        result = push_one(client, people["participant_a"], item)
        assert_rejected(result, "bad_date", item["id"])
    assert count_rows() == 0


def test_a_deeply_nested_value_inside_an_item_is_refused_alone(client, people):
    deep = "[" * 500 + "]" * 500
    good = f.item()
    bad = f.item(title="PLACEHOLDER")
    raw = json.dumps({"items": [bad, good]}).replace('"PLACEHOLDER"', deep)
    response = client.post(PUSH, data=raw, content_type="application/json", headers=people["participant_a"].headers)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert_rejected(results[0], "bad_type")
    assert results[1]["result"] == "created"


def test_rejections_leave_existing_stories_untouched(client, people):
    amina = people["participant_a"]
    item = f.item(title="Kept as it is")
    push_one(client, amina, item)
    before = stored_state()
    for bad in (f.item(item["id"], title="t" * 1000), f.item(item["id"], language="nope"),
                f.item(item["id"], community="atlantis"), f.item(item["id"], visibility="all"),
                f.item(item["id"], body="\x00")):
        assert push_one(client, amina, bad)["result"] == "rejected"
    assert stored_state() == before
