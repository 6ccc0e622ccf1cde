"""Translations of stories (issue 8, item 3): who may add one and whether it waits for review,
one per language, the review queue, the story page in the reader's language with the original
a click away, the feed's language filter, pulls, withdrawal and a person's data."""
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.stories import service as stories
from kultialogo.translations import service as translations
from kultialogo.translations.models import StoryTranslation
from tests.moderation.test_pull import PULL, pull

from .conftest import audit_rows, stored, story_in, write_story

ITALIAN = {"title": "Una passeggiata lungo il fiume", "body": "Abbiamo camminato lungo il fiume e parlato."}
ARABIC = {"title": "نزهة على ضفاف النهر", "body": "مشينا على ضفاف النهر وتحدثنا."}


def published_story(cast, **kwargs):
    return story_in("published", cast["author"].account, cast["facilitator"].account, **kwargs)


def put(client, member, story_id, language, data, **headers):
    return client.put(f"/api/v1/stories/{story_id}/translations/{language}", json=data,
                      headers={**(member.headers if member else {}), **headers})


def rows(story_id) -> list[StoryTranslation]:
    db.session.rollback()
    return list(db.session.scalars(select(StoryTranslation).where(StoryTranslation.story_id == story_id)
                                   .order_by(StoryTranslation.language)))


# --- Who may translate, and whether it waits ---------------------------------------------------

@pytest.mark.parametrize("role, status", [("author", "published"), ("facilitator", "published"),
                                          ("admin", "published"), ("other_participant", "pending")])
def test_who_publishes_at_once_and_whose_translation_waits(client, cast, role, status):
    story_id = published_story(cast)
    before = stored(story_id).revision
    response = put(client, cast[role], story_id, "it", ITALIAN)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == status
    [row] = rows(story_id)
    assert (row.language, row.title, row.status, row.translator_id) == ("it", ITALIAN["title"], status, cast[role].id)
    # A published one changes what pulls carry (a new revision); a waiting one does not.
    assert (stored(story_id).revision > before) == (status == "published")
    [event] = audit_rows(action="translation.add")
    assert event.story_id == story_id and event.detail == {"language": "it", "status": status}
    assert "Una passeggiata" not in json.dumps(event.detail)  # ids and kinds only


def test_readers_outside_the_audience_and_anonymous_are_refused(client, cast):
    community_story = published_story(cast, visibility="community")
    # milica facilitates Belgrade: the Siena community story does not exist for her.
    response = put(client, cast["other_facilitator"], community_story, "it", ITALIAN)
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    response = put(client, None, community_story, "it", ITALIAN)
    assert response.status_code == 401
    # Only readable stories: a story waiting for review is not bilal's to translate (nor to see).
    waiting = write_story(cast["author"].account)
    assert put(client, cast["other_participant"], waiting, "it", ITALIAN).status_code == 404
    # The facilitator sees the waiting story (to review it) but it is not readable yet.
    response = put(client, cast["facilitator"], waiting, "it", ITALIAN)
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    assert rows(community_story) == [] and rows(waiting) == []
    # A withdrawn story: gone for everyone.
    stories.withdraw_one(cast["author"].account, community_story)
    assert put(client, cast["author"], community_story, "it", ITALIAN).status_code == 404


def test_the_html_form_needs_a_signed_in_reader(web, cast):
    story_id = published_story(cast)
    anonymous = web("anonymous")
    page = anonymous.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Add a translation" not in page
    response = anonymous.post(f"/stories/{story_id}/translations",
                              data={"csrf_token": anonymous.csrf("/"), "language": "it", **ITALIAN})
    assert response.status_code in (302, 401) and "/signin" in response.headers.get("Location", "/signin")
    assert rows(story_id) == []
    bilal = web("other_participant")
    page = bilal.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Add a translation" in page
    response = bilal.form(f"/stories/{story_id}/translations",
                          {"language": "it", "translator_display": "name", **ITALIAN}, page=f"/stories/{story_id}")
    assert response.status_code == 302
    [row] = rows(story_id)
    assert (row.status, row.translator_display) == ("pending", "name")
    waiting = bilal.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "waiting for review" in waiting


def test_validation_one_per_language_and_who_may_replace(client, cast):
    story_id = published_story(cast)
    bad = put(client, cast["author"], story_id, "xx-nonsense", ITALIAN)
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_language"
    same = put(client, cast["author"], story_id, "en", ITALIAN)
    assert same.status_code == 400 and same.get_json()["code"] == "translation_same_language"
    long = put(client, cast["author"], story_id, "it", {"title": "x" * 141, "body": "b"})
    assert long.status_code == 400 and long.get_json()["code"] == "too_long"
    empty = put(client, cast["author"], story_id, "it", {"title": "T", "body": ""})
    assert empty.status_code == 400 and empty.get_json()["field"] == "body"

    assert put(client, cast["other_participant"], story_id, "it", ITALIAN).status_code == 201
    # The language is taken: someone else (even the author) cannot replace bilal's translation.
    taken = put(client, cast["author"], story_id, "IT", {"title": "Altro", "body": "Altro testo."})
    assert taken.status_code == 409 and taken.get_json()["code"] == "translation_exists"
    # Its translator may, and so may a facilitator (whose text is published at once).
    again = put(client, cast["other_participant"], story_id, "it", ITALIAN)
    assert again.status_code == 200 and again.get_json()["result"] == "unchanged"
    fixed = put(client, cast["facilitator"], story_id, "it", {"title": "Una passeggiata", "body": "Corretto."})
    assert fixed.status_code == 200 and fixed.get_json()["result"] == "updated"
    [row] = rows(story_id)
    assert (row.body, row.status, row.translator_id) == ("Corretto.", "published", cast["facilitator"].id)
    # The database itself refuses a second row for the same story and language.
    with pytest.raises(Exception):
        db.session.add(StoryTranslation(story_id=story_id, language="it", title="", body="x",
                                        translator_display="pseudonym", status="pending"))
        db.session.flush()
    db.session.rollback()


def test_review_publishes_or_rejects_a_waiting_translation(web, cast):
    story_id = published_story(cast)
    result, waiting = translations.put(cast["other_participant"].account, story_id, "it", ITALIAN)
    assert (result, waiting.status) == ("created", "pending")
    translation_id = waiting.id
    queue = web("facilitator").get("/review").get_data(as_text=True)
    assert "Translations waiting for review" in queue and ITALIAN["body"] in queue
    # Not in the queue of a facilitator of another community, and she may not decide it.
    assert ITALIAN["body"] not in web("other_facilitator").get("/review").get_data(as_text=True)
    with pytest.raises(Problem) as refused:
        translations.review(cast["other_facilitator"].account, translation_id, "publish")
    assert refused.value.status == 403
    with pytest.raises(Problem):
        translations.review(cast["other_participant"].account, translation_id, "publish")

    before = stored(story_id).revision
    giulia = web("facilitator")
    response = giulia.form(f"/review/translations/{translation_id}/publish", {}, page="/review")
    assert response.status_code == 302
    [row] = rows(story_id)
    assert row.status == "published" and stored(story_id).revision > before
    assert ITALIAN["body"] not in giulia.get("/review").get_data(as_text=True)

    _r, second = translations.put(cast["other_participant"].account, story_id, "ar", ARABIC)
    response = giulia.form(f"/review/translations/{second.id}/reject", {}, page="/review")
    assert response.status_code == 302
    assert [t.language for t in rows(story_id)] == ["it"]  # a rejected translation is deleted
    assert [e.detail["language"] for e in audit_rows(action="translation.publish")] == ["it"]
    assert [e.detail["language"] for e in audit_rows(action="translation.reject")] == ["ar"]


# --- Reading ---------------------------------------------------------------------------------

def test_the_story_page_shows_the_readers_language_with_the_original_a_click_away(web, cast):
    story_id = published_story(cast, title="A walk by the river", author_display="name")
    translations.put(cast["author"].account, story_id, "it", {**ITALIAN, "translator_display": "name"})
    translations.put(cast["facilitator"].account, story_id, "ar", ARABIC)
    reader = web("other_participant")

    italian = reader.get(f"/stories/{story_id}?lang=it").get_data(as_text=True)
    assert ITALIAN["body"] in italian and "A day by the river" not in italian
    assert re.search(r'<article class="story translated" lang="it">', italian)
    assert re.search(r'<h1 dir="auto">Una passeggiata lungo il fiume</h1>', italian)
    notice = re.search(r'<p class="translated-note"[^>]*>(.*?)</p>', italian, re.S).group(1)
    assert "<bdi>Amina</bdi>" in notice  # the author translated it, and the story shows her name
    assert f'href="/stories/{story_id}?original=1#original"' in notice
    # The other languages it can be read in.
    assert f'href="/stories/{story_id}?translation=ar"' in italian

    original = reader.get(f"/stories/{story_id}?lang=it&original=1").get_data(as_text=True)
    assert "A day by the river" in original and ITALIAN["body"] not in original
    assert 'id="original"' in original and 'lang="en"' in original
    # An English reader reads the original; an Arabic reader the Arabic translation.
    assert "A day by the river" in reader.get(f"/stories/{story_id}?lang=en").get_data(as_text=True)
    arabic = reader.get(f"/stories/{story_id}?lang=ar").get_data(as_text=True)
    assert ARABIC["body"] in arabic and 'lang="ar"' in arabic and 'dir="auto"' in arabic
    # A waiting translation is shown to nobody but its translator's notice.
    translations.put(cast["other_participant"].account, story_id, "fr", {"title": "Une promenade", "body": "Nous avons marché."})
    assert "Nous avons marché." not in reader.get(f"/stories/{story_id}?lang=fr").get_data(as_text=True)


def test_the_feed_shows_translations_and_filters_by_language(web, cast):
    import uuid

    from kultialogo.moderation import service as moderation
    from kultialogo.stories.schema import validate_content
    amina = cast["author"].account
    ids = {}
    for name, language, title in (("ar", "ar", "قصة عربية"), ("en", "en", "An English story"),
                                  ("uk", "uk", "Українська історія")):
        story_id = uuid.uuid4()
        content = validate_content({"title": title, "body": title + " body", "language": language, "community": "siena",
                                    "visibility": "public", "author_display": "pseudonym"})
        stories.write_one(amina, story_id, content)
        moderation.moderate(cast["facilitator"].account, story_id, "publish")
        ids[name] = story_id
    translations.put(amina, ids["ar"], "it", {"title": "Una storia araba", "body": "Tradotta in italiano."})
    translations.put(cast["other_participant"].account, ids["uk"], "it", {"title": "In attesa", "body": "Non ancora."})
    reader = web("anonymous")

    feed = reader.get("/?lang=it").get_data(as_text=True)
    assert "Una storia araba" in feed and "Tradotta in italiano." in feed and "قصة عربية body" not in feed
    assert re.search(r'<article lang="it" class="translated">', feed)
    assert feed.count('class="translated-mark"') == 1  # marked as translated
    assert f'href="/stories/{ids["ar"]}?translation=it"' in feed
    assert "In attesa" not in feed  # waiting: not shown
    # The filter offers the languages present (originals and published translations).
    select_html = re.search(r'<select id="feed-language".*?</select>', feed, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"', select_html)
    assert options == ["", "ar", "en", "it", "uk"]
    italian_only = reader.get("/?language=it").get_data(as_text=True)
    assert "Una storia araba" in italian_only and "An English story" not in italian_only
    assert "Українська історія" not in italian_only
    arabic_only = reader.get("/?language=ar&lang=en").get_data(as_text=True)
    assert "قصة عربية" in arabic_only and "An English story" not in arabic_only
    assert 'value="ar" selected' in arabic_only
    assert "An English story" in reader.get("/?language=en").get_data(as_text=True)


def test_the_language_is_kept_across_pages(web, cast, app):
    app.config["FEED_PAGE_SIZE"] = 1
    for n in range(3):
        sid = published_story(cast, title=f"Story {n}")
        translations.put(cast["author"].account, sid, "it", {"title": f"Storia {n}", "body": "Testo."})
    published_story(cast, title="Untranslated")
    reader = web("anonymous")
    page = reader.get("/?language=it").get_data(as_text=True)
    for _ in range(2):
        older = re.search(r'rel="next" href="(/\?older=[^"&]+&amp;language=it)"', page).group(1)
        page = reader.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "Storia 0" in page and "Untranslated" not in page and 'rel="next"' not in page


# --- Sync, withdrawal, a person's data -----------------------------------------------------------

def test_pulls_carry_published_translations_with_a_new_revision(client, cast):
    story_id = published_story(cast)
    reader = cast["other_participant"]
    seen, cursor = pull(client, reader)
    assert seen[str(story_id)]["translations"] == []
    assert put(client, cast["author"], story_id, "it", {**ITALIAN, "translator_display": "anonymous"}).status_code == 201
    changes, cursor = pull(client, reader, cursor)
    [item] = changes[str(story_id)]["translations"]
    assert item["language"] == "it" and item["title"] == ITALIAN["title"] and item["translator"] is None
    assert set(item) == {"language", "title", "body", "translator", "updated_at"}
    # A waiting translation does not reach phones; removing one does (a new revision again).
    put(client, reader, story_id, "fr", {"title": "Une promenade", "body": "Texte."})
    changes, cursor = pull(client, reader, cursor)
    assert str(story_id) not in changes
    response = client.delete(f"/api/v1/stories/{story_id}/translations/it", headers=reader.headers)
    assert response.status_code == 403
    response = client.delete(f"/api/v1/stories/{story_id}/translations/it", headers=cast["author"].headers)
    assert response.status_code == 204
    changes, cursor = pull(client, reader, cursor)
    assert changes[str(story_id)]["translations"] == []
    assert audit_rows(action="translation.remove")[0].detail == {"language": "it"}


def test_withdrawal_deletes_the_translations_for_real(client, cast):
    story_id = published_story(cast)
    translations.put(cast["author"].account, story_id, "it", ITALIAN)
    translations.put(cast["other_participant"].account, story_id, "ar", ARABIC)
    assert len(rows(story_id)) == 2
    stories.withdraw_one(cast["author"].account, story_id)
    assert rows(story_id) == []
    assert db.session.scalar(select(func.count()).select_from(StoryTranslation)) == 0


@pytest.mark.parametrize("choice", ["delete", "anonymise"])
def test_a_persons_data_holds_their_translations_and_deletion_follows_their_choice(web, cast, choice):
    from kultialogo.privacy import service as privacy
    story_id = published_story(cast)
    bilal = cast["other_participant"].account
    translations.put(bilal, story_id, "it", {**ITALIAN, "translator_display": "name"})
    data = privacy.export_zip(bilal, bilal)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        made = json.loads(archive.read("translations.json"))
    assert [(t["story"], t["language"], t["title"], t["status"]) for t in made] == [
        (str(story_id), "it", ITALIAN["title"], "pending")]
    translations.review(cast["facilitator"].account, rows(story_id)[0].id, "publish")
    before = stored(story_id).revision
    privacy.delete_account(bilal, bilal, choice)
    left = rows(story_id)
    if choice == "delete":
        assert left == []
    else:
        [row] = left
        assert (row.translator_id, row.translator_display, row.title) == (None, "anonymous", ITALIAN["title"])
    assert stored(story_id).revision > before


@pytest.mark.parametrize("display, shown", [("anonymous", None), ("pseudonym", "amina"), ("name", "Amina")])
def test_an_author_translating_their_own_story_is_shown_as_the_story_shows_them(client, web, cast, display, shown):
    """Defaulting to "My username", an author's own translation named them beside their anonymous story."""
    story_id = published_story(cast, author_display=display)
    # The form's and the API's default display is the username; the story's choice wins.
    assert put(client, cast["author"], story_id, "it", ITALIAN).status_code == 201
    seen, _cursor = pull(client, cast["other_participant"])
    [item] = seen[str(story_id)]["translations"]
    assert item["translator"] == shown
    page = web(None).get(f"/stories/{story_id}?lang=it").get_data(as_text=True)
    assert ITALIAN["body"] in page
    if shown is None:
        assert "amina" not in page.lower()
    else:
        assert f"<bdi>{shown}</bdi>" in page


def test_a_sparse_pages_translations_come_as_a_dense_pages(client, cast, monkeypatch):
    # The pull reads a page's translations by its range of revisions, or, when the reader sees
    # little of that range, by the page's revisions: the same translations either way.
    reader = cast["other_participant"]
    first = published_story(cast)
    translations.put(cast["author"].account, first, "it", ITALIAN)
    for _ in range(12):  # stories the reader never sees (waiting for review), between the two
        write_story(cast["author"].account, title="Waiting")
    last = published_story(cast)
    translations.put(cast["author"].account, last, "ar", ARABIC)
    used = []
    for name in ("_in_range_query", "_named_query"):
        monkeypatch.setattr(translations, name, lambda made=getattr(translations, name), name=name:
                            used.append(name) or made())
    sparse, _cursor = pull(client, reader)
    assert used == ["_named_query"]
    assert [t["title"] for t in sparse[str(first)]["translations"]] == [ITALIAN["title"]]
    assert [t["title"] for t in sparse[str(last)]["translations"]] == [ARABIC["title"]]
    from kultialogo.sync.service import encode_cursor
    cursor = encode_cursor(stored(last).revision - 1)  # the last alone: a range of one revision
    page = client.get(PULL, query_string={"cursor": cursor}, headers=reader.headers).get_json()
    assert page["items"] == [sparse[str(last)]]
    assert used == ["_named_query", "_in_range_query"]
