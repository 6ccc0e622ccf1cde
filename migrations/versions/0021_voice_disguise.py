"""voice disguise: media_files.disguised, true for a recording stored with its voice disguised

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_files') as batch_op:
        batch_op.add_column(sa.Column('disguised', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('media_files') as batch_op:
        batch_op.drop_column('disguised')
