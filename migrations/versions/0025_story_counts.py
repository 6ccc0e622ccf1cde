"""story_counts: stories per day and per month, community, status and language, kept as they arrive

The dashboard counted the stories of its range with a GROUP BY over the stories themselves
(an index-only scan of ix_stories_received). That grows with the data: at 1,000,000 stories
the two-year view read every one of them on each page view (1.3 s on SQLite, 0.6 s on
PostgreSQL, bench/dashboard.py). Now a small table holds the counts:

    period        "day" or "month": the counts of one UTC day, or of one calendar month
    start         that day, or the first of that month (UTC dates of received_at)
    community_id  the story's community, 0 for a story in none (a primary key cannot hold NULL)
    dimension     "status" (its status now) or "language" (its original language)
    value         that status or language tag
    stories       how many; rows that reach 0 are deleted

Withdrawn stories are not counted at all: their authors took them back. Two dimensions rather
than one row per (status, language): the charts never cross them, and the cross product has
about seven times the rows. Months as well as days: a long range is shown by month, and its
whole months are then read as 1/30 of the rows (two years of ten communities: 4,300 rows
instead of 131,000); days serve weeks and the part-months at the ends of a range.

Triggers keep it in the same transaction as the change, whichever way a story row changes, as
for feed_language_counts (migrations 0012 and 0024): the ORM, a camp node's replica, ON DELETE
CASCADE, a script's INSERT. On PostgreSQL new rows are counted once per statement from the
transition table; updates and deletes row by row. The push's batch INSERT adds its own counts,
once per group, while the marker row of migration 0024 tells the insert triggers to leave its
rows alone (stories.service.PendingInserts). Every writer upserts the count rows in key order,
so two transactions that touch the same rows take their locks in the same order.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 16:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

TABLE = "story_counts"
KEY = "period, start, community_id, dimension, value"
MARKER = "feed_language_counts_by_writer"   # migration 0024: a batch writer counts its own rows
UPSERT = f"ON CONFLICT ({KEY}) DO UPDATE SET stories = {TABLE}.stories + excluded.stories"
DIMENSIONS = ("language", "status")  # each is also the stories column it counts


def _starts(row: str, dialect: str) -> dict:
    """The UTC day and month of a received_at, as DATE. PostgreSQL: in UTC whatever the
    session's time zone; SQLite stores UTC text, which date() reads."""
    if dialect == "postgresql":
        utc = f"timezone('UTC', {row}.received_at)"
        return {"day": f"CAST({utc} AS DATE)", "month": f"CAST(date_trunc('month', {utc}) AS DATE)"}
    return {"day": f"date({row}.received_at)", "month": f"date({row}.received_at, 'start of month')"}


def _count_rows(row: str, dialect: str, source: bool = False) -> str:
    """A story's count rows as (period, start, community_id, dimension, value), one SELECT each;
    ``source``: of every story row in the table ``row`` that is not withdrawn."""
    where = f" FROM {row} WHERE {row}.status <> 'withdrawn'" if source else ""
    return " UNION ALL ".join(
        f"SELECT '{period}' AS period, {start} AS start, COALESCE({row}.community_id, 0) AS community_id, "
        f"'{dimension}' AS dimension, {row}.{dimension} AS value{where}"
        for period, start in _starts(row, dialect).items() for dimension in DIMENSIONS)


def story_delta(row: str, sign: int, dialect: str) -> str:
    """Add (1) or take away (-1) one story's counts, in key order."""
    return f"""
INSERT INTO {TABLE} ({KEY}, stories)
SELECT c.period, c.start, c.community_id, c.dimension, c.value, {sign}
FROM ({_count_rows(row, dialect)}) AS c
WHERE {row}.status <> 'withdrawn'
ORDER BY c.period, c.start, c.community_id, c.dimension, c.value
{UPSERT};"""


def story_cleanup(row: str, dialect: str) -> str:
    starts = _starts(row, dialect)
    return (f"\nDELETE FROM {TABLE} WHERE stories <= 0 AND community_id = COALESCE({row}.community_id, 0) "
            f"AND ((period = 'day' AND start = {starts['day']}) OR (period = 'month' AND start = {starts['month']}));")


CHANGED = ("OLD.status IS NOT NEW.status OR OLD.language IS NOT NEW.language"
           " OR OLD.community_id IS NOT NEW.community_id OR OLD.received_at IS NOT NEW.received_at")
COLUMNS = "status, language, community_id, received_at"


def sqlite_triggers() -> dict:
    return {
        "sc_story_insert": (f"AFTER INSERT ON stories WHEN NOT EXISTS (SELECT 1 FROM {MARKER}) "
                            f"BEGIN {story_delta('NEW', 1, 'sqlite')} END"),
        "sc_story_update": (f"AFTER UPDATE OF {COLUMNS} ON stories WHEN {CHANGED} BEGIN "
                            f"{story_delta('OLD', -1, 'sqlite')} {story_delta('NEW', 1, 'sqlite')} "
                            f"{story_cleanup('OLD', 'sqlite')} END"),
        "sc_story_delete": (f"AFTER DELETE ON stories BEGIN {story_delta('OLD', -1, 'sqlite')} "
                            f"{story_cleanup('OLD', 'sqlite')} END"),
    }


def _grouped(source: str, dialect: str) -> str:
    """The counts of every story row in ``source`` (a table or transition table), in key order."""
    return (f"SELECT {KEY}, count(*) FROM ({_count_rows(source, dialect, source=True)}) AS c "
            f"GROUP BY {KEY} ORDER BY {KEY}")


PG_FUNCTIONS = {
    "sc_story": f"""
BEGIN
  IF TG_OP <> 'INSERT' THEN {story_delta('OLD', -1, 'postgresql')} END IF;
  IF TG_OP <> 'DELETE' THEN {story_delta('NEW', 1, 'postgresql')} END IF;
  IF TG_OP <> 'INSERT' THEN {story_cleanup('OLD', 'postgresql')} END IF;
  RETURN NULL;
END""",
    # A bulk INSERT (an import, a replica's batch) updates each count row once, not once per story.
    "sc_stories_inserted": f"""
BEGIN
  IF EXISTS (SELECT 1 FROM {MARKER}) THEN RETURN NULL; END IF;
  INSERT INTO {TABLE} ({KEY}, stories)
  {_grouped('inserted', 'postgresql')}
  {UPSERT};
  RETURN NULL;
END""",
}

PG_TRIGGERS = {
    "sc_story_insert": ("AFTER INSERT ON stories REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
                        "EXECUTE FUNCTION sc_stories_inserted()"),
    "sc_story_update": (f"AFTER UPDATE OF {COLUMNS} ON stories FOR EACH ROW "
                        f"WHEN ({CHANGED.replace(' IS NOT ', ' IS DISTINCT FROM ')}) EXECUTE FUNCTION sc_story()"),
    "sc_story_delete": "AFTER DELETE ON stories FOR EACH ROW EXECUTE FUNCTION sc_story()",
}


def backfill(dialect: str) -> str:
    """The counts from scratch (tests/dashboard/test_story_counts.py recounts them in Python)."""
    return f"INSERT INTO {TABLE} ({KEY}, stories) {_grouped('stories', dialect)}"


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        TABLE,
        sa.Column("period", sa.String(5), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("value", sa.String(35), nullable=False),
        sa.Column("stories", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("period", "start", "community_id", "dimension", "value", name=f"pk_{TABLE}"),
    )
    op.execute(backfill(dialect))
    if dialect == "postgresql":
        for name, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        for name, spec in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {spec}")
    else:
        for name, spec in sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {spec}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON stories")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table(TABLE)
