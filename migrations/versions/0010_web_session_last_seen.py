"""web_sessions.last_seen_at: sessions idle for the whole lifetime end and are pruned

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    # Sessions open before this revision count as seen when they were opened.
    op.execute("UPDATE web_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("web_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("last_seen_at")
