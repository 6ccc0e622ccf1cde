"""API test helpers: people with roles, direct tokens, push/pull shortcuts, row counts."""
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kultialogo.accounts.auth import issue_token
from kultialogo.extensions import db
from kultialogo.stories.models import Story, StoryConflict
from tests import factories as f

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


class ApiClient(FlaskClient):
    """Each request in its own application context, as under a real server.

    The ``app`` fixture keeps one app context open for the whole test and Flask reuses it for
    test-client requests, so ``g`` (the cached requester, Flask-Login's user, the locale)
    would leak from one request, and one caller, to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = ApiClient
    return app.test_client()


def direct_token(account) -> str:
    """A bearer token issued by the service (the token endpoint's sign-in rate limit would
    otherwise cap a test at ten people a minute)."""
    token, _record = issue_token(account, "test")
    return token


@dataclass
class Person:
    account: object
    token: str

    @property
    def headers(self) -> dict:
        return f.bearer(self.token)

    @property
    def id(self) -> int:
        return self.account.id


@pytest.fixture
def people(app):
    """Communities siena (A) and belgrade (B), and one person per role the contract names."""
    f.community("siena")
    f.community("belgrade")
    made = {
        "participant_a": f.account("amina", community_slug="siena"),
        "participant_b": f.account("bojan", community_slug="belgrade"),
        "facilitator_a": f.account("fatima", community_slug="siena", role="facilitator"),
        "facilitator_b": f.account("goran", community_slug="belgrade", role="facilitator"),
        "admin": f.account("root", is_admin=True),
    }
    return {name: Person(account, direct_token(account)) for name, account in made.items()}


def push(client, person, *items, headers=None):
    """Push items; assert the whole request succeeded; return the list of results."""
    response = client.post(PUSH, json={"items": list(items)}, headers={**person.headers, **(headers or {})})
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert len(results) == len(items)
    return results


def push_one(client, person, item, headers=None) -> dict:
    return push(client, person, item, headers=headers)[0]


def pull_all(client, person=None, limit=500, cursor=None, kinds=None) -> tuple[list, str]:
    """Follow the cursor to the end; return every item and the last cursor. ``kinds``: the
    record kinds to ask for (None: stories in the old shape)."""
    headers = person.headers if person is not None else {}
    items = []
    while True:
        params = {"limit": limit, **({"kinds": kinds} if kinds else {})}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(PULL, query_string=params, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        items.extend(page["items"])
        cursor = page["cursor"]
        if not page["more"]:
            return items, cursor


def by_id(items) -> dict:
    return {item["id"]: item for item in items}


def count_rows(model=Story) -> int:
    """Rows committed so far (ends the test session's own transaction to see them)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def stored_state() -> tuple:
    """Everything a refused request must leave untouched: stories, kept conflicts, revisions."""
    db.session.rollback()
    stories = tuple(db.session.execute(
        select(Story.id, Story.etag, Story.status, Story.revision, Story.title).order_by(Story.id)).all())
    conflicts = db.session.scalar(select(func.count()).select_from(StoryConflict))
    from kultialogo.revisions import current_revision
    return stories, conflicts, current_revision(db.session)


def stored_story(story_id) -> Story:
    db.session.rollback()
    return db.session.get(Story, story_id, populate_existing=True)
