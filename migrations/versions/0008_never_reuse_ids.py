"""accounts and events: ids never reused on SQLite (AUTOINCREMENT)

SQLite hands out max(id) + 1 for an INTEGER PRIMARY KEY, so after the newest account (or event)
is deleted the next one gets its id, and audit records that name the id (an actor kept by a
facilitator, "subject" in an export or a reset code, an event) would point at someone else.
AUTOINCREMENT never goes back. PostgreSQL sequences never reuse ids already: nothing to do there.

The tables are rebuilt (SQLite cannot add AUTOINCREMENT in place), with foreign keys off for the
migration (migrations/env.py), so that dropping the old table fires no ON DELETE action on
memberships, stories or the append-only audit log. The counter starts past every id the audit
log mentions, so an id reused before this migration is not handed out again either.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

# table -> the audit detail keys that hold its ids
_TABLES = {"accounts": ("subject",), "events": ("event",)}


def _accounts(autoincrement: bool) -> sa.Table:
    """accounts as of 0006, spelled out: SQLite's reflection loses the name and ON DELETE of
    managed_by_id's reference, which 0003 added inside the column definition."""
    return sa.Table(
        'accounts', sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=80), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('is_admin', sa.Boolean(), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('is_managed', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('managed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['managed_by_id'], ['accounts.id'], name='fk_accounts_managed_by_id_accounts',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_accounts'),
        sa.UniqueConstraint('username', name='uq_accounts_username'),
        sqlite_autoincrement=autoincrement,
    )


def _rebuild(table: str, autoincrement: bool) -> None:
    copy_from = _accounts(autoincrement) if table == 'accounts' else None
    with op.batch_alter_table(table, recreate='always', copy_from=copy_from,
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for table, keys in _TABLES.items():
        _rebuild(table, True)
        highest = [f"(SELECT max(id) FROM {table})"]
        highest += [f"(SELECT max(CAST(json_extract(detail, '$.{key}') AS INTEGER)) FROM audit_events)"
                    for key in keys]
        if table == "accounts":
            highest.append("(SELECT max(actor_id) FROM audit_events)")
        seq = f"max(0, {', '.join(f'coalesce({h}, 0)' for h in highest)})"
        bind.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name = '{table}'")
        bind.exec_driver_sql(f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', {seq}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for table in _TABLES:
        _rebuild(table, False)
