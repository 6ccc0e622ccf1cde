"""events: assemblies, storytelling sessions, camps; attendance; stories linked to events

events: one community's event (kind, title, dates, place in words, head count).
event_attendees: members linked to an event with the answers they agreed to give.
event_tallies: anonymous counts the facilitator entered for people not linked.
stories.event_id: the event where a story was told (ON DELETE SET NULL).
Indexes the dashboard reads by: stories by time received (with community, status and
language, so the weekly counts read the index alone), stories by status and community (what
waits now, and since when), memberships by time joined.

Columns on existing tables are added in place, never by batch table recreation (see
0003_people.py): on SQLite the foreign key goes inline with the new column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 04:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('head_count', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_events_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_events_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    op.create_index('ix_events_community_starts', 'events', ['community_id', 'starts_on'], unique=False)

    op.create_table('event_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('age', sa.String(length=16), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_event_attendees_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_attendees_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_attendees')),
    sa.UniqueConstraint('event_id', 'account_id', name=op.f('uq_event_attendees_event_id'))
    )
    op.create_index(op.f('ix_event_attendees_event_id'), 'event_attendees', ['event_id'], unique=False)
    op.create_index(op.f('ix_event_attendees_account_id'), 'event_attendees', ['account_id'], unique=False)

    op.create_table('event_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_tallies_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tallies')),
    sa.UniqueConstraint('event_id', 'dimension', 'value', name=op.f('uq_event_tallies_event_id'))
    )
    op.create_index(op.f('ix_event_tallies_event_id'), 'event_tallies', ['event_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE stories ADD COLUMN event_id INTEGER '
                   'CONSTRAINT fk_stories_event_id_events REFERENCES events (id) ON DELETE SET NULL')
    else:
        op.add_column('stories', sa.Column('event_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_stories_event_id_events', 'stories', 'events', ['event_id'], ['id'],
                              ondelete='SET NULL')
    op.create_index(op.f('ix_stories_event_id'), 'stories', ['event_id'], unique=False)
    # The dashboard's weekly counts: a range of received_at, grouped by status, language and
    # community; the index holds every column they read.
    op.create_index('ix_stories_received', 'stories',
                    ['received_at', 'status', 'community_id', 'language'], unique=False)
    # What waits now: the pending stories of each community and the oldest, from the index alone.
    op.create_index('ix_stories_waiting', 'stories', ['status', 'community_id', 'received_at'], unique=False)
    op.create_index('ix_memberships_created_at', 'memberships', ['created_at', 'community_id'], unique=False)


def downgrade():
    op.drop_index('ix_memberships_created_at', table_name='memberships')
    op.drop_index('ix_stories_waiting', table_name='stories')
    op.drop_index('ix_stories_received', table_name='stories')
    op.drop_index(op.f('ix_stories_event_id'), table_name='stories')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_stories_event_id_events', 'stories', type_='foreignkey')
    op.drop_column('stories', 'event_id')  # in place (SQLite 3.35+); its foreign key goes with it
    op.drop_index(op.f('ix_event_tallies_event_id'), table_name='event_tallies')
    op.drop_table('event_tallies')
    op.drop_index(op.f('ix_event_attendees_account_id'), table_name='event_attendees')
    op.drop_index(op.f('ix_event_attendees_event_id'), table_name='event_attendees')
    op.drop_table('event_attendees')
    op.drop_index('ix_events_community_starts', table_name='events')
    op.drop_table('events')
