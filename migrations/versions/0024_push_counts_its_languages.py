"""feed language counts: a push's batch of new stories counts its languages itself, once per batch

The insert trigger of migration 0012 counted each new story row by row: on SQLite it was
about 2 of the 3.5 ms a push of 100 new stories spent in its INSERT, all of it under the
write lock (bench/ingest.py); on PostgreSQL, where the push now sends its rows as one
executemany, the statement trigger ran once per row as well.

Now the push's batch INSERT (stories.service.PendingInserts) adds its rows' counts with one
upsert per (audience, owner, language) group, in the same savepoint as the rows. While it
does, a row in ``feed_language_counts_by_writer`` tells the insert trigger to leave those
rows alone; the writer deletes that row again before the savepoint ends, so no other
transaction ever sees it. Every other way a story is inserted (the ORM, a camp node's
replica, a script's own INSERT) finds the table empty and is counted by the trigger as
before. Updates and deletes keep their triggers unchanged.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 12:10:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

MARKER = "feed_language_counts_by_writer"
SKIP = f"NOT EXISTS (SELECT 1 FROM {MARKER})"


def _original():
    """Migration 0012's trigger texts, so that downgrade restores exactly those."""
    path = Path(__file__).with_name("0012_feed_language_counts.py")
    spec = importlib.util.spec_from_file_location("kultialogo_migration_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    op.create_table(MARKER, sa.Column("writer", sa.Integer, nullable=False),
                    sa.PrimaryKeyConstraint("writer", name=f"pk_{MARKER}"))
    original = _original()
    if op.get_bind().dialect.name == "postgresql":
        body = original.PG_FUNCTIONS["flc_stories_inserted"].replace(
            "BEGIN\n", f"BEGIN\n  IF {SKIP.replace('NOT EXISTS', 'EXISTS')} THEN RETURN NULL; END IF;\n", 1)
        op.execute(f"CREATE OR REPLACE FUNCTION flc_stories_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    else:
        op.execute("DROP TRIGGER flc_story_insert")
        op.execute(f"CREATE TRIGGER flc_story_insert AFTER INSERT ON stories WHEN {SKIP} "
                   f"BEGIN {original.story_delta('NEW', 1)} END")


def downgrade():
    original = _original()
    if op.get_bind().dialect.name == "postgresql":
        body = original.PG_FUNCTIONS["flc_stories_inserted"]
        op.execute(f"CREATE OR REPLACE FUNCTION flc_stories_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    else:
        op.execute("DROP TRIGGER flc_story_insert")
        op.execute(f"CREATE TRIGGER flc_story_insert {original.SQLITE_TRIGGERS['flc_story_insert']}")
    op.drop_table(MARKER)
