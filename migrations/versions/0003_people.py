"""people: join and reset codes, managed participants, story safety fields, audit log

join_codes / reset_codes: keyed hashes of codes facilitators hand out (no email anywhere).
accounts.is_managed / managed_by_id: accounts a facilitator made for someone without one.
stories.place / about_minor / consent_guardian / recorded_by_id: the safety choices made at
writing time and who recorded a story on someone's behalf. audit_events: ids and kinds only.

New columns are added in place (ALTER TABLE ... ADD COLUMN), never by batch-mode table
recreation: on SQLite with foreign keys on, recreating accounts or stories would drop the old
table and fire its ON DELETE CASCADE / SET NULL actions (memberships, tokens, conflicts and
authors gone). SQLite cannot add a foreign key to an existing table except inline with a new
column, hence the raw ALTER for the two referencing columns there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 02:09:15.950465

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('story_id', sa.Uuid(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['accounts.id'], name=op.f('fk_audit_events_actor_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_audit_events_community_id_communities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_story_id'), ['story_id'], unique=False)

    op.create_table('join_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_join_codes_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_join_codes_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_join_codes_code_hash'))
    )
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_codes_community_id'), ['community_id'], unique=False)

    op.create_table('reset_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reset_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_reset_codes_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reset_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_reset_codes_code_hash'))
    )
    with op.batch_alter_table('reset_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reset_codes_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_managed', sa.Boolean(), nullable=False, server_default=sa.false()))
    _add_reference('accounts', 'managed_by_id')

    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('about_minor', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('consent_guardian', sa.Boolean(), nullable=False, server_default=sa.false()))
    _add_reference('stories', 'recorded_by_id')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stories_recorded_by_id'), ['recorded_by_id'], unique=False)



def _add_reference(table: str, column: str) -> None:
    """A nullable integer column referencing accounts.id, ON DELETE SET NULL, added in place."""
    name = f'fk_{table}_{column}_accounts'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER '
                   f'CONSTRAINT {name} REFERENCES accounts (id) ON DELETE SET NULL')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, 'accounts', [column], ['id'], ondelete='SET NULL')


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+, PostgreSQL); the foreign keys go with their columns
    # on SQLite, and are dropped first on PostgreSQL. No table is recreated (see above).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_index('ix_stories_recorded_by_id', table_name='stories')
    if not sqlite:
        op.drop_constraint('fk_stories_recorded_by_id_accounts', 'stories', type_='foreignkey')
        op.drop_constraint('fk_accounts_managed_by_id_accounts', 'accounts', type_='foreignkey')
    for column in ('recorded_by_id', 'consent_guardian', 'about_minor', 'place'):
        op.drop_column('stories', column)
    for column in ('managed_by_id', 'is_managed'):
        op.drop_column('accounts', column)

    with op.batch_alter_table('reset_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reset_codes_account_id'))
    op.drop_table('reset_codes')
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_codes_community_id'))
    op.drop_table('join_codes')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_story_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
    op.drop_table('audit_events')
