"""moderation: story reports (auto-hide after N distinct reporters), rejection reasons, review settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 04:25:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
