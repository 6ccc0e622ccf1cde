"""The feed's language menu comes from counts the database keeps (migration 0012): after every
kind of change they equal a recount, and each reader's menu equals the old SELECT DISTINCT over
the stories they may read. The feed's keyset pages hold exactly the readable stories, in order.
"""
from datetime import timezone

from sqlalchemy import select, text

from kultialogo import policy
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.privacy import service as privacy
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from kultialogo.translations import service as translations
from kultialogo.translations.models import TRANSLATION_PUBLISHED, FeedLanguageCount, StoryTranslation
from tests import factories as f

from .conftest import stored, story_in, write_story

# --- The old, slow answers the kept counts must equal ----------------------------------------

def languages_by_scanning(viewer) -> list[str]:
    """feed_languages() the slow way, from every readable story: what the counts must equal."""
    readable = policy.readable_stories_clause(viewer)
    originals = set(db.session.scalars(select(Story.language).where(readable).distinct()))
    translated = set(db.session.scalars(
        select(StoryTranslation.language).join(Story, Story.id == StoryTranslation.story_id)
        .where(readable, StoryTranslation.status == TRANSLATION_PUBLISHED).distinct()))
    return sorted(originals | translated)


# The counts from scratch, as migration 0012 fills them: what the kept ones must equal.
RECOUNT = """
SELECT audience, owner_id, language, count(*) FROM (
  SELECT s.visibility AS audience, s.community_id AS owner_id, s.language AS language FROM stories s
   WHERE s.status = 'published' AND s.community_id IS NOT NULL
  UNION ALL
  SELECT 'author', s.author_id, s.language FROM stories s
   WHERE s.status <> 'withdrawn' AND s.author_id IS NOT NULL
  UNION ALL
  SELECT s.visibility, s.community_id, t.language FROM story_translations t JOIN stories s ON s.id = t.story_id
   WHERE t.status = 'published' AND s.status = 'published' AND s.community_id IS NOT NULL
  UNION ALL
  SELECT 'author', s.author_id, t.language FROM story_translations t JOIN stories s ON s.id = t.story_id
   WHERE t.status = 'published' AND s.status <> 'withdrawn' AND s.author_id IS NOT NULL
) AS x GROUP BY audience, owner_id, language"""


def language_counts(recount: bool = False) -> dict:
    """{(audience, owner_id, language): stories} as kept, or recounted from the stories."""
    if recount:
        rows = db.session.execute(text(RECOUNT))
    else:
        rows = db.session.execute(select(FeedLanguageCount.audience, FeedLanguageCount.owner_id,
                                         FeedLanguageCount.language, FeedLanguageCount.stories))
    return {(a, o, lang): n for a, o, lang, n in rows}


READERS = ("anonymous", "author", "other_participant", "facilitator", "other_facilitator", "admin")


def reader(cast, role):
    return None if role == "anonymous" else db.session.get(Account, cast[role].id, populate_existing=True)


def feed_walk(viewer, size=2) -> list:
    """Every story of the feed, following the Older links from the first page, then back up."""
    page = stories.feed_page(viewer, size)
    seen, pages = list(page.stories), [page]
    while page.older:
        page = stories.feed_page(viewer, size, older=page.older)
        seen += page.stories
        pages.append(page)
    # Newer links lead back through the same pages.
    for expected in reversed(pages[:-1]):
        page = stories.feed_page(viewer, size, newer=page.newer)
        assert [s.id for s in page.stories] == [s.id for s in expected.stories]
    assert page.newer is None
    return [s.id for s in seen]


def check(cast, *, feed=True):
    """Counts as kept == recount; for every kind of reader, menu == DISTINCT scan, feed == readable."""
    db.session.rollback()
    kept = language_counts()
    assert kept == language_counts(recount=True)
    assert all(n > 0 for n in kept.values())
    for role in READERS:
        viewer = reader(cast, role)
        assert translations.feed_languages(viewer) == languages_by_scanning(viewer), role
        if feed:
            expected = list(db.session.scalars(select(Story.id).where(policy.readable_stories_clause(viewer))
                                               .order_by(Story.received_at.desc(), Story.id.desc())))
            assert feed_walk(viewer) == expected, role
    return kept


def menu(cast, role):
    db.session.rollback()
    return translations.feed_languages(reader(cast, role))


def test_counts_follow_publish_hide_withdraw_translations_and_deletion(app, client, cast):
    author, facilitator = cast["author"].account, cast["facilitator"].account
    check(cast)
    # Written in a community that reviews: only its author (and the moderators' queue) has it.
    waiting = write_story(author, language="uk", title="Waiting")
    check(cast)
    assert menu(cast, "author") == ["uk"] and menu(cast, "anonymous") == [] and menu(cast, "facilitator") == []
    moderation.moderate(facilitator, waiting, "publish")
    assert menu(cast, "anonymous") == ["uk"]
    check(cast)
    # Translations: the author's is published at once, another reader's waits, then is reviewed.
    translations.put(author, waiting, "it", {"title": "In attesa", "body": "Un giorno."})
    pending_result, pending = translations.put(cast["other_participant"].account, waiting, "ar",
                                               {"title": "انتظار", "body": "يوم."})
    assert menu(cast, "anonymous") == ["it", "uk"]
    check(cast)
    translations.review(facilitator, pending.id, translations.PUBLISH)
    assert menu(cast, "anonymous") == ["ar", "it", "uk"]
    check(cast)
    # Another audience, another community: the menu differs per reader.
    community_only = story_in("published", author, facilitator, visibility="community", language="fa")
    facilitators_only = story_in("published", author, facilitator, visibility="facilitators", language="ps")
    check(cast)
    assert "fa" in menu(cast, "other_participant") and "fa" not in menu(cast, "other_facilitator")
    assert "ps" in menu(cast, "facilitator") and "ps" not in menu(cast, "other_participant")
    assert {"fa", "ps"} <= set(menu(cast, "admin")) and "fa" not in menu(cast, "anonymous")
    # Hide and unhide; reject keeps it the author's own.
    moderation.moderate(facilitator, waiting, "hide", "spam")
    assert menu(cast, "anonymous") == [] and menu(cast, "author") == ["ar", "fa", "it", "ps", "uk"]
    check(cast)
    moderation.moderate(facilitator, waiting, "unhide")
    check(cast)
    rejected = story_in("rejected", author, facilitator, language="nl")
    assert "nl" in menu(cast, "author") and "nl" not in menu(cast, "facilitator")
    check(cast)
    # Removing a translation, and an edit that changes the language (back to review).
    translations.remove(author, waiting, "it")
    assert "it" not in menu(cast, "anonymous")
    check(cast)
    content = validate_content({"title": "Now in French", "body": "Un jour.", "language": "fr",
                                        "community": "siena", "visibility": "public", "author_display": "pseudonym"})
    stories.write_one(author, waiting, content, base_etag=stored(waiting).etag)
    assert stored(waiting).status == "pending" and "fr" in menu(cast, "author") and "fr" not in menu(cast, "anonymous")
    check(cast)
    # Withdrawal erases the story and its translations.
    stories.withdraw_one(author, community_only)
    assert "fa" not in menu(cast, "other_participant")
    check(cast)
    # The push: new stories go in by raw INSERTs, in a batch; a withdrawal by the same path.
    f.community("siena").moderation = "trusted"
    db.session.commit()
    pushed = [f.item(language=lang, title=f"Pushed {lang}") for lang in ("sr-Latn", "en", "en")]
    response = client.post("/api/v1/sync/push", json={"items": pushed}, headers=cast["author"].headers)
    assert response.status_code == 200, response.get_json()
    assert [r["result"] for r in response.get_json()["results"]] == ["created"] * 3
    assert {"sr-Latn", "en"} <= set(menu(cast, "anonymous"))
    check(cast)
    response = client.post("/api/v1/sync/push", json={"items": [{"type": "story", "op": "withdraw",
                                                                 "id": pushed[0]["id"]}]},
                           headers=cast["author"].headers)
    assert response.status_code == 200 and "sr-Latn" not in menu(cast, "anonymous")
    check(cast)
    # A savepoint rolled back takes its count change with it.
    facilitator_now = reader(cast, "facilitator")
    nested = db.session.begin_nested()
    db.session.execute(Story.__table__.update().where(Story.id == facilitators_only).values(language="tr"))
    assert "tr" in translations.feed_languages(facilitator_now)
    nested.rollback()
    check(cast)
    # A deleted row (ON DELETE CASCADE takes its translations) and a deleted account (anonymised).
    db.session.delete(stored(waiting))
    db.session.commit()
    check(cast)
    assert rejected and menu(cast, "author")
    privacy.delete_account(author, db.session.get(Account, author.id), privacy.ANONYMISE_STORIES)
    kept = check(cast)
    assert not any(audience == "author" and owner == cast["author"].id for audience, owner, _ in kept)
    assert "ps" in menu(cast, "facilitator")  # the anonymised story is still published


def test_deleting_an_account_with_its_stories_takes_their_languages(app, client, cast):
    author, facilitator = cast["author"].account, cast["facilitator"].account
    first = story_in("published", author, facilitator, language="uk")
    translations.put(facilitator, first, "it", {"title": "Storia", "body": "Testo."})
    story_in("pending", author, facilitator, language="nl")
    check(cast)
    privacy.delete_account(author, db.session.get(Account, author.id), privacy.DELETE_STORIES)
    assert menu(cast, "anonymous") == [] and menu(cast, "admin") == []
    check(cast)


def test_the_feed_pages_by_cursor_through_stories_received_at_the_same_moment(app, cast):
    author, facilitator = cast["author"].account, cast["facilitator"].account
    ids = [story_in("published", author, facilitator, title=f"Same {n}") for n in range(5)]
    same = stored(ids[0]).received_at
    db.session.execute(Story.__table__.update().values(received_at=same))
    db.session.commit()
    walked = feed_walk(None, size=2)
    assert walked == sorted(ids, reverse=True)
    assert stories.parse_feed_cursor(stories.feed_cursor(stored(ids[0]))) == (
        same if same.tzinfo else same.replace(tzinfo=timezone.utc), ids[0])
    assert stories.parse_feed_cursor("nonsense") is None and stories.parse_feed_cursor(None) is None


def test_the_migration_fills_the_counts_from_the_stories_and_goes_down_cleanly(app, cast):
    from flask_migrate import downgrade, upgrade
    author, facilitator = cast["author"].account, cast["facilitator"].account
    published = story_in("published", author, facilitator, language="uk")
    translations.put(author, published, "it", {"title": "Storia", "body": "Testo."})
    story_in("published", author, facilitator, visibility="community", language="ar")
    story_in("hidden", author, facilitator, language="nl")
    kept = check(cast)
    db.session.remove()
    downgrade(revision="0011")
    try:
        with db.engine.connect() as conn:
            assert "feed_language_counts" not in db.inspect(conn).get_table_names()
            indexes = {i["name"] for i in db.inspect(conn).get_indexes("stories")}
            assert {"ix_stories_feed", "ix_stories_community_status"} <= indexes
    finally:
        upgrade()
    assert check(cast) == kept
    with db.engine.connect() as conn:
        indexes = {i["name"]: i["column_names"] for i in db.inspect(conn).get_indexes("stories")}
    assert indexes["ix_stories_feed"] == ["status", "visibility", "received_at", "id"]
    assert indexes["ix_stories_community_feed"] == ["community_id", "status", "visibility", "received_at", "id"]
    # And they are still kept after the round trip.
    story_in("published", author, facilitator, language="fr")
    assert "fr" in menu(cast, "anonymous")
    check(cast, feed=False)


def test_every_count_trigger_is_in_place(app):
    """A later migration that copies stories in batch mode on SQLite would drop them silently."""
    if db.engine.dialect.name == "sqlite":
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    else:
        names = set(db.session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {f"flc_{table}_{event}" for table in ("story", "translation")
            for event in ("insert", "update", "delete")} <= names


def test_a_reader_of_no_language_gets_no_menu(app, client, cast):
    story_in("published", cast["author"].account, cast["facilitator"].account, language="uk")
    page = client.get("/").get_data(as_text=True)
    assert 'id="feed-language"' not in page  # one language: nothing to choose
