"""moderation: story reports (auto-hide after N distinct reporters), rejection reasons, review settings

story_reports: one row per person and story (unique), so a second report by the same person
counts once. stories.moderation_reason_code: why a story was rejected or hidden, as a code
translated when shown (stories.moderation_reason keeps the facilitator's own note).
communities.reports_to_hide: a community's own auto-hide threshold (NULL: the site's).
audit_events: append-only, enforced by the database with triggers on SQLite and PostgreSQL
that refuse UPDATE and DELETE, except the one update the schema itself makes: a foreign key
set to NULL when its account (or community) is deleted (ON DELETE SET NULL).

Columns are added in place, never by batch-mode table recreation (see 0003_people.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 04:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APPEND_ONLY = 'audit_events is append-only'

# Every column but the two foreign keys must stay as it is; those two may only become NULL.
_SQLITE_UNCHANGED = ' AND '.join([
    'NEW.id IS OLD.id', 'NEW.at IS OLD.at', 'NEW.action IS OLD.action',
    'NEW.story_id IS OLD.story_id', 'NEW.detail IS OLD.detail',
    '(NEW.actor_id IS OLD.actor_id OR NEW.actor_id IS NULL)',
    '(NEW.community_id IS OLD.community_id OR NEW.community_id IS NULL)',
])

_PG_FUNCTION = f"""
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.action = OLD.action
       AND NEW.story_id IS NOT DISTINCT FROM OLD.story_id
       AND NEW.detail::text = OLD.detail::text
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR NEW.actor_id IS NULL)
       AND (NEW.community_id IS NOT DISTINCT FROM OLD.community_id OR NEW.community_id IS NULL)
    THEN
        RETURN NEW;  -- ON DELETE SET NULL of a deleted account or community
    END IF;
    RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table('story_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_reports_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['accounts.id'], name=op.f('fk_story_reports_reporter_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['accounts.id'], name=op.f('fk_story_reports_resolved_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_reports')),
    sa.UniqueConstraint('story_id', 'reporter_id', name=op.f('uq_story_reports_story_id'))
    )
    op.create_index(op.f('ix_story_reports_story_id'), 'story_reports', ['story_id'], unique=False)
    op.create_index('ix_story_reports_open', 'story_reports', ['resolved_at', 'story_id'], unique=False)

    op.add_column('stories', sa.Column('moderation_reason_code', sa.String(length=20), nullable=True))
    op.add_column('communities', sa.Column('reports_to_hide', sa.Integer(), nullable=True))
    # The audit viewer filters by community.
    op.create_index(op.f('ix_audit_events_community_id'), 'audit_events', ['community_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   f"WHEN NOT ({_SQLITE_UNCHANGED}) "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        op.execute(f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    else:
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_index(op.f('ix_audit_events_community_id'), table_name='audit_events')
    op.drop_column('communities', 'reports_to_hide')
    op.drop_column('stories', 'moderation_reason_code')
    op.drop_index('ix_story_reports_open', table_name='story_reports')
    op.drop_index(op.f('ix_story_reports_story_id'), table_name='story_reports')
    op.drop_table('story_reports')
