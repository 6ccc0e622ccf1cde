"""camp_nodes: accounts named by a global id; node tokens, links, digests and conflicts

accounts.uid: the id a person keeps on every instance (a camp node and the central server number
  accounts each on their own). Existing accounts get a random one; unique; NOT NULL on
  PostgreSQL (SQLite keeps it nullable in place, as 0014 did; the app always sets it).
node_tokens (central): camp nodes allowed to replicate a community, token stored hashed.
node_echoes (central): revisions made by applying a node's push, not sent back to it.
node_conflicts (both): conflicts decided by rule during replication, for the admin pages.
node_link, node_digests (a node): its central server, checkpoints, what was last agreed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 11:40:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    op.add_column('accounts', sa.Column('uid', sa.Uuid(), nullable=True))
    accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('uid', sa.Uuid))
    for (account_id,) in bind.execute(sa.select(accounts.c.id).order_by(accounts.c.id)).all():
        bind.execute(accounts.update().where(accounts.c.id == account_id).values(uid=uuid.uuid4()))
    if bind.dialect.name != 'sqlite':
        op.alter_column('accounts', 'uid', existing_type=sa.Uuid(), nullable=False)
    op.create_index('ix_accounts_uid', 'accounts', ['uid'], unique=True)

    op.create_table('node_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_node_tokens_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_node_tokens_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_node_tokens_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_node_tokens_token_hash'))
    )
    op.create_index(op.f('ix_node_tokens_community_id'), 'node_tokens', ['community_id'], unique=False)
    op.create_table('node_echoes',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['node_tokens.id'], name=op.f('fk_node_echoes_node_id_node_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', 'revision', name=op.f('pk_node_echoes'))
    )
    op.create_table('node_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['node_tokens.id'], name=op.f('fk_node_conflicts_node_id_node_tokens'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_conflicts'))
    )
    op.create_index(op.f('ix_node_conflicts_at'), 'node_conflicts', ['at'], unique=False)
    op.create_table('node_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('central_url', sa.String(length=500), nullable=False),
    sa.Column('token', sa.String(length=200), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('push_revision', sa.BigInteger(), nullable=False),
    sa.Column('pull_cursor', sa.String(length=64), nullable=False),
    sa.Column('initialised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node_link'))
    )
    op.create_table('node_digests',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'record_id', name=op.f('pk_node_digests'))
    )


def downgrade():
    op.drop_table('node_digests')
    op.drop_table('node_link')
    op.drop_index(op.f('ix_node_conflicts_at'), table_name='node_conflicts')
    op.drop_table('node_conflicts')
    op.drop_table('node_echoes')
    op.drop_index(op.f('ix_node_tokens_community_id'), table_name='node_tokens')
    op.drop_table('node_tokens')
    op.drop_index('ix_accounts_uid', table_name='accounts')
    op.drop_column('accounts', 'uid')
