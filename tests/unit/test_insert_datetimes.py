"""The push's compiled INSERTs format datetimes for SQLite faster than SQLAlchemy's processor, and
to the same text (database._quicker): what is stored, compared and sorted must not change."""
import datetime as dt
import random

from sqlalchemy import Column, DateTime, Integer, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite

from kultialogo.database import _compiled_insert
from kultialogo.stories.models import Story

SQLITE = sqlite.dialect()
KEYS = tuple(c.key for c in Story.__table__.columns)


def _sqlalchemys(column, dialect=SQLITE):
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _processors(table, dialect=SQLITE, keys=None):
    _sql, _positional, spec = _compiled_insert(table, dialect, keys or tuple(c.key for c in table.columns))
    return dict(spec)


def _values(rng, n=5000):
    class Stamp(dt.datetime):  # a subclass: left to SQLAlchemy
        pass
    yield from (None, dt.date(2026, 7, 14), dt.datetime(999, 1, 1), dt.datetime(1, 1, 1, 0, 0),
                dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1000, 1, 1),
                Stamp(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 3, 29, 2, 30, fold=1))
    for _ in range(n):
        naive = dt.datetime(rng.randint(1000, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                            rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, 1, 999999, rng.randint(0, 999999)]))
        yield naive
        offset = dt.timedelta(seconds=rng.randint(-86399, 86399), microseconds=rng.choice([0, rng.randint(1, 999999)]))
        yield naive.replace(tzinfo=dt.timezone(offset))


def test_the_stories_datetimes_are_stored_as_sqlalchemy_would_store_them():
    processors = _processors(Story.__table__)
    columns = [c for c in Story.__table__.columns if isinstance(c.type, DateTime)]
    assert {c.name for c in columns} >= {"created_at", "received_at", "updated_at"}
    rng = random.Random(18)
    values = list(_values(rng))
    for column in columns:
        ours, theirs = processors[column.key], _sqlalchemys(column)
        assert ours.__qualname__.startswith("_quicker")  # in use (else this test proves nothing)
        assert [ours(v) for v in values] == [theirs(v) for v in values]


def test_another_storage_format_or_database_keeps_sqlalchemys_processor():
    custom = DateTime().with_variant(sqlite.DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d"), "sqlite")
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", custom))
    found = _processors(table)["at"]
    assert found(dt.datetime(2026, 7, 14, 10, 2)) == "2026/07/14"
    pg = postgresql.psycopg.dialect()
    _sql, _positional, spec = _compiled_insert(Story.__table__, pg, KEYS)
    assert not any(getattr(p, "__qualname__", "").startswith("_quicker") for _n, p in spec)
