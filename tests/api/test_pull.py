"""GET /api/v1/sync/pull: who sees what, paging by revision, tombstones, ETag/304 and gzip."""
import base64
import gzip
import itertools
import json
import uuid

import pytest
from sqlalchemy.orm import Session

from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.revisions import RevisionBlock
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.sync.service import PROTOCOL_VERSION, encode_cursor
from tests import factories as f

from .conftest import PULL, Person, by_id, direct_token, pull_all, push, push_one

VISIBILITIES = ("public", "community", "facilitators")
STATUSES = ("pending", "published", "rejected", "hidden")
# Who may read a *published* story of community A (siena), per visibility.
AUDIENCE = {
    "public": {"anonymous", "participant_a", "participant_b", "facilitator_a", "facilitator_b", "admin"},
    "community": {"participant_a", "facilitator_a", "admin"},
    "facilitators": {"facilitator_a", "admin"},
}
CONTENT_KEYS = {"title", "body", "language", "community", "visibility", "author_display", "consent", "media"}


def moderate(story_id, action, by):
    moderation.moderate(by.account, uuid.UUID(story_id), action, "reason given" if action == "reject" else "")


@pytest.fixture
def matrix(client, people):
    """Twelve stories in siena by a participant: every visibility in every status."""
    writer = Person(f.account("wanda", community_slug="siena"), None)
    writer.token = direct_token(writer.account)
    made = {}
    for visibility, status in itertools.product(VISIBILITIES, STATUSES):
        item = f.item(visibility=visibility, title=f"{visibility} {status}")
        assert push_one(client, writer, item)["result"] == "created"
        admin = people["admin"]
        if status in ("published", "hidden"):
            moderate(item["id"], "publish", admin)
        if status == "hidden":
            moderate(item["id"], "hide", admin)
        if status == "rejected":
            moderate(item["id"], "reject", admin)
        made[(visibility, status)] = item["id"]
    return writer, made


@pytest.mark.parametrize("viewer", ["anonymous", "participant_a", "participant_b", "facilitator_a",
                                    "facilitator_b", "admin"])
def test_visibility_matrix(client, people, matrix, viewer):
    _writer, made = matrix
    person = None if viewer == "anonymous" else people[viewer]
    items = by_id(pull_all(client, person)[0])
    for (visibility, status), story_id in made.items():
        item = items.get(story_id)
        where = f"{viewer} / {visibility} / {status}"
        if status == "published" and viewer in AUDIENCE[visibility]:
            assert item is not None and not item.get("deleted"), where
            assert item["title"] == f"{visibility} {status}" and item["status"] == "published", where
            assert "conflicts" not in item and "moderation_reason" not in item, where
        elif status in ("pending", "rejected"):
            assert item is None, f"{where}: never visible beyond its author, not even as a tombstone"
        else:  # hidden, or published for another audience: a tombstone at most, never the content
            assert item is None or set(item) == {"id", "deleted", "revision"}, where
            if status == "hidden" and viewer in AUDIENCE[visibility]:
                assert item == {"id": story_id, "deleted": True, "revision": item["revision"]}, \
                    f"{where}: devices that held a copy must drop it"


def test_the_author_always_sees_their_own_stories_whatever_their_status(client, matrix):
    writer, made = matrix
    items = by_id(pull_all(client, writer)[0])
    for (visibility, status), story_id in made.items():
        item = items[story_id]
        assert item["status"] == status and item["visibility"] == visibility
        assert item["title"] == f"{visibility} {status}"
        assert item["conflicts"] == []
    rejected = items[made[("public", "rejected")]]
    assert rejected["moderation_reason"] == "reason given"


def test_pull_pages_by_revision_with_the_limit(client, people):
    root = people["admin"]  # an admin's stories publish at once
    items = [f.item(title=f"Story {i}") for i in range(7)]
    push(client, root, *items)
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(PULL, query_string=params).get_json()
        pages.append(page)
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [p["more"] for p in pages] == [True, True, False]
    revisions = [i["revision"] for p in pages for i in p["items"]]
    assert revisions == sorted(revisions) and len(set(revisions)) == 7
    assert [i["id"] for p in pages for i in p["items"]] == [i["id"] for i in items]
    # From the last cursor there is nothing new.
    last = client.get(PULL, query_string={"cursor": cursor}).get_json()
    assert last == {"items": [], "cursor": cursor, "more": False, "protocol": PROTOCOL_VERSION}


def test_pull_limit_defaults_to_50(client, people):
    push(client, people["admin"], *[f.item() for _ in range(51)])
    page = client.get(PULL).get_json()
    assert len(page["items"]) == 50 and page["more"] is True
    published = client.get("/api/v1/limits").get_json()["pull"]
    assert published["default_limit"] == 50 and published["max_limit"] == 500


def test_pull_limit_500_is_allowed(client, people):
    push(client, people["admin"], *[f.item() for _ in range(3)])
    page = client.get(PULL, query_string={"limit": 500}).get_json()
    assert len(page["items"]) == 3 and page["more"] is False


@pytest.mark.parametrize("limit", ["501", "0", "-1", "abc", "1.5", "", " 5", "1e3", "9" * 40])
def test_a_bad_limit_is_400(client, people, limit):
    response = client.get(PULL + "?limit=" + limit)
    if limit == "":
        assert response.status_code == 200  # empty means the default
        return
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "bad_limit"


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", ["!!!", "not base64 at all", _b64("x12"), _b64("r-1"), _b64("r"),
                                    _b64("rabc"), _b64("r" + "9" * 30), "é", _b64("r1\x00")])
def test_a_bad_cursor_is_400(client, people, cursor):
    response = client.get(PULL, query_string={"cursor": cursor})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "bad_cursor"


def test_hidden_withdrawn_and_no_longer_visible_stories_come_as_tombstones(client, people):
    amina, fatima = people["participant_a"], people["facilitator_a"]
    hidden, withdrawn, narrowed = f.item(), f.item(), f.item(visibility="public")
    push(client, amina, hidden, withdrawn, narrowed)
    views = {}
    for item in (hidden, withdrawn, narrowed):
        moderate(item["id"], "publish", fatima)
        views[item["id"]] = stories.story_view(db.session.get(Story, uuid.UUID(item["id"])))
    seen, anon_cursor = pull_all(client)
    assert {i["id"] for i in seen} >= {hidden["id"], withdrawn["id"], narrowed["id"]}
    _, author_cursor = pull_all(client, amina)

    moderate(hidden["id"], "hide", fatima)
    push_one(client, amina, {"type": "story", "op": "withdraw", "id": withdrawn["id"]})
    etag = client.get(PULL, headers=amina.headers).headers["ETag"]  # any: just not reused below
    assert etag
    narrowed_story = by_id(pull_all(client, amina)[0])[narrowed["id"]]
    edit = f.item(narrowed["id"], base_etag=narrowed_story["etag"], visibility="facilitators")
    assert push_one(client, amina, edit)["result"] == "updated"

    changes = by_id(pull_all(client, cursor=anon_cursor)[0])
    for item in (hidden, withdrawn, narrowed):
        tomb = changes[item["id"]]
        assert tomb == {"id": item["id"], "deleted": True, "revision": tomb["revision"]}
        assert tomb["revision"] > views[item["id"]]["revision"]
    mine = by_id(pull_all(client, amina, cursor=author_cursor)[0])
    assert mine[withdrawn["id"]]["deleted"] is True  # withdrawn: gone for its author's devices too
    assert mine[hidden["id"]]["status"] == "hidden"  # hidden: the author still sees it
    assert mine[narrowed["id"]]["visibility"] == "facilitators"


def test_the_etag_gives_304_until_the_feed_changes(client, people):
    amina = people["participant_a"]
    push(client, people["admin"], f.item())
    first = client.get(PULL, headers=amina.headers)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = client.get(PULL, headers={**amina.headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    push(client, people["admin"], f.item())
    changed = client.get(PULL, headers={**amina.headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(changed.get_json()["items"]) == 2


def test_the_etag_is_per_viewer_and_per_page(client, people):
    push(client, people["admin"], f.item())
    anonymous = client.get(PULL).headers["ETag"]
    amina = client.get(PULL, headers=people["participant_a"].headers).headers["ETag"]
    small = client.get(PULL, query_string={"limit": 1}).headers["ETag"]
    assert len({anonymous, amina, small}) == 3
    # Someone else's ETag never turns into a 304 for me.
    response = client.get(PULL, headers={**people["participant_a"].headers, "If-None-Match": anonymous})
    assert response.status_code == 200


def test_pull_is_private_and_varies_by_credentials(client, people):
    response = client.get(PULL, headers=people["participant_a"].headers)
    assert "private" in response.headers["Cache-Control"]
    assert "Authorization" in response.headers["Vary"]


def test_pull_is_gzipped_when_asked_and_304_still_works(client, people):
    push(client, people["admin"], *[f.item(body="A story long enough to be worth compressing. " * 5)
                                    for _ in range(20)])
    plain = client.get(PULL)
    zipped = client.get(PULL, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    raw = zipped.get_data()
    assert len(raw) < len(plain.get_data()) / 3
    assert json.loads(gzip.decompress(raw)) == plain.get_json()
    again = client.get(PULL, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_the_cursor_never_skips_a_change(client, people):
    amina, root = people["participant_a"], people["admin"]
    old = f.item(title="Old")
    push_one(client, root, old)
    seen, cursor = pull_all(client, amina)
    assert [i["id"] for i in seen] == [old["id"]]
    fresh = [f.item(title=f"New {i}") for i in range(3)]
    push(client, root, *fresh)
    old_view = by_id(seen)[old["id"]]
    push_one(client, root, f.item(old["id"], base_etag=old_view["etag"], title="Old, edited"))
    changes, cursor2 = pull_all(client, amina, limit=2, cursor=cursor)
    assert [i["id"] for i in changes] == [i["id"] for i in fresh] + [old["id"]]
    assert by_id(changes)[old["id"]]["title"] == "Old, edited"
    assert pull_all(client, amina, cursor=cursor2)[0] == []


def test_the_cursor_stops_below_a_revision_whose_transaction_has_not_committed(client, people, app):
    """An in-flight writer holds the counter lock and has handed out a revision: a pull in the
    meantime must not move its cursor past that revision, or the story would never arrive."""
    root = people["admin"]
    push_one(client, root, f.item(title="Committed"))
    _, cursor = pull_all(client)
    community = f.community("siena")
    writer = Session(db.engine)
    try:
        revs = RevisionBlock(writer)
        in_flight = Story(id=uuid.uuid4(), author_id=root.id, community_id=community.id, title="In flight",
                          body="Not committed yet.", language="en", visibility="public", etag="e" * 32,
                          status="published", ever_published=True, revision=revs.next(), media=[])
        in_flight_id = str(in_flight.id)
        writer.add(in_flight)
        writer.flush()
        revs.flush()
        during = client.get(PULL, query_string={"cursor": cursor}).get_json()
        assert during["items"] == [] and during["more"] is False
        writer.commit()
    finally:
        writer.close()
    after = client.get(PULL, query_string={"cursor": during["cursor"]}).get_json()
    assert [i["id"] for i in after["items"]] == [in_flight_id]


def test_an_old_cursor_still_works_after_many_changes(client, people):
    push(client, people["admin"], *[f.item() for _ in range(5)])
    everything, _ = pull_all(client)
    assert len(everything) == 5
    from_start = client.get(PULL, query_string={"cursor": encode_cursor(0), "limit": 500}).get_json()
    assert [i["id"] for i in from_start["items"]] == [i["id"] for i in everything]
