"""activity: follows of communities and stories; Web Push subscriptions

follows: an account follows one community or one story (unique per account and target), with
  the id phones know it by and its revision in the pull cursor (record kind "follow").
push_subscriptions: opt-in Web Push endpoints of an account (unique endpoint).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('story_id', sa.Uuid(), nullable=True),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(community_id IS NULL) <> (story_id IS NULL)', name=op.f('ck_follows_one_target')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_follows_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_follows_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_follows_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('account_id', 'community_id', name='uq_follows_account_community'),
    sa.UniqueConstraint('account_id', 'story_id', name='uq_follows_account_story')
    )
    op.create_index('uq_follows_sync_id', 'follows', ['sync_id'], unique=True)
    op.create_index('ix_follows_revision', 'follows', ['revision'], unique=False)
    op.create_index('ix_follows_community_id', 'follows', ['community_id'], unique=False)
    op.create_index('ix_follows_story_id', 'follows', ['story_id'], unique=False)

    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_push_subscriptions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_push_subscriptions_account_id'), 'push_subscriptions', ['account_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_push_subscriptions_account_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
    op.drop_index('ix_follows_story_id', table_name='follows')
    op.drop_index('ix_follows_community_id', table_name='follows')
    op.drop_index('ix_follows_revision', table_name='follows')
    op.drop_index('uq_follows_sync_id', table_name='follows')
    op.drop_table('follows')
