"""media_files.faces and faces_checked_at: the faces found in a stored photo (boxes in the
stored image's pixels) and when they were looked for, for the moderation queue (#17)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 18:30:00

Photos stored before this revision keep NULL in both: the moderation queue checks a photo it
meets unchecked (media/faces.py), so nothing here reads the media store.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_files") as batch:
        batch.add_column(sa.Column("faces", sa.JSON, nullable=True))
        batch.add_column(sa.Column("faces_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("media_files") as batch:
        batch.drop_column("faces_checked_at")
        batch.drop_column("faces")
