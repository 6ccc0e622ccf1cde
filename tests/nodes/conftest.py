"""Fixtures of the camp node tests.

Two instances: central (the ``app`` fixture's database, served by a real process through
``live_server``) and a camp node (``node``: its own SQLite file and data folder). And the cast
of the page tests: siena (its node) and belgrade, a facilitator of each, a participant of siena,
a site admin; ``web(role)`` is a browser signed in as that role."""
import io
import re
import shutil
import subprocess
import sys
import uuid
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from kultialogo import create_app
from kultialogo.audit import AuditEvent
from kultialogo.events import service as events
from kultialogo.extensions import db
from kultialogo.nodes.models import NodeLink
from kultialogo.stories import service as stories
from kultialogo.stories.schema import validate_content

from tests import factories
from tests import factories as f
from tests.conftest import BASE_CONFIG
from tests.people.helpers import Fresh


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
    # Retries start at 20 ms, not 250: the fault tests make thousands of them.
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATA_DIR": str(data_dir),
                      "NODE_RETRY_PAUSE_S": 0.02})
    yield Node(app, path, data_dir)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def node_app(node):
    """The node's app alone, for tests that run everything in this process."""
    return node.app


def on_node(node_app, fn):
    """Run ``fn`` against the node's database (its own app context), then drop its session."""
    with node_app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def photo(seed: int) -> io.BytesIO:
    image = Image.new("RGB", (64, 48), (seed * 37 % 256, seed * 91 % 256, 120))
    for bit in range(32):  # the seed's bits as black and white squares: one photo per seed
        image.paste((255, 255, 255) if seed >> bit & 1 else (0, 0, 0), (bit % 8 * 8, bit // 8 * 8, bit % 8 * 8 + 8, bit // 8 * 8 + 8))
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


@pytest.fixture
def cast(app):
    f.community("siena")
    f.community("belgrade")
    return {
        "participant": f.account("amina", community_slug="siena"),
        "facilitator": f.account("giulia", community_slug="siena", role="facilitator"),
        "other_facilitator": f.account("milica", community_slug="belgrade", role="facilitator"),
        "admin": f.account("root", is_admin=True),
    }


@pytest.fixture
def web(app, cast):
    """web(role): a browser signed in as that role (None: not signed in)."""
    browsers = {}

    def make(role):
        if role not in browsers:
            browser = Fresh(app)
            if role is not None:
                browser.sign_in(cast[role].username)
            browsers[role] = browser
        return browsers[role]
    return make


def camp(actor, slug="siena", title="Summer camp"):
    return events.create_event(actor, f.community(slug), events.EventDetails(
        kind="camp", title=title, starts_on=date(2026, 7, 20), ends_on=date(2026, 7, 27)))


def make_node(slug="siena", progress=None, **values) -> NodeLink:
    """This instance becomes a node of ``slug`` (what `kultialogo node init` leaves behind)."""
    values.setdefault("node_id", 1)
    link = NodeLink(central_url="https://central.example.org", token="kn_" + "x" * 43,
                    community_id=f.community(slug).id, label="Camp laptop", progress=progress or {}, **values)
    db.session.add(link)
    db.session.commit()
    return link


def audit_rows(action) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def no_inline_code(html: str) -> None:
    """The strict CSP's part in the page: no inline script, style or event handler."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b", html) and not re.search(r'\sstyle="', html)
    assert not re.search(r"\son[a-z]+=", html)
