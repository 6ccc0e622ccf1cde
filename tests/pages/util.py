"""Helpers for the HTML page tests: stories made through the real service, pages parsed lightly."""
import re
import uuid

from kultialogo.moderation import service as moderation
from kultialogo.stories import service
from kultialogo.stories.schema import validate_content
from tests import factories as f


def story(author, title, *, community="siena", visibility="public", body="A day by the river.", language="en"):
    content = validate_content({"title": title, "body": body, "language": language, "community": community,
                                "visibility": visibility, "author_display": "pseudonym"})
    outcome = service.write_one(author, uuid.uuid4(), content)
    assert outcome.result == service.CREATED
    return outcome.story


def moderate(actor, story_obj, *actions, reason=""):
    for action in actions:
        moderation.moderate(actor, story_obj.id, action, reason)
    return story_obj


def signed_in_client(app, username):
    client = app.test_client()
    if username is not None:
        response = f.sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    assert match, f"no hidden {name} in page"
    return match.group(1)


def lang_dir(html: str) -> tuple[str, str]:
    """The page's <html lang dir> pair."""
    tag = re.search(r"<html\b[^>]*>", html).group(0)
    return re.search(r'\blang="([^"]*)"', tag).group(1), re.search(r'\bdir="([^"]*)"', tag).group(1)
