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
        # Rows as 0006 stored them (today's models have columns added later: accounts.uid by
        # 0015, events' attendance by 0014): a facilitator, a managed participant they made
        # (with its audit event), their memberships, and an event.
        now = {"now": "2026-05-01 10:00:00", "community": community.id}
        run = db.session.execute
        run(db.text("INSERT INTO accounts (username, display_name, password_hash, is_admin, created_at, is_managed) "
                    "VALUES ('facqx', 'Facqx', '!', 0, :now, 0)"), now)
        fac = run(db.text("SELECT id FROM accounts WHERE username = 'facqx'")).scalar_one()
        run(db.text("INSERT INTO accounts (username, display_name, password_hash, is_admin, created_at, is_managed, "
                    "managed_by_id) VALUES ('kidqx', 'Kid', '!managed', 0, :now, 1, :fac)"), {**now, "fac": fac})
        kid = run(db.text("SELECT id FROM accounts WHERE username = 'kidqx'")).scalar_one()
        for account, role in ((fac, "facilitator"), (kid, "participant")):
            run(db.text("INSERT INTO memberships (account_id, community_id, role, created_at) "
                        "VALUES (:account, :community, :role, :now)"), {**now, "account": account, "role": role})
        run(db.text("INSERT INTO audit_events (at, action, actor_id, community_id, detail) "
                    "VALUES (:now, 'account.create_managed', :fac, :community, '{}')"), {**now, "fac": fac})
        run(db.text(
            "INSERT INTO events (community_id, kind, title, starts_on, place, created_by_id, created_at, updated_at) "
            "VALUES (:community, 'assembly', 'Assembly', '2026-05-01', '', :fac, :now, :now)"), {**now, "fac": fac})
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
