"""Shared by the camp node tests: the node is a second app on its own SQLite file, beside
central (the ``app`` fixture, SQLite or PostgreSQL, served by ``live_server``)."""
import shutil

import pytest

from kultialogo import create_app
from kultialogo.extensions import db

from tests.conftest import BASE_CONFIG


@pytest.fixture
def node_app(sqlite_template, tmp_path):
    path = tmp_path / "node.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "DATA_DIR": str(tmp_path / "node-data")})
    yield app
    with app.app_context():
        db.engine.dispose()


def on_node(node_app, fn):
    """Run ``fn`` against the node's database (its own app context), then drop its session."""
    with node_app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()
