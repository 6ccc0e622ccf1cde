"""People for the help tests: in community siena an asker, a mediator, a coach and a plain
facilitator; in belgrade a mediator; an outsider in no community; a site admin (not marked)."""
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from kultialogo.accounts.auth import issue_token
from tests import factories as f


class Client(FlaskClient):
    """Each request in its own application context, as under a real server (see tests/api)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@dataclass
class Person:
    account: object
    token: str
    client: object

    @property
    def headers(self) -> dict:
        return f.bearer(self.token)

    @property
    def id(self) -> int:
        return self.account.id


@pytest.fixture
def people(app):
    app.test_client_class = Client
    f.community("siena")
    f.community("belgrade")
    made = {
        "asker": f.account("amina", community_slug="siena"),
        "mediator": f.account("mona", community_slug="siena", role="facilitator"),
        "coach": f.account("carla", community_slug="siena", role="facilitator"),
        "facilitator": f.account("fatima", community_slug="siena", role="facilitator"),
        "other_mediator": f.account("goran", community_slug="belgrade", role="facilitator"),
        "outsider": f.account("olga"),
        "admin": f.account("root", is_admin=True),
        "neighbour": f.account("nadia", community_slug="siena"),
    }
    f.helps(made["mediator"], "siena", mediator=True)
    f.helps(made["coach"], "siena", coach=True)
    f.helps(made["other_mediator"], "belgrade", mediator=True, coach=True)
    out = {}
    for name, account in made.items():
        client = app.test_client()
        assert f.sign_in(client, account.username).status_code == 302
        token, _record = issue_token(account, "test")
        out[name] = Person(account, token, client)
    out["anonymous"] = Person(None, "", app.test_client())
    return out


def form_post(client, url, page_url, data):
    """POST a form as the browser does: with the CSRF token of the page it came from."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": f.csrf_from(page.get_data(as_text=True))})


def ask(person, body="My son needs a school place", topic="education_school", language="en", **extra):
    """Ask on the /help form; returns the new request's page path."""
    response = form_post(person.client, "/help", "/help", {
        "community": "siena", "topic": topic, "language": language, "body": body,
        "id": extra.pop("id", None) or __import__("uuid").uuid4().__str__(), "on_behalf": "", **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


@pytest.fixture
def client(app, people):
    """A client for bearer-token requests, each in its own application context."""
    return app.test_client()
