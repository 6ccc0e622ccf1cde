"""record kinds: translations and reports get a sync id and their own revision, and records
deleted for real leave a tombstone (record_tombstones)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:00:00

Existing translations and reports get a random id and their story's revision, so a phone's
first pull of these kinds brings them. Plain ADD COLUMN and CREATE INDEX (no table rebuild on
SQLite, which would drop the feed-count triggers of 0012 on story_translations).
"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ("story_translations", "story_reports")


def upgrade():
    op.create_table(
        "record_tombstones",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("community_id", sa.Integer, nullable=True),
        sa.Column("owner_id", sa.Integer, nullable=True),
        sa.Column("audience", sa.String(16), nullable=False, server_default=""),
    )
    op.create_index("ix_record_tombstones_kind_revision", "record_tombstones", ["kind", "revision"])
    connection = op.get_bind()
    for name in TABLES:
        op.add_column(name, sa.Column("sync_id", sa.Uuid, nullable=True))
        op.add_column(name, sa.Column("revision", sa.BigInteger, nullable=True))
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("sync_id", sa.Uuid),
                         sa.column("story_id", sa.Uuid), sa.column("revision", sa.BigInteger))
        stories = sa.table("stories", sa.column("id", sa.Uuid), sa.column("revision", sa.BigInteger))
        ids = [row.id for row in connection.execute(sa.select(table.c.id))]
        for row_id in ids:
            connection.execute(table.update().where(table.c.id == row_id).values(sync_id=uuid.uuid4()))
        connection.execute(table.update().values(revision=sa.select(stories.c.revision)
                                                 .where(stories.c.id == table.c.story_id).scalar_subquery()))
        op.create_index(f"uq_{name}_sync_id", name, ["sync_id"], unique=True)
        op.create_index(f"ix_{name}_revision", name, ["revision"])


def downgrade():
    for name in TABLES:
        op.drop_index(f"ix_{name}_revision", name)
        op.drop_index(f"uq_{name}_sync_id", name)
        op.drop_column(name, "revision")  # native DROP COLUMN (SQLite 3.35+): no rebuild, triggers stay
        op.drop_column(name, "sync_id")
    op.drop_index("ix_record_tombstones_kind_revision", "record_tombstones")
    op.drop_table("record_tombstones")
