"""media_files.duration_ms: a recording's length, measured when it is stored, so the feed can
show how long a voice story is without fetching it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 05:45:00

Recordings stored before this revision keep NULL (their card shows no length); nothing here
reads the media store.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_files") as batch:
        batch.add_column(sa.Column("duration_ms", sa.Integer, nullable=True))


def downgrade():
    with op.batch_alter_table("media_files") as batch:
        batch.drop_column("duration_ms")
