"""help: help requests to a community's mediators and coaches, and their private messages

memberships.is_mediator, memberships.is_coach: a facilitator who answers help requests (an
  admin marks them); both false for everyone existing.
help_requests: a person's request (id made by the phone: sync_id), its topic, language, text,
  state, who claimed it, the outcome when closed, the time of the first helper's answer, and the
  consent record when a facilitator opened it on the person's behalf. Goes with the asker's
  account and with the community (ON DELETE CASCADE).
help_messages: the private thread of a request; goes with the request; a deleted helper's
  messages stay without an author (author_id NULL) until the asker's account goes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('memberships', sa.Column('is_mediator', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('memberships', sa.Column('is_coach', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('help_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Uuid(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_kind', sa.String(length=16), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_help_requests_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asker_id'], ['accounts.id'], name=op.f('fk_help_requests_asker_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['accounts.id'], name=op.f('fk_help_requests_claimed_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['accounts.id'], name=op.f('fk_help_requests_recorded_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests')),
    sa.UniqueConstraint('sync_id', name=op.f('uq_help_requests_sync_id'))
    )
    op.create_index(op.f('ix_help_requests_asker_id'), 'help_requests', ['asker_id'], unique=False)
    op.create_index('ix_help_requests_revision', 'help_requests', ['revision'], unique=False)
    op.create_index('ix_help_requests_queue', 'help_requests', ['community_id', 'state', 'created_at'], unique=False)

    op.create_table('help_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_help_messages_request_id_help_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_help_messages_author_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_messages')),
    sa.UniqueConstraint('sync_id', name=op.f('uq_help_messages_sync_id'))
    )
    op.create_index(op.f('ix_help_messages_request_id'), 'help_messages', ['request_id'], unique=False)
    op.create_index(op.f('ix_help_messages_author_id'), 'help_messages', ['author_id'], unique=False)
    op.create_index('ix_help_messages_revision', 'help_messages', ['revision'], unique=False)


def downgrade():
    op.drop_table('help_messages')
    op.drop_table('help_requests')
    with op.batch_alter_table('memberships') as batch:
        batch.drop_column('is_coach')
        batch.drop_column('is_mediator')
