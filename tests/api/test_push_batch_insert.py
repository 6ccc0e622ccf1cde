"""database.insert_many_in_savepoint, the push's batch INSERT (COPY on PostgreSQL): every row of a
call or none, the transaction usable after a refusal, values stored as the ORM stores them;
database.id_in finds what IN finds."""
import sqlite3
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kultialogo import database
from kultialogo.database import id_in, insert_many_in_savepoint, write_transaction
from kultialogo.extensions import db
from kultialogo.revisions import RevisionBlock
from kultialogo.stories.models import Story
from tests import factories as f


def row(author, community, revision, **extra):
    """A story row as the push makes it: every column with a Python-side default given, so the
    fast path (compiled once, COPY on PostgreSQL) is the one taken (see fast_path_taken)."""
    now = datetime(2026, 7, 14, 10, 2, tzinfo=timezone.utc)
    return {**_defaults(), "id": uuid.uuid4(), "author_id": author.id, "community_id": community.id, "title": "T",
            "body": "B", "language": "en", "visibility": "public", "author_display": "pseudonym",
            "consent_kind": "self", "media": ["a" * 64], "created_at": now, "status": "published",
            "revision": revision, "etag": "e", "received_at": now, "updated_at": now, "ever_published": True,
            "place": "", "about_minor": False, "consent_guardian": False, **extra}


def _defaults() -> dict:
    out = {}
    for column in Story.__table__.columns:
        default = column.default
        if default is not None and default.is_scalar:
            out[column.key] = default.arg
        elif default is not None and default.is_callable:
            out[column.key] = default.arg(None)
    return out


def fast_path_taken() -> bool:
    return any(found for (table, _dialect, _keys), found in database._compiled_inserts.items() if table == "stories")


@pytest.fixture
def people(app):
    community = f.community("siena")
    return f.account("amina", community_slug="siena"), community


def test_rows_go_in_together_and_read_back_as_the_orm_wrote_them(app, people):
    author, community = people
    with write_transaction():
        revs = RevisionBlock(db.session)
        rows = [row(author, community, revs.next(), language=lang) for lang in ("en", "it", "ar")]
        insert_many_in_savepoint(db.session, Story.__table__, rows)
        revs.flush()
    assert fast_path_taken()
    db.session.rollback()
    stored = {s.id: s for s in db.session.scalars(select(Story))}
    assert set(stored) == {r["id"] for r in rows}
    for r in rows:
        story = stored[r["id"]]
        assert (story.language, story.media, story.revision) == (r["language"], ["a" * 64], r["revision"])
        assert story.created_at.replace(tzinfo=timezone.utc) == r["created_at"]


def test_a_refused_row_undoes_every_row_of_its_call_and_nothing_before(app, people):
    author, community = people
    with write_transaction():
        revs = RevisionBlock(db.session)
        first = [row(author, community, revs.next())]
        insert_many_in_savepoint(db.session, Story.__table__, first)
        again = [row(author, community, revs.next()), {**first[0], "revision": revs.next()}]
        with pytest.raises(IntegrityError):
            insert_many_in_savepoint(db.session, Story.__table__, again)
        later = [row(author, community, revs.next()), row(author, community, revs.next())]
        insert_many_in_savepoint(db.session, Story.__table__, later)  # the transaction goes on
        revs.flush()
    assert fast_path_taken()
    db.session.rollback()
    assert set(db.session.scalars(select(Story.id))) == {first[0]["id"], *(r["id"] for r in later)}


def test_id_in_finds_what_in_finds(app, people):
    author, community = people
    with write_transaction():
        revs = RevisionBlock(db.session)
        rows = [row(author, community, revs.next()) for _ in range(4)]
        insert_many_in_savepoint(db.session, Story.__table__, rows)
        revs.flush()
    asked = [rows[0]["id"], rows[2]["id"], uuid.uuid4()]
    found = set(db.session.scalars(select(Story.id).where(id_in(Story.id, asked))))
    assert found == set(db.session.scalars(select(Story.id).where(Story.id.in_(asked)))) == {rows[0]["id"], rows[2]["id"]}
    assert list(db.session.scalars(select(Story.id).where(id_in(Story.id, [])))) == []


def test_rows_past_sqlites_variable_limit_go_in_several_statements_all_or_nothing(app, people):
    """SQLite: one multi-row INSERT per as many rows as its limit on variables allows. Lowered
    here to two rows a statement: five rows take three, and a refusal in the last undoes all."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes every row in one COPY")
    author, community = people
    with write_transaction():
        driver = db.session.connection().connection.driver_connection
        width = len(row(author, community, 0))
        old = driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 2 * width + 1)
        statements = []
        driver.set_trace_callback(statements.append)
        try:
            revs = RevisionBlock(db.session)
            rows = [row(author, community, revs.next()) for _ in range(5)]
            insert_many_in_savepoint(db.session, Story.__table__, rows)
            refused = [row(author, community, revs.next()) for _ in range(4)] + [{**rows[0], "revision": revs.next()}]
            with pytest.raises(IntegrityError):
                insert_many_in_savepoint(db.session, Story.__table__, refused)
            revs.flush()
        finally:
            driver.set_trace_callback(None)
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, old)
    # Each statement as run, its rows written out (a trigger's run reports it again).
    inserts = dict.fromkeys(s for s in statements if s.startswith("INSERT INTO stories"))
    assert [s.count("'e', '2026-07-14") for s in inserts] == [2, 2, 1, 2, 2, 1]
    db.session.rollback()
    assert set(db.session.scalars(select(Story.id))) == {r["id"] for r in rows}
