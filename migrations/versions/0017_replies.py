"""replies: replies to stories, reactions (one per person, story and kind), replies turned off

story_replies: a reply's text, its author and status (published, pending, hidden), the id the
  phone made (sync_id, unique) and its revision for the pull.
story_reactions: thanks / me_too / learned; UNIQUE (story_id, account_id, kind) is what makes a
  second tab's reaction count once.
story_replies_off: the stories whose author turned replies off.
reply_reports: reports of replies (moderation), one per person and reply.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 14:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('story_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Uuid(), nullable=False),
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_replies_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_story_replies_author_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_replies'))
    )
    op.create_index('uq_story_replies_sync_id', 'story_replies', ['sync_id'], unique=True)
    op.create_index('ix_story_replies_story', 'story_replies', ['story_id', 'created_at'], unique=False)
    op.create_index('ix_story_replies_revision', 'story_replies', ['revision'], unique=False)
    op.create_index('ix_story_replies_status', 'story_replies', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_story_replies_author_id'), 'story_replies', ['author_id'], unique=False)

    op.create_table('story_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Uuid(), nullable=False),
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_reactions_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_story_reactions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_reactions')),
    sa.UniqueConstraint('story_id', 'account_id', 'kind', name='uq_story_reactions_story_account_kind')
    )
    op.create_index('uq_story_reactions_sync_id', 'story_reactions', ['sync_id'], unique=True)
    op.create_index('ix_story_reactions_revision', 'story_reactions', ['revision'], unique=False)
    op.create_index(op.f('ix_story_reactions_account_id'), 'story_reactions', ['account_id'], unique=False)

    op.create_table('story_replies_off',
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('turned_off_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_replies_off_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_story_replies_off'))
    )

    op.create_table('reply_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reply_id'], ['story_replies.id'], name=op.f('fk_reply_reports_reply_id_story_replies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['accounts.id'], name=op.f('fk_reply_reports_reporter_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_reports')),
    sa.UniqueConstraint('reply_id', 'reporter_id', name='uq_reply_reports_reply_reporter')
    )
    op.create_index('ix_reply_reports_open', 'reply_reports', ['resolved_at', 'reply_id'], unique=False)


def downgrade():
    op.drop_index('ix_reply_reports_open', table_name='reply_reports')
    op.drop_table('reply_reports')
    op.drop_table('story_replies_off')
    op.drop_index(op.f('ix_story_reactions_account_id'), table_name='story_reactions')
    op.drop_index('ix_story_reactions_revision', table_name='story_reactions')
    op.drop_index('uq_story_reactions_sync_id', table_name='story_reactions')
    op.drop_table('story_reactions')
    op.drop_index(op.f('ix_story_replies_author_id'), table_name='story_replies')
    op.drop_index('ix_story_replies_status', table_name='story_replies')
    op.drop_index('ix_story_replies_revision', table_name='story_replies')
    op.drop_index('ix_story_replies_story', table_name='story_replies')
    op.drop_index('uq_story_replies_sync_id', table_name='story_replies')
    op.drop_table('story_replies')
