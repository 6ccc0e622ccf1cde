"""jobs: background work queued in the same transaction as what caused it (Web Push, media
clean-up, face checks), claimed by workers with a lease

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-05 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True, autoincrement=True),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('unique_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('unique_key', name='uq_jobs_unique_key'),
    )
    op.create_index('ix_jobs_due', 'jobs', ['state', 'run_at'])


def downgrade():
    op.drop_index('ix_jobs_due', table_name='jobs')
    op.drop_table('jobs')
