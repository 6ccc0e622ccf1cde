"""PostgreSQL: a pooled connection is checked before use only after it sat idle
(DATABASE_PING_IDLE_SECONDS, database.py), not on every request; one killed while it waited is
replaced, and a phone's check-in answered in front of the app survives one that was not checked."""
import pytest
from sqlalchemy import create_engine, text

from kultialogo import create_app
from kultialogo.accounts.auth import create_account, issue_token
from kultialogo.extensions import db


def _app(app_config, database_url, idle: float):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool: SQLite's file needs no check")
    return create_app({**app_config, "DATABASE_PING_IDLE_SECONDS": idle})


def _backend_pid(app) -> int:
    """The server process behind the pool's one idle connection (used once, then back in the pool)."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
    return pid


def _kill(database_url: str, pid: int) -> None:
    admin = create_engine(database_url)
    with admin.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def test_a_connection_killed_while_idle_is_replaced_before_use(app_config, database_url):
    app = _app(app_config, database_url, idle=0)
    pid = _backend_pid(app)
    _kill(database_url, pid)
    with app.app_context():
        assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != pid  # a new connection
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("idle, checked", [(3600, False), (0, True)])
def test_a_connection_is_checked_only_after_it_sat_idle(app_config, database_url, idle, checked):
    app = _app(app_config, database_url, idle=idle)
    _backend_pid(app)  # the pool's connection exists
    with app.app_context():
        dialect = db.engine.dialect
        pings = []
        real = dialect.do_ping
        dialect.do_ping = lambda conn: pings.append(1) or real(conn)
    for _ in range(5):
        _backend_pid(app)  # a checkout each time: a request's
    assert len(pings) == (5 if checked else 0)
    with app.app_context():
        db.engine.dispose()


def test_a_check_in_on_a_connection_killed_unchecked_is_still_answered(app_config, database_url):
    app = _app(app_config, database_url, idle=3600)  # never checked: the dead one is used
    with app.app_context():
        account = create_account("amina", "a long enough password")
        db.session.commit()
        token, _record = issue_token(account, "phone")
        db.session.commit()
    phone = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    cursor = phone.get("/api/v1/sync/pull", headers=headers).get_json()["cursor"]
    for _ in range(2):  # the second is answered in front of the app
        assert phone.get(f"/api/v1/sync/pull?cursor={cursor}", headers=headers).status_code == 200
    _kill(database_url, _backend_pid(app))
    answer = phone.get(f"/api/v1/sync/pull?cursor={cursor}", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["items"] == []
    with app.app_context():
        db.engine.dispose()
