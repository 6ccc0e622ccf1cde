"""voice: a recording on a reply, a help request and a help message

story_replies.media, help_requests.media, help_messages.media: JSON lists of SHA-256 (at most
one recording each), as stories.media; '[]' for the rows already there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

TABLES = ('story_replies', 'help_requests', 'help_messages')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('media', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('media')
