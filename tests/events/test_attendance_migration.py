"""Migration 0014 on both databases: events recorded before it get an attendance id, the etag
the app computes for their attendance as it is, and a revision each, so phones pull them."""
import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, select, text

from kultialogo import create_app
from kultialogo.events import service
from kultialogo.events.models import Event
from kultialogo.extensions import db
from kultialogo.revisions import current_revision
from tests import factories as f
from tests.conftest import BASE_CONFIG

BEFORE = "0013"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"kultialogo_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_events_become_attendance_records(empty_database, tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database, "DATA_DIR": str(tmp_path / "data")})
    with app.app_context():
        upgrade(revision=BEFORE)
        community_id = f.community("siena").id
        with db.engine.begin() as conn:
            # A person as this revision stored accounts (accounts.uid came with 0015).
            conn.execute(text("INSERT INTO accounts (username, display_name, password_hash, is_admin, created_at, "
                              "is_managed) VALUES ('amina', 'Amina', '!', false, '2026-10-01 10:00:00', false)"))
            amina_id = conn.execute(text("SELECT id FROM accounts WHERE username = 'amina'")).scalar_one()
            conn.execute(text("UPDATE revision_counter SET value = 40 WHERE id = 1"))
            for n, head in enumerate((12, None)):
                conn.execute(text(
                    "INSERT INTO events (community_id, kind, title, starts_on, place, head_count, created_at, updated_at) "
                    "VALUES (:c, 'storytelling', :t, '2026-10-03', '', :h, '2026-10-03 18:00:00', '2026-10-03 18:00:00')"),
                    {"c": community_id, "t": f"Evening {n}", "h": head})
            first = conn.execute(text("SELECT min(id) FROM events")).scalar_one()
            conn.execute(text("INSERT INTO event_attendees (event_id, account_id, gender, age, origin) "
                              "VALUES (:e, :a, 'woman', NULL, 'newcomer'), (:e, NULL, 'man', '18_25', NULL)"),
                         {"e": first, "a": amina_id})
            conn.execute(text("INSERT INTO event_tallies (event_id, dimension, value, count) "
                              "VALUES (:e, 'gender', 'woman', 3), (:e, 'age', 'over_65', 2)"), {"e": first})
        db.session.remove()

        upgrade()
        events = db.session.scalars(select(Event).order_by(Event.id)).all()
        assert [e.attendance_revision for e in events] == [41, 42] and current_revision(db.session) == 42
        assert len({e.attendance_id for e in events}) == 2 and all(e.attendance_id.version == 4 for e in events)
        for event in events:  # the etag is the one the app computes from the rows
            computed = service.attendance_etag(service.attendance_content(event.id, service.stored_attendance(event)))
            assert event.attendance_etag == computed
        assert service.stored_attendance(events[0]).attendees == {amina_id: {"gender": "woman", "age": None,
                                                                             "origin": "newcomer"}}
        # New events get theirs from the service, after the migrated ones.
        giulia = f.account("giulia", community_slug="siena", role="facilitator")
        made = service.create_event(giulia, f.community("siena"),
                                    service.clean_details("assembly", "New", events[0].starts_on))
        assert made.attendance_revision == 43
        # And the way back.
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            columns = conn.execute(select(text("*")).select_from(text("events")).limit(1)).keys()
        assert "attendance_id" not in columns
        db.engine.dispose()
