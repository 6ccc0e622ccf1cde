"""503 with Retry-After: maintenance mode and an unreachable database; nothing stored."""
import pytest
from sqlalchemy.exc import OperationalError

from kultialogo import create_app
from kultialogo.extensions import db
from kultialogo.sync import service as sync
from tests import factories as f

from .conftest import count_rows


@pytest.fixture
def amina(app):
    f.community("siena")
    return f.account("amina", community_slug="siena")


def test_maintenance_mode_refuses_writes_with_503_and_keeps_reads(app_config, amina):
    app = create_app({**app_config, "MAINTENANCE": True})
    client = app.test_client()
    with app.app_context():
        refused = client.post("/api/v1/auth/token", json={"username": "amina", "password": f.PASSWORD})
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
        assert refused.get_json()["code"] == "unavailable"
        assert client.get("/api/v1/sync/pull").status_code == 200
        assert client.get("/").status_code == 200
        db.session.remove()
        db.engine.dispose()  # this second app's connections, before the test ends


def test_an_unreachable_database_is_503_with_retry_after_not_500(app, client, amina, monkeypatch):
    tok = f.token(client, "amina")

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(sync, "push", down)
    response = client.post("/api/v1/sync/push", json={"items": [f.item()]}, headers=f.bearer(tok))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unavailable"
    assert count_rows() == 0
