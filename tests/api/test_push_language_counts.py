"""The feed's language counts stay equal to a recount when a push inserts its new stories in
one batch and counts their languages itself (migration 0024), and after every later change:
an edit of language or visibility, moderation, a withdrawal, the deletion of the author.
On PostgreSQL the statement triggers count a push's one COPY instead (stories.service.PendingInserts);
the insert trigger still counts every other insert; the marker row never outlives a push."""
import uuid

import pytest
from sqlalchemy import text

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.privacy import service as privacy
from kultialogo.stories import service as stories_service
from tests.api.conftest import push
from tests.factories import fail_first_batch_insert
from tests.moderation.conftest import cast, client  # noqa: F401
from tests.translations.test_language_counts import check, language_counts

LANGUAGES = ("en", "it", "ar", "uk")


def item(n, *, community="siena", visibility="public", language=None, **data):
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": {
        "title": f"Story {n}", "body": "By the river.", "language": language or LANGUAGES[n % len(LANGUAGES)],
        "community": community, "visibility": visibility, "author_display": "pseudonym", **data}}


def edit(sent, answer, **changes):
    return {**sent, "base_etag": answer["story"]["etag"], "data": {**sent["data"], **changes}}


def no_marker():
    db.session.rollback()
    return db.session.scalar(text("SELECT count(*) FROM feed_language_counts_by_writer")) == 0


def test_a_batch_of_new_stories_is_counted_once_per_group_like_the_trigger(app, client, cast):
    # The facilitator's stories publish at once; the participant's wait for review (author only).
    published = [item(n, visibility=("public", "community", "facilitators")[n % 3]) for n in range(9)]
    pending = [item(n, language="sr" if n % 2 else "en") for n in range(6)]
    assert {r["result"] for r in push(client, cast["facilitator"], *published)} == {"created"}
    assert {r["result"] for r in push(client, cast["author"], *pending)} == {"created"}
    kept = check(cast)
    assert kept[("author", cast["author"].id, "sr")] == 3
    assert sum(n for (audience, _o, _l), n in kept.items() if audience == "public") == 3
    assert no_marker()


def test_edits_moderation_withdrawal_and_deletion_keep_the_counts(app, client, cast):
    author, facilitator = cast["author"], cast["facilitator"]
    sent = [item(n) for n in range(6)]
    answers = push(client, author, *sent)
    check(cast)
    # Moderation publishes some (status changes), hides one.
    for answer in answers[:4]:
        moderation.moderate(facilitator.account, uuid.UUID(answer["id"]), "publish", "")
    moderation.moderate(facilitator.account, uuid.UUID(answers[3]["id"]), "hide", "spam")
    check(cast)
    answers = {a["id"]: a for a in push(client, author, *(
        edit(s, a, **change) for s, a, change in zip(sent, push(client, author, *sent), (
            {"language": "uk"}, {"visibility": "community"}, {"language": "ar", "visibility": "facilitators"},
            {"title": "Only the title"}, {}, {"language": "nl"}))))}
    assert len(answers) == 6
    check(cast)
    withdrawn = push(client, author, {"type": "story", "op": "withdraw", "id": sent[0]["id"]},
                     {"type": "story", "op": "withdraw", "id": sent[5]["id"]})
    assert [r["result"] for r in withdrawn] == ["updated", "updated"]
    check(cast)
    # New stories and edits in one batch, an edit of a story inserted earlier in that batch.
    fresh = item(10, language="fr")
    mixed = push(client, author, fresh, item(11, language="fr"), edit(fresh, {"story": {"etag": None}}, language="de"))
    assert [r["result"] for r in mixed][:2] == ["created", "created"]
    check(cast)
    db.session.rollback()
    privacy.delete_account(author.account, db.session.get(Account, author.id), privacy.DELETE_STORIES)
    check(cast)
    assert no_marker()


def test_a_batch_insert_that_fails_is_redone_one_by_one_and_counted_by_the_trigger(app, client, cast, monkeypatch):
    failed = fail_first_batch_insert(monkeypatch)
    results = push(client, cast["facilitator"], *(item(n) for n in range(5)))
    assert failed == [5]
    assert [r["result"] for r in results] == ["created"] * 5
    kept = check(cast)
    assert sum(n for (audience, _o, _l), n in kept.items() if audience == "public") == 5
    assert no_marker()


def test_the_counts_of_a_batch_are_what_the_trigger_would_have_made(app, client, cast):
    """The same pushes with the trigger counting row by row (the marker never set) agree."""
    batch = [item(n, visibility=("public", "community")[n % 2]) for n in range(8)]
    push(client, cast["facilitator"], *batch)
    by_batch = language_counts()
    db.session.rollback()
    rows = [{"status": "published", "community_id": 1, "visibility": "public", "author_id": 7, "language": "en"},
            {"status": "pending", "community_id": 1, "visibility": "public", "author_id": 7, "language": "en"},
            {"status": "withdrawn", "community_id": None, "visibility": "facilitators", "author_id": 7,
             "language": "und"},
            {"status": "published", "community_id": 2, "visibility": "community", "author_id": None,
             "language": "it"}]
    assert sorted(map(tuple, (d.values() for d in stories_service.language_counts_of(rows)))) == sorted([
        ("public", 1, "en", 1), ("author", 7, "en", 2), ("community", 2, "it", 1)])
    assert by_batch == language_counts(recount=True)


@pytest.fixture(autouse=True)
def _reset_session(app):
    yield
    db.session.rollback()
