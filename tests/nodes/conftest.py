"""Two instances: central (the ``app`` fixture's database, served by a real process through
``live_server``) and a camp node (its own SQLite file and data folder)."""
import io
import shutil
import subprocess
import sys
import uuid

import pytest
from PIL import Image

from kultialogo import create_app
from kultialogo.extensions import db
from kultialogo.stories import service as stories
from kultialogo.stories.schema import validate_content

from tests import factories
from tests.conftest import BASE_CONFIG


class Node:
    """The node's app (for set-up and checks in this process) and its command line."""

    def __init__(self, app, path, data_dir):
        self.app, self.path, self.data_dir = app, path, data_dir

    def run(self, fn):
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def command(self, *args, **popen):
        env = {"DATABASE_URL": f"sqlite:///{self.path}", "KULTIALOGO_DATA_DIR": str(self.data_dir),
               "KULTIALOGO_SECRET_KEY": BASE_CONFIG["SECRET_KEY"], "PATH": "/usr/bin:/bin"}
        return subprocess.Popen([sys.executable, "-m", "kultialogo.cli", "node", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


@pytest.fixture
def node(sqlite_template, tmp_path):
    path = tmp_path / "node.sqlite3"
    shutil.copyfile(sqlite_template, path)
    data_dir = tmp_path / "node-data"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATA_DIR": str(data_dir)})
    yield Node(app, path, data_dir)
    with app.app_context():
        db.engine.dispose()


def photo(seed: int) -> io.BytesIO:
    image = Image.new("RGB", (64, 48), (seed * 37 % 256, seed * 91 % 256, 120))
    out = io.BytesIO()
    image.save(out, "JPEG")
    out.seek(0)
    return out


def write(author, title, media=(), story_id=None, base_etag=None):
    story_id = story_id or uuid.uuid4()
    content = validate_content(factories.story_data(title=title, media=list(media)))
    outcome = stories.write_one(author, story_id, content, base_etag=base_etag)
    assert outcome.result in ("created", "updated"), outcome
    return story_id
