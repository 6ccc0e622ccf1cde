"""Withdrawal deletes for real; a person downloads all their data and deletes their account."""
import io
import json
import os
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.people import service as people_service
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from tests import factories as f
from tests.people.helpers import Fresh, all_rows_text, make_story, png, store_media


@pytest.fixture
def people(app):
    f.community("a", moderation="trusted")  # published at once: readers may have cached copies
    f.community("b")
    return {"writer": f.account("zainabqx", community_slug="a"),
            "reader": f.account("readerqx", community_slug="a"),
            "fac": f.account("facqx", community_slug="a", role="facilitator"),
            "fac2": f.account("fac2qx", community_slug="a", role="facilitator"),
            "other": f.account("otherqx", community_slug="a")}


def files_containing(app, data: bytes) -> list[Path]:
    hits = []
    for root, _, names in os.walk(app.config["DATA_DIR"]):
        for name in names:
            path = Path(root) / name
            if path.suffix in (".sqlite3", ".sqlite3-wal", ".sqlite3-shm"):
                continue
            try:
                if data in path.read_bytes():
                    hits.append(path)
            except OSError:
                pass
    return hits


def pull(app, token, cursor=None):
    url = "/api/v1/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")
    response = Fresh(app).get(url, headers=f.bearer(token))
    assert response.status_code == 200
    return response.get_json()


def test_withdrawal_deletes_text_and_media_and_pull_sends_a_tombstone(app, people):
    writer_token = f.token(Fresh(app), "zainabqx")
    reader_token = f.token(Fresh(app), "readerqx")
    photo = png()
    sha = Fresh(app)  # upload through the real store (the form path's checks)
    sha = store_media(people["writer"], photo)
    stored = Path(app.config["DATA_DIR"]) / "media" / sha[:2] / sha[2:4] / sha
    stored_bytes = stored.read_bytes()  # images are kept re-encoded: search for what was stored
    story_id = str(uuid.uuid4())
    item = f.item(story_id, title="Withdrawnqx title", body="Withdrawnqx body text", place="Withdrawnqx town",
                  community="a", media=[sha])
    pushed = Fresh(app).post("/api/v1/sync/push", json={"items": [item]}, headers=f.bearer(writer_token))
    assert pushed.get_json()["results"][0]["result"] == "created"
    first = pull(app, reader_token)
    assert any(i["id"] == story_id and i["title"] == "Withdrawnqx title" for i in first["items"])

    author = Fresh(app)
    author.sign_in("zainabqx")
    response = author.form(f"/stories/{story_id}/withdraw", {}, page=f"/stories/{story_id}")
    assert response.status_code == 302

    db.session.rollback()
    rows = all_rows_text()
    assert "Withdrawnqx" not in rows
    assert sha not in rows
    assert not stored.exists() and files_containing(app, stored_bytes) == [] and files_containing(app, photo) == []
    later = pull(app, reader_token, first["cursor"])
    assert {"id": story_id, "deleted": True, "revision": later["items"][0]["revision"]} in later["items"]
    assert Fresh(app).get(f"/media/{sha}", headers=f.bearer(reader_token)).status_code == 404
    assert author.get(f"/stories/{story_id}").status_code == 404
    # A late replay of the upload cannot bring it back.
    replay = Fresh(app).post("/api/v1/sync/push", json={"items": [item]}, headers=f.bearer(writer_token))
    assert replay.get_json()["results"][0]["result"] in ("rejected", "media_missing")
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story_id)).status == "withdrawn"


def _record(app, fac, person, **content):
    data = {"title": "Recordedqx title", "body": "Recordedqx told aloud", "language": "en", "community": "a",
            "visibility": "community", "author_display": "anonymous",
            "consent": {"kind": "verbal", "recorded_by": fac.username}}
    data.update(content)
    outcome = people_service.record_for(fac, person, uuid.uuid4(), validate_content(data))
    assert outcome.result == "created", outcome
    db.session.rollback()
    return db.session.get(Story, outcome.story.id)


def test_the_recording_facilitator_withdraws_on_request_and_no_other(app, people):
    person = people_service.create_managed(people["fac"], f.community("a"), "Ahmadqx")
    story = _record(app, people["fac"], person)
    assert story.recorded_by_id == people["fac"].id and story.consent_kind == "verbal" and story.consent_at
    other_fac = Fresh(app)
    other_fac.sign_in("fac2qx")
    assert other_fac.form(f"/stories/{story.id}/withdraw", {}, page=f"/stories/{story.id}").status_code == 403
    recorder = Fresh(app)
    recorder.sign_in("facqx")
    page = recorder.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "given aloud (verbal)" in page and "facqx" in page  # the consent, shown beside the story
    assert recorder.form(f"/stories/{story.id}/withdraw", {}, page=f"/stories/{story.id}").status_code == 302
    db.session.rollback()
    assert "Recordedqx" not in all_rows_text()


def test_a_minors_public_story_waits_for_a_second_facilitator(app, people):
    token = f.token(Fresh(app), "zainabqx")
    no_guardian = f.item(community="a", about_minor=True, visibility="public")
    result = Fresh(app).post("/api/v1/sync/push", json={"items": [no_guardian]}, headers=f.bearer(token)).get_json()
    assert result["results"][0]["error"]["code"] == "guardian_consent_required"
    item = f.item(community="a", about_minor=True, visibility="public", consent={"kind": "self", "guardian": True})
    result = Fresh(app).post("/api/v1/sync/push", json={"items": [item]}, headers=f.bearer(token)).get_json()
    assert result["results"][0]["story"]["status"] == "pending"  # even in a trusted community
    # A facilitator's own public story about a child waits too, and they cannot publish it.
    fac_token = f.token(Fresh(app), "facqx")
    own = f.item(community="a", about_minor=True, visibility="public", consent={"kind": "self", "guardian": True})
    result = Fresh(app).post("/api/v1/sync/push", json={"items": [own]}, headers=f.bearer(fac_token)).get_json()
    assert result["results"][0]["story"]["status"] == "pending"
    refused = Fresh(app).post(f"/api/v1/stories/{own['id']}/moderation", json={"action": "publish"},
                              headers=f.bearer(fac_token))
    assert refused.status_code == 403 and refused.get_json()["code"] == "second_look_required"
    second = f.token(Fresh(app), "fac2qx")
    for story_id in (item["id"], own["id"]):
        ok = Fresh(app).post(f"/api/v1/stories/{story_id}/moderation", json={"action": "publish"},
                             headers=f.bearer(second))
        assert ok.status_code == 200 and ok.get_json()["status"] == "published"
    # An edit back to public after a change goes through review again, by someone else.
    db.session.rollback()
    recorded = _record(app, people["fac"], people_service.create_managed(people["fac"], f.community("a"), "Kid"),
                       about_minor=True, visibility="public", consent={"kind": "verbal", "guardian": True})
    assert recorded.status == "pending"
    refused = Fresh(app).post(f"/api/v1/stories/{recorded.id}/moderation", json={"action": "publish"},
                              headers=f.bearer(fac_token))
    assert refused.status_code == 403


@pytest.mark.parametrize("place", ["45.4384, 10.9916", "45°26'N 10°59'E", "geo:45.43,10.99",
                                   "8FVC9G8F+6X", "https://maps.google.com/?q=45.4,10.9", "lat 45.43 lon 10.99",
                                   "45,4384 10,9916", "43.3188N11.3308E", "N43.3188 E11.3308",
                                   "43 19 06 N 11 19 51 E", "٤٣٫٣١٨٨، ١١٫٣٣٠٨", "///filled.count.soap"])
def test_a_place_that_looks_like_coordinates_is_refused(app, people, place):
    token = f.token(Fresh(app), "zainabqx")
    result = Fresh(app).post("/api/v1/sync/push", json={"items": [f.item(community="a", place=place)]},
                             headers=f.bearer(token)).get_json()
    assert result["results"][0]["error"]["code"] == "place_coordinates", place
    browser = Fresh(app)
    browser.sign_in("zainabqx")
    page = browser.get("/write").get_data(as_text=True)
    import re
    story_id = re.search(r'name="id" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post("/write", data={"csrf_token": f.csrf_from(page), "id": story_id, "title": "T",
                                            "body": "B", "language": "en", "community": "a",
                                            "visibility": "community", "author_display": "pseudonym",
                                            "place": place})
    assert response.status_code == 400 and "coordinates" in response.get_data(as_text=True)


def test_a_town_or_a_description_is_a_fine_place(app, people):
    token = f.token(Fresh(app), "zainabqx")
    for place in ("Siena", "a small town by the sea", "Lampedusa, Italy", "near the old port"):
        result = Fresh(app).post("/api/v1/sync/push", json={"items": [f.item(community="a", place=place)]},
                                 headers=f.bearer(token)).get_json()
        assert result["results"][0]["result"] == "created", (place, result)
        assert result["results"][0]["story"]["place"] == place


# --- Data download and account deletion ---------------------------------------------------

def _stories_of_writer(app, people):
    writer = people["writer"]
    photo = png()
    sha = store_media(writer, photo)
    made = [make_story(writer, visibility=v, status=s, title=f"Mineqx {v} {s}", body=f"Mineqx body {v} {s}",
                       media=[sha] if (v, s) == ("public", "published") else [])
            for v, s in [("public", "published"), ("community", "pending"), ("facilitators", "rejected"),
                         ("public", "hidden")]]
    gone = make_story(writer, status="withdrawn", title="Mineqx gone")
    theirs = make_story(people["other"], title="Theirsqx title", body="Theirsqx body")
    return made, gone, theirs, sha, photo


def test_the_data_download_has_every_story_of_the_person_and_nothing_of_anyone_elses(app, people):
    made, gone, theirs, sha, photo = _stories_of_writer(app, people)
    browser = Fresh(app)
    browser.sign_in("zainabqx")
    response = browser.get("/account/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    stories = json.loads(archive.read("stories.json"))
    account = json.loads(archive.read("account.json"))
    assert account["username"] == "zainabqx" and account["memberships"][0]["community"] == "a"
    by_id = {s["id"]: s for s in stories}
    assert set(by_id) == {str(s.id) for s in made} | {str(gone.id)}
    for story in made:
        assert by_id[str(story.id)]["title"] == story.title and by_id[str(story.id)]["body"] == story.body
    assert by_id[str(gone.id)] == {"id": str(gone.id), "status": "withdrawn",
                                   "withdrawn_at": by_id[str(gone.id)]["withdrawn_at"]}
    names = archive.namelist()
    stored = [n for n in names if n.startswith("media/")]
    assert stored == [f"media/{sha}.png"]
    everything = b"".join(archive.read(n) for n in names)
    for foreign in (b"Theirsqx", str(theirs.id).encode(), b"otherqx", b"readerqx", b"facqx"):
        assert foreign not in everything
    # Only for oneself (or, for a managed participant, their facilitator).
    assert Fresh(app).get("/account/data.zip").status_code in (302, 401)


def _delete(app, choice):
    browser = Fresh(app)
    browser.sign_in("zainabqx")
    return browser.form("/account/delete", {"stories": choice, "password": f.PASSWORD, "confirm": "y"},
                        page="/account")


def test_deleting_the_account_with_its_stories_leaves_no_personal_data(app, people):
    token = f.token(Fresh(app), "zainabqx")
    reader_token = f.token(Fresh(app), "readerqx")
    made, gone, theirs, sha, photo = _stories_of_writer(app, people)
    before = pull(app, reader_token)
    assert str(made[0].id) in {i["id"] for i in before["items"]}
    hash_before = db.session.get(Account, people["writer"].id).password_hash
    # Wrong password: nothing happens.
    browser = Fresh(app)
    browser.sign_in("zainabqx")
    assert browser.form("/account/delete", {"stories": "delete", "password": "wrong one!", "confirm": "y"},
                        page="/account").status_code == 400
    assert _delete(app, "delete").status_code == 302
    db.session.rollback()
    rows = all_rows_text()
    for trace in ("zainabqx", "Zainabqx", "Mineqx", sha, hash_before):
        assert trace not in rows, trace
    assert "Theirsqx" in rows  # other people's stories stay
    assert db.session.scalar(select(Account).where(Account.username == "zainabqx")) is None
    assert files_containing(app, photo) == []
    assert Fresh(app).get("/api/v1/sync/pull", headers=f.bearer(token)).status_code == 401
    after = pull(app, reader_token, before["cursor"])
    tomb = next(i for i in after["items"] if i["id"] == str(made[0].id))
    assert tomb["deleted"] is True and set(tomb) == {"id", "deleted", "revision"}


def test_deleting_the_account_but_keeping_the_stories_anonymous(app, people):
    reader_token = f.token(Fresh(app), "readerqx")
    made, gone, theirs, sha, photo = _stories_of_writer(app, people)
    before = pull(app, reader_token)
    assert _delete(app, "anonymise").status_code == 302
    db.session.rollback()
    rows = all_rows_text()
    assert "zainabqx" not in rows and "Zainabqx" not in rows
    kept = db.session.get(Story, made[0].id)
    assert kept.author_id is None and kept.author_display == "anonymous" and kept.title == made[0].title
    after = pull(app, reader_token, before["cursor"])
    item = next(i for i in after["items"] if i["id"] == str(made[0].id))
    assert item["author"] is None and item["title"] == made[0].title
    media = Fresh(app).get(f"/media/{sha}", headers=f.bearer(reader_token))
    media.close()
    assert media.status_code == 200


def test_a_deleted_recorders_name_leaves_the_phones_that_cached_it(app, people):
    person = people_service.create_managed(people["fac"], f.community("a"), "Ahmadqx")
    story = _record(app, people["fac"], person)
    moderator_token = f.token(Fresh(app), "fac2qx")  # a moderator sees who recorded the consent
    before = pull(app, moderator_token)
    cached = next(i for i in before["items"] if i["id"] == str(story.id))
    assert cached["consent"]["recorded_by"] == "facqx"
    recorder = Fresh(app)
    recorder.sign_in("facqx")
    assert recorder.form("/account/delete", {"stories": "anonymise", "password": f.PASSWORD, "confirm": "y"},
                         page="/account").status_code == 302
    db.session.rollback()
    assert "facqx" not in all_rows_text()
    after = pull(app, moderator_token, before["cursor"])
    item = next(i for i in after["items"] if i["id"] == str(story.id))
    assert item["consent"]["recorded_by"] is None and item["consent"]["kind"] == "verbal"
    assert item["revision"] > cached["revision"] and item["title"] == cached["title"]


def test_a_facilitator_deletes_a_managed_participants_data_on_request(app, people):
    person = people_service.create_managed(people["fac"], f.community("a"), "Managedqx", username="managedqx")
    _record(app, people["fac"], person)
    fac = Fresh(app)
    fac.sign_in("facqx")
    data = fac.get(f"/communities/a/people/{person.id}/data.zip")
    assert data.status_code == 200 and b"Recordedqx" in zipfile.ZipFile(io.BytesIO(data.get_data())).read("stories.json")
    # Not a facilitator of B, nor for an ordinary participant who can do it themselves.
    other = Fresh(app)
    f.account("facbqx", community_slug="b", role="facilitator")
    other.sign_in("facbqx")
    assert other.get(f"/communities/a/people/{person.id}/data.zip").status_code == 404
    assert fac.get(f"/communities/a/people/{people['reader'].id}/data.zip").status_code == 403
    response = fac.form(f"/communities/a/people/{person.id}/delete", {"stories": "delete", "confirm": "y"})
    assert response.status_code == 302
    db.session.rollback()
    rows = all_rows_text()
    assert "managedqx" not in rows and "Managedqx" not in rows and "Recordedqx" not in rows
