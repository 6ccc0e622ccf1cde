"""A deleted account's (or event's) id is never given to the next one (issue #13): the audit log
names people and events by id, and must never point at someone or something else."""
from datetime import date

from kultialogo.accounts import auth
from kultialogo.privacy import service as privacy
from kultialogo.audit import AuditEvent
from kultialogo.events import service as events
from kultialogo.extensions import db
from tests import factories as f


def test_the_next_account_never_gets_a_deleted_accounts_id(app):
    f.account("olderqx")  # the deleted one is not the only account
    first = auth.create_account("firstqx", "a long password 1")
    first_id = first.id
    privacy.delete_account(first, first, privacy.DELETE_STORIES)
    db.session.rollback()
    second = auth.create_account("secondqx", "a long password 2")
    assert second.id != first_id and second.id > first_id
    # The newest account deleted again: still no id comes back.
    privacy.delete_account(second, second, privacy.DELETE_STORIES)
    db.session.rollback()
    third = auth.create_account("thirdqx", "a long password 3")
    assert third.id not in (first_id, second.id)


def test_the_next_event_never_gets_a_deleted_events_id(app):
    community = f.community("a")
    fac = f.account("facqx", community_slug="a", role="facilitator")
    details = events.clean_details("assembly", "Assembly", date(2026, 5, 1))
    made = events.create_event(fac, community, details)
    made_id = made.id
    events.delete_event(fac, made)
    db.session.rollback()
    named = db.session.query(AuditEvent).filter(AuditEvent.action == "event.delete").one()
    assert named.detail["event"] == made_id
    again = events.create_event(fac, community, details)
    assert again.id != made_id


def test_the_sqlite_migration_keeps_every_row_and_reference(tmp_path):
    """0008 rebuilds accounts and events; nothing pointing at them may be deleted or nulled."""
    import sqlite3

    from flask_migrate import downgrade, upgrade

    from kultialogo import create_app
    from tests.conftest import BASE_CONFIG
    path = tmp_path / "old.sqlite3"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATA_DIR": str(tmp_path)})
    count = ("SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM memberships), "
             "(SELECT count(*) FROM audit_events WHERE actor_id IS NOT NULL), (SELECT count(*) FROM events), "
             "(SELECT count(*) FROM accounts WHERE managed_by_id IS NOT NULL)")
    with app.app_context():
        upgrade(revision="0006")
        community = f.community("a")
        fac = f.account("facqx", community_slug="a", role="facilitator")
        # An event as 0006 stored it (today's model has columns added later, by 0014).
        db.session.execute(db.text(
            "INSERT INTO events (community_id, kind, title, starts_on, place, created_by_id, created_at, updated_at) "
            "VALUES (:community, 'assembly', 'Assembly', '2026-05-01', '', :by, :now, :now)"),
            {"community": community.id, "by": fac.id, "now": "2026-05-01 10:00:00"})
        from kultialogo.people import service as people_service
        people_service.create_managed(fac, community, "Kid")
        db.session.commit()
        db.session.remove()
        before = db.session.execute(db.text(count)).one()
        assert all(before)
        db.session.remove()
        upgrade()
        db.session.remove()
        assert db.session.execute(db.text(count)).one() == before
        schema = db.session.execute(db.text("SELECT sql FROM sqlite_master WHERE name='accounts'")).scalar()
        assert "AUTOINCREMENT" in schema and "ON DELETE SET NULL" in schema
        db.session.remove()
        downgrade(revision="0006")
        db.session.remove()
        assert db.session.execute(db.text(count)).one() == before
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
