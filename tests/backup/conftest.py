"""Fixtures for the backup tests: a source app with content, and empty target apps (a new
SQLite file, or a PostgreSQL database made and dropped here), each with its own data folder."""
import hashlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from kultialogo import create_app
from kultialogo.cli import cli as kultialogo_cli
from kultialogo.extensions import db
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from tests import factories as f
from tests.api.conftest import ApiClient, Person, direct_token, push_one
from tests.conftest import BASE_CONFIG
from tests.media import tus


@pytest.fixture
def client(app):
    app.test_client_class = ApiClient
    return app.test_client()


@pytest.fixture
def target_factory(database_url, request, tmp_path):
    """Make an app over an empty database of the same kind (no schema at all) and a new data folder."""
    made, databases = [], []
    admin_url = request.getfixturevalue("pg_admin_url") if database_url.startswith("postgresql") else None

    def make(name="target"):
        if admin_url is None:
            url = f"sqlite:///{tmp_path / name}.sqlite3"
        else:
            dbname = f"kultialogo_restore_{uuid.uuid4().hex[:12]}"
            engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
            engine.dispose()
            databases.append(dbname)
            url = admin_url.rsplit("/", 1)[0] + "/" + dbname
        target = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(tmp_path / f"{name}-data")})
        target.test_client_class = ApiClient
        made.append(target)
        return target

    yield make
    for target in made:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
    if databases:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for dbname in databases:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        engine.dispose()


def run_cli(app, *args):
    """``kultialogo <args>`` on this app, in its own app context (as the command line does;
    the ``app`` fixture's context stays pushed, and with_appcontext would use it). The test's
    own session ends first, as a stopped app's would: on PostgreSQL its open read
    transaction would hold the locks a restore's DROP TABLE waits for."""
    db.session.remove()
    with app.app_context():
        return app.test_cli_runner().invoke(kultialogo_cli, list(args))


def media_checksums(app) -> dict:
    """{name in the store: SHA-256 of its bytes} for every stored media file."""
    root = Path(app.config["DATA_DIR"]) / "media"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tus.stored_files(app)
            if ".uploads" not in p.parts and ".tmp" not in p.parts and p.parent != root}


def story_rows(app) -> list:
    with app.app_context():
        rows = db.session.execute(select(Story.__table__).order_by(Story.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


@pytest.fixture
def content(app, client):
    """Siena (trusted: stories publish at once); amina wrote four stories with photos, one
    withdrawn before any backup (its photo deleted with it)."""
    f.community("siena", moderation="trusted")
    amina = Person(f.account("amina", community_slug="siena"), None)
    amina.token = direct_token(amina.account)
    root = Person(f.account("root", is_admin=True), None)
    root.token = direct_token(root.account)
    photos = [tus.png_bytes((10 + i, 10)) for i in range(4)]
    for data in photos:
        assert tus.upload(client, amina.headers, data, "image/png").status_code == 204
    shas = [tus.sha256(d) for d in photos]
    items = [f.item(title="By the river", media=[shas[0]]),
             f.item(title="The market", media=[shas[1]], visibility="community"),
             f.item(title="No photo here"),
             f.item(title="Withdrawn early", media=[shas[2]])]
    for item in items:
        assert push_one(client, amina, item)["result"] == "created"
    withdrawn = uuid.UUID(items[3]["id"])
    assert stories.withdraw_one(amina.account, withdrawn).result == "updated"
    amina_id = amina.account.id
    db.session.remove()
    return {"amina_id": amina_id, "amina": amina, "root": root, "items": items, "shas": shas, "withdrawn": withdrawn}
