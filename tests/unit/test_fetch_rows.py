"""database.fetch_rows(): the pull's kept selects run on the driver's cursor give exactly what
SQLAlchemy's execute() gives (rows, values, keys), fail as it fails, and begin as it begins."""
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.exc import DBAPIError

from kultialogo.accounts.auth import _reader_query, _token_hash
from kultialogo.accounts.models import Account, ApiToken
from kultialogo.database import fetch_rows, read_connection, select_keys
from kultialogo.extensions import db
from kultialogo.revisions import CURRENT
from kultialogo.stories import records as story_records
from kultialogo.stories.models import Story
from kultialogo.stories.service import plain_stories_query
from kultialogo.translations.service import _in_range_query
from tests import factories as f


@pytest.fixture
def stories(app, client):
    """Two communities, a member of one, and stories of every visibility with consent times and
    a minor: UUIDs, JSON, dates and booleans to read back."""
    f.account("amina", community_slug="siena", role="facilitator")
    f.community("belgrade")
    member = f.account("bojan", community_slug="belgrade", role="facilitator")
    token = f.token(client, "amina")
    items = [f.item(visibility=visibility, community="siena", title=f"{visibility} {n}", about_minor=bool(n % 2),
                    consent={"kind": "verbal", "recorded_by": "Fatima", "at": "2026-07-14T10:00:00Z",
                             "guardian": bool(n % 2)})
             for n, visibility in enumerate(("public", "community", "facilitators", "public"))]
    answer = client.post("/api/v1/sync/push", json={"items": items}, headers=f.bearer(token))
    assert answer.status_code == 200 and {r["result"] for r in answer.get_json()["results"]} == {"created"}, answer.get_json()
    member_id = member.id
    db.session.remove()
    return member_id, token


def _same(conn, statement, params):
    expected = conn.execute(statement, params)
    keys, rows = tuple(expected.keys()), [tuple(row) for row in expected.all()]
    assert select_keys(conn, statement) == keys
    got = fetch_rows(conn, statement, params)
    assert [tuple(row) for row in got] == rows
    assert [[type(value) for value in row] for row in got] == [[type(value) for value in row] for row in rows]
    return rows


def test_the_pull_selects_read_as_sqlalchemy_reads_them(app, stories):
    member_id, token = stories
    member = db.session.get(Account, member_id)
    token_hash = _token_hash(token)
    heads = story_records._changes_query(member, heads=True)  # the member's communities: an IN of constants
    whole = plain_stories_query(Story.revision > 0)
    for _run in range(2):  # the first run learns the column types, the next ones reuse them
        with read_connection() as conn:
            assert len(_same(conn, _reader_query(CURRENT), {"token_hash": token_hash})) == 1
            assert _same(conn, heads, {"since": 0, "plain_limit": 50})
            assert len(_same(conn, whole, {"plain_limit": 50})) == 4
            _same(conn, _in_range_query(), {"low": 0, "high": 100})
        conn = db.session.connection()  # inside the session's transaction too
        _same(conn, whole, {"plain_limit": 2})
        db.session.remove()


def test_a_value_given_for_an_in_of_constants_is_the_one_read(app, stories):
    member = db.session.get(Account, stories[0])
    statement = select(Story.title).where(Story.community_id.in_(sorted(member.member_community_ids())))
    name = next(bind.key for bind in statement.compile(dialect=db.engine.dialect).post_compile_params)
    with read_connection() as conn:
        assert _same(conn, statement, None) == []  # bojan's belgrade holds none of them
        siena = f.community("siena").id
        assert len(_same(conn, statement, {name: [siena]})) == 4


def test_a_failing_select_fails_as_sqlalchemy_reports_it(app, stories):
    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    with read_connection() as conn:
        with pytest.raises(DBAPIError) as failed:
            fetch_rows(conn, select(missing.c.id), None)
        assert isinstance(failed.value.orig, db.engine.dialect.loaded_dbapi.Error)
        assert not failed.value.connection_invalidated
    with read_connection() as conn:  # the pool's connection is as good as before
        assert len(fetch_rows(conn, CURRENT, None)) == 1


def test_it_begins_as_execute_begins(app, stories):
    with db.engine.connect() as conn:
        assert not conn.in_transaction()
        fetch_rows(conn, select(ApiToken.id), None)
        assert conn.in_transaction()


def test_stored_ids_are_those_an_in_of_the_ids_finds(app, stories):
    """database.stored_ids() (one kept select, the ids as one parameter) finds exactly what
    ``IN (ids)`` finds, as the same values, for none, some, all, repeated and many ids."""
    from uuid import UUID, uuid4

    from kultialogo.database import stored_ids
    column = Story.__table__.c.id
    kept = list(db.session.scalars(select(Story.id)))
    assert len(kept) == 4 and all(isinstance(i, UUID) for i in kept)
    absent = [uuid4() for _ in range(3)]
    for ids in ([], absent, kept[:1], kept + absent, [kept[0], kept[0], *absent], absent * 400 + kept[1:3]):
        expected = set(db.session.scalars(select(Story.id).where(Story.id.in_(ids)))) if ids else set()
        found = stored_ids(db.session, column, ids)
        assert sorted(found) == sorted(expected) and len(found) == len(expected), (ids[:3], found)
        assert all(isinstance(i, UUID) for i in found)
    assert story_records._stored_ids(kept[2:]) and set(story_records._stored_ids(kept[2:])) == set(kept[2:])
