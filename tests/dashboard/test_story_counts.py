"""The stories per day and month the dashboard adds up (migration 0025) stay equal to a count of the
stories themselves, made here in Python from their rows, after every way a story arrives or
changes: a push's batch (which counts its own rows), a batch that fails and is redone one by
one, the ORM, a bulk INSERT of many rows in one statement, moderation, edits, withdrawal, the
deletion of an account, a story moved to another day. A day is the UTC date of arrival, on
PostgreSQL whatever the session's time zone; a month is that day's calendar month."""
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text, update

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.privacy import service as privacy
from kultialogo.stories import service as stories_service
from kultialogo.stories.models import Story, StoryCount
from kultialogo.timeutil import as_utc
from tests.api.conftest import push
from tests.factories import fail_first_batch_insert
from tests.api.test_push_language_counts import edit, item
from tests.dashboard.helpers import app_in_time_zone
from tests.moderation.conftest import cast, client, story_in  # noqa: F401

UTC = timezone.utc


def kept() -> Counter:
    db.session.rollback()
    return Counter({(row.period, row.start, row.community_id, row.dimension, row.value): row.stories
                    for row in db.session.scalars(select(StoryCount))})


def counted() -> Counter:
    """The same numbers from the stories, in Python: not withdrawn; by UTC day of arrival."""
    db.session.rollback()
    out = Counter()
    for received_at, community_id, status, language in db.session.execute(
            select(Story.received_at, Story.community_id, Story.status, Story.language)):
        if status == "withdrawn":
            continue
        day = as_utc(received_at).astimezone(UTC).date()
        for period, start in (("day", day), ("month", day.replace(day=1))):
            out[(period, start, community_id or 0, "status", status)] += 1
            out[(period, start, community_id or 0, "language", language)] += 1
    return out


def check() -> Counter:
    numbers = kept()
    assert numbers == counted()
    assert all(n > 0 for n in numbers.values())  # rows at 0 are deleted
    assert db.session.scalar(text("SELECT count(*) FROM feed_language_counts_by_writer")) == 0
    return numbers


def statuses(numbers) -> int:
    """How many stories the counts hold (each is counted once by status on its day)."""
    return sum(n for (period, _s, _c, dimension, _v), n in numbers.items() if period == "day" and dimension == "status")


def test_a_push_counts_its_batch_by_day_community_status_and_language(app, client, cast):
    published = [item(n) for n in range(7)]
    elsewhere = [item(n, community=None, visibility="facilitators") for n in range(2)]
    assert {r["result"] for r in push(client, cast["facilitator"], *published)} == {"created"}
    assert {r["result"] for r in push(client, cast["author"], *(item(n, language="sr") for n in range(3)))} == {"created"}
    push(client, cast["author"], *elsewhere)
    numbers = check()
    today = datetime.now(UTC).date()
    siena = db.session.scalar(text("SELECT id FROM communities WHERE slug = 'siena'"))
    assert numbers[("day", today, siena, "status", "published")] == 7
    assert numbers[("day", today, siena, "status", "pending")] == 3
    assert numbers[("month", today.replace(day=1), siena, "language", "sr")] == 3


def test_moderation_edits_withdrawal_and_deletion_keep_the_counts(app, client, cast):
    author, facilitator = cast["author"], cast["facilitator"]
    sent = [item(n) for n in range(6)]
    answers = push(client, author, *sent)
    check()
    for answer in answers[:4]:
        moderation.moderate(facilitator.account, uuid.UUID(answer["id"]), "publish", "")
    moderation.moderate(facilitator.account, uuid.UUID(answers[3]["id"]), "hide", "spam")
    moderation.moderate(facilitator.account, uuid.UUID(answers[4]["id"]), "reject", "not a story")
    check()
    again = push(client, author, *sent)
    push(client, author, *(edit(s, a, language=lang) for s, a, lang in zip(sent, again, ("uk", "ar", "nl"))))
    check()
    before = statuses(kept())
    withdrawn = push(client, author, *({"type": "story", "op": "withdraw", "id": s["id"]} for s in sent[:2]))
    assert [r["result"] for r in withdrawn] == ["updated", "updated"]
    after = statuses(check())
    assert after == before - 2  # a withdrawn story is counted nowhere
    story_in("published", author.account, facilitator.account, language="fr")  # the ORM's way in
    check()
    db.session.rollback()
    privacy.delete_account(author.account, db.session.get(Account, author.id), privacy.DELETE_STORIES)
    assert check() == Counter()


def test_a_failed_batch_is_counted_once_when_redone_one_by_one(app, client, cast, monkeypatch):
    failed = fail_first_batch_insert(monkeypatch)
    assert [r["result"] for r in push(client, cast["facilitator"], *(item(n) for n in range(5)))] == ["created"] * 5
    assert failed == [5]
    assert statuses(check()) == 5


def test_a_batch_counts_as_the_trigger_would(app, client, cast):
    """story_counts_of() on rows of several days, communities and statuses == the trigger's count
    of the same rows inserted one statement at a time (the marker never set)."""
    author = cast["author"]
    rows = []
    start = datetime(2026, 9, 6, 23, 59, 59, 999999, tzinfo=UTC)  # a Sunday's last instant
    for n in range(12):
        rows.append({"status": ("published", "pending", "withdrawn", "hidden")[n % 4],
                     "community_id": (None, 1, 2)[n % 3], "language": ("en", "ar")[n % 2],
                     "received_at": start + timedelta(microseconds=n % 2, days=n // 6)})
    expected = Counter()
    for row in stories_service.story_counts_of(rows):
        expected[(row["period"], row["start"], row["community_id"], row["dimension"], row["value"])] += row["stories"]
    keys = list(expected)
    assert keys == sorted(keys)  # the lock order the triggers use too
    # A microsecond later is the next day (Monday): the boundary is UTC midnight.
    assert expected[("day", start.date(), 0, "status", "published")] == 1
    assert expected[("day", start.date() + timedelta(days=1), 1, "status", "pending")] == 1
    assert sum(expected.values()) == 4 * 9  # three of twelve are withdrawn
    ids = list(db.session.scalars(text("SELECT id FROM communities ORDER BY id")))  # 1, 2: the first two
    for n, row in enumerate(rows):
        values = {**_raw_story(n, author.id), **row, "community_id": row["community_id"] and ids[row["community_id"] - 1]}
        db.session.execute(insert(Story.__table__).values(**values))
    db.session.commit()
    assert kept() == Counter({(p, d, c and ids[c - 1], dim, v): n for (p, d, c, dim, v), n in expected.items()})
    check()


def test_one_statement_of_many_rows_and_a_move_to_another_day(app, cast):
    """A bulk INSERT (an import; on PostgreSQL counted once per statement) and an UPDATE of
    received_at (as a restore or a script might) both keep the counts."""
    author = cast["author"]
    siena = db.session.scalar(text("SELECT id FROM communities WHERE slug = 'siena'"))
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    rows = [{**_raw_story(n, author.id), "community_id": siena, "language": ("it", "fa", "ti")[n % 3],
             "status": ("published", "pending")[n % 2], "received_at": base + timedelta(hours=7 * n)}
            for n in range(60)]
    db.session.execute(insert(Story.__table__), rows)
    db.session.commit()
    check()
    db.session.execute(update(Story.__table__).where(Story.language == "fa")
                       .values(received_at=datetime(2025, 12, 31, 23, 0, tzinfo=UTC)))
    db.session.commit()
    numbers = check()
    assert numbers[("day", datetime(2025, 12, 31).date(), siena, "language", "fa")] == 20
    assert numbers[("month", datetime(2025, 12, 1).date(), siena, "language", "fa")] == 20
    db.session.execute(text("DELETE FROM stories WHERE language = 'ti'"))
    db.session.commit()
    assert not any(v == "ti" for (_p, _s, _c, _dim, v) in check())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_day_is_the_utc_date_whatever_the_sessions_time_zone(app_config):
    from tests import factories as f
    with app_in_time_zone(app_config):
        author = f.account("amina-tz")
        late = datetime(2026, 8, 31, 23, 30, tzinfo=UTC)  # September already in Kiritimati
        db.session.execute(insert(Story.__table__).values({**_raw_story(1, author.id), "received_at": late}))
        db.session.commit()
        assert {(p, d) for (p, d, _c, _dim, _v) in check()} == {("day", late.date()), ("month", late.date().replace(day=1))}


def test_the_migration_fills_the_counts_and_goes_down_cleanly(app, client, cast):
    from flask_migrate import downgrade, upgrade
    push(client, cast["facilitator"], *(item(n) for n in range(4)))
    push(client, cast["author"], *(item(n, language="ar") for n in range(3)))
    numbers = check()
    db.session.remove()
    downgrade(revision="0024")
    try:
        with db.engine.connect() as conn:
            assert "story_counts" not in db.inspect(conn).get_table_names()
    finally:
        upgrade()
    assert check() == numbers
    push(client, cast["author"], item(9, language="ps"))
    assert any(v == "ps" for (_p, _s, _c, _dim, v) in check())


def test_every_story_count_trigger_is_in_place(app):
    if db.engine.dialect.name == "sqlite":
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    else:
        names = set(db.session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {f"sc_story_{event}" for event in ("insert", "update", "delete")} <= names


def _raw_story(n: int, author_id: int) -> dict:
    now = datetime.now(UTC)
    values = {"id": uuid.uuid4(), "author_id": author_id, "community_id": None, "title": f"Story {n}",
              "body": "By the river.", "language": "en", "visibility": "public", "author_display": "pseudonym",
              "consent_kind": "self", "media": [], "status": "published", "revision": 10_000 + n, "etag": "e" * 32,
              "received_at": now, "updated_at": now, "created_at": now, "ever_published": True,
              "moderation_reason": "", "place": "", "about_minor": False, "consent_guardian": False, "event_id": None}
    return {k: v for k, v in values.items() if k in Story.__table__.c}


@pytest.fixture(autouse=True)
def _reset_session(app):
    yield
    db.session.rollback()
