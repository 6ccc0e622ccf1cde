"""attendance_records: event attendance and stories told at events as synced records

events.attendance_id: the id of the event's attendance record (phones push it by this id;
  the attendance page prints it). Unique.
events.attendance_etag: hash of the attendance's content (events.service.attendance_etag).
events.attendance_revision: the revision of its last change, from the one revision counter;
  indexed, the pull reads by it.
event_stories: a story told at an event as a facilitator ticked it (id: uuid5 of event and
  story, handed out by the server), with the revision it was made at. Goes with the event and
  with the story (ON DELETE CASCADE); a deleted facilitator's lines stay (recorded_by NULL).

Existing events get an id, the etag of their attendance as it is, and a revision each (taken
from the counter, so phones pull them). Columns are added in place (see 0003): etag and
revision NOT NULL with a default; attendance_id is filled and then NOT NULL on PostgreSQL,
while SQLite, which cannot add a NOT NULL column without a constant default in place, keeps it
nullable (the app always sets it; the unique index holds either way).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 08:40:00

"""
import hashlib
import json
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# A copy of events.models.DIMENSIONS and events.service.attendance_content/attendance_etag as
# they are at this revision (a migration must not change when the app does).
DIMENSIONS = {
    "gender": ("woman", "man", "other"),
    "age": ("under_18", "18_25", "26_40", "41_65", "over_65"),
    "origin": ("newcomer", "local"),
}


def _etag(event_id, head_count, attendees, tallies) -> str:
    if head_count is None:
        attendees, tallies = {}, {}
    content = {
        "event": event_id,
        "head_count": head_count,
        "attendees": [{"account": account_id, **{d: answers.get(d) for d in DIMENSIONS}}
                      for account_id, answers in sorted(attendees.items())],
        "tallies": {d: {v: n for v in values if (n := (tallies.get(d) or {}).get(v))}
                    for d, values in DIMENSIONS.items()},
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def upgrade():
    bind = op.get_bind()
    op.add_column('events', sa.Column('attendance_id', sa.Uuid(), nullable=True))
    op.add_column('events', sa.Column('attendance_etag', sa.String(length=40), nullable=False, server_default=''))
    op.add_column('events', sa.Column('attendance_revision', sa.BigInteger(), nullable=False, server_default='0'))

    events = sa.table('events', sa.column('id', sa.Integer), sa.column('head_count', sa.Integer),
                      sa.column('attendance_id', sa.Uuid), sa.column('attendance_etag', sa.String),
                      sa.column('attendance_revision', sa.BigInteger))
    rows = bind.execute(sa.select(events.c.id, events.c.head_count).order_by(events.c.id)).all()
    if rows:
        attendees: dict[int, dict] = {}
        for event_id, account_id, gender, age, origin in bind.execute(sa.text(
                "SELECT event_id, account_id, gender, age, origin FROM event_attendees WHERE account_id IS NOT NULL")):
            attendees.setdefault(event_id, {})[account_id] = {"gender": gender, "age": age, "origin": origin}
        tallies: dict[int, dict] = {}
        for event_id, dimension, value, count in bind.execute(sa.text(
                "SELECT event_id, dimension, value, count FROM event_tallies")):
            tallies.setdefault(event_id, {}).setdefault(dimension, {})[value] = count
        last = bind.execute(sa.text("SELECT value FROM revision_counter WHERE id = 1")).scalar_one()
        for event_id, head_count in rows:
            last += 1
            bind.execute(events.update().where(events.c.id == event_id).values(
                attendance_id=uuid.uuid4(), attendance_revision=last,
                attendance_etag=_etag(event_id, head_count, attendees.get(event_id, {}), tallies.get(event_id, {}))))
        bind.execute(sa.text("UPDATE revision_counter SET value = :last WHERE id = 1"), {"last": last})
    if bind.dialect.name != 'sqlite':
        op.alter_column('events', 'attendance_id', existing_type=sa.Uuid(), nullable=False)
    op.create_index('ix_events_attendance_id', 'events', ['attendance_id'], unique=True)
    op.create_index('ix_events_attendance_revision', 'events', ['attendance_revision'], unique=False)

    op.create_table('event_stories',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_stories_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_event_stories_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['accounts.id'], name=op.f('fk_event_stories_recorded_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_stories')),
    sa.UniqueConstraint('event_id', 'story_id', name=op.f('uq_event_stories_event_id'))
    )
    op.create_index(op.f('ix_event_stories_story_id'), 'event_stories', ['story_id'], unique=False)
    op.create_index(op.f('ix_event_stories_recorded_by_id'), 'event_stories', ['recorded_by_id'], unique=False)
    op.create_index(op.f('ix_event_stories_revision'), 'event_stories', ['revision'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_event_stories_revision'), table_name='event_stories')
    op.drop_index(op.f('ix_event_stories_recorded_by_id'), table_name='event_stories')
    op.drop_index(op.f('ix_event_stories_story_id'), table_name='event_stories')
    op.drop_table('event_stories')
    op.drop_index('ix_events_attendance_revision', table_name='events')
    op.drop_index('ix_events_attendance_id', table_name='events')
    for column in ('attendance_revision', 'attendance_etag', 'attendance_id'):
        op.drop_column('events', column)  # in place (SQLite 3.35+)
