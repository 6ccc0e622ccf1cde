"""Upgrading the schema (as `kultialogo run` and `restore` do) leaves SQLite's foreign keys on
for the app's connections: ON DELETE SET NULL is how an account deletion leaves no author_id."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from kultialogo.extensions import db


def test_connections_after_an_upgrade_enforce_foreign_keys(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite pragma")
    upgrade()
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
