"""story_translations: people's translations of a story, one per story and language

A translation is published at once when its author or a facilitator of the story's community
wrote it, otherwise it waits in the review queue. It goes with the story (ON DELETE CASCADE;
withdrawal deletes it too); a deleted translator's rows keep NULL (or are deleted, as they
chose for their stories).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 05:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('story_translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('translator_id', sa.Integer(), nullable=True),
    sa.Column('translator_display', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_translations_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['translator_id'], ['accounts.id'], name=op.f('fk_story_translations_translator_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_translations')),
    sa.UniqueConstraint('story_id', 'language', name='uq_story_translations_story_language')
    )
    op.create_index('ix_story_translations_language', 'story_translations', ['language', 'status'], unique=False)
    op.create_index('ix_story_translations_status', 'story_translations', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_story_translations_translator_id'), 'story_translations', ['translator_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_story_translations_translator_id'), table_name='story_translations')
    op.drop_index('ix_story_translations_status', table_name='story_translations')
    op.drop_index('ix_story_translations_language', table_name='story_translations')
    op.drop_table('story_translations')
