"""The cast of the moderation tests: one person per role the issue names, in two communities.

siena (every story reviewed first): amina writes, bilal reads, giulia facilitates;
belgrade: milica facilitates; root is a site admin. Each has a bearer token for the API and,
through ``web(name)``, a signed-in browser session (each request in its own app context).
"""
import uuid
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kultialogo.accounts.auth import issue_token
from kultialogo.audit import AuditEvent
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from tests import factories as f
from tests.people.helpers import Fresh

ROLES = ("author", "other_participant", "facilitator", "other_facilitator", "admin", "anonymous")
MODERATORS = ("facilitator", "admin")


class IsolatedClient(FlaskClient):
    """Each request in its own application context, as under a real server (see tests/api)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@dataclass
class Member:
    account: object
    token: str

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def headers(self) -> dict:
        return f.bearer(self.token)

    @property
    def username(self) -> str:
        return self.account.username


@pytest.fixture
def cast(app):
    f.community("siena")
    f.community("belgrade")
    made = {
        "author": f.account("amina", community_slug="siena"),
        "other_participant": f.account("bilal", community_slug="siena"),
        "facilitator": f.account("giulia", community_slug="siena", role="facilitator"),
        "other_facilitator": f.account("milica", community_slug="belgrade", role="facilitator"),
        "admin": f.account("root", is_admin=True),
    }
    return {role: Member(account, issue_token(account, "test")[0]) for role, account in made.items()}


@pytest.fixture
def web(app, cast):
    """web(role): a browser signed in as that role (None or "anonymous": not signed in)."""
    clients = {}

    def make(role):
        if role not in clients:
            browser = Fresh(app)
            if role not in (None, "anonymous"):
                browser.sign_in(cast[role].username)
            clients[role] = browser
        return clients[role]
    return make


def write_story(author, *, community="siena", visibility="public", title=None, **extra) -> uuid.UUID:
    """A story by ``author`` through the story service (pending in a community that reviews)."""
    story_id = uuid.uuid4()
    content = validate_content({"title": title or f"Story {f.letters_of(story_id)}", "body": "A day by the river.",
                                "language": "en", "community": community, "visibility": visibility,
                                "author_display": "pseudonym", **extra})
    outcome = stories.write_one(author, story_id, content)
    assert outcome.result == stories.CREATED
    return story_id


# How each status is reached from pending, by a moderator, with the reason the tests repeat.
REASON = "spam"
PATHS = {"pending": (), "published": ("publish",), "rejected": ("reject",), "hidden": ("publish", "hide")}


def story_in(status: str, author, moderator, **kwargs) -> uuid.UUID:
    story_id = write_story(author, **kwargs)
    for action in PATHS[status]:
        moderation.moderate(moderator, story_id, action, REASON if action in ("reject", "hide") else "")
    assert stored(story_id).status == status
    return story_id


def stored(story_id) -> Story:
    db.session.rollback()
    return db.session.get(Story, story_id, populate_existing=True)


def audit_rows(**where) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(query))
