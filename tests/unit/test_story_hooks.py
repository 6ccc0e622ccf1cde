"""The story core's hook points (kultialogo.stories.hooks): a function registered from outside
the story domain is called where the point says, leaves no trace once unregistered, and with
nothing registered the story core still does what a server without those domains would."""
import uuid

import pytest

from kultialogo import create_app
from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.media import service as media
from kultialogo.revisions import RevisionBlock
from kultialogo.stories import hooks, service
from kultialogo.stories.models import STATUS_WITHDRAWN, Story
from kultialogo.stories.schema import validate_content
from kultialogo.translations.models import StoryTranslation
from tests import factories as f
from tests.pages.conftest import PageClient


def _points() -> dict:
    return {name: list(value) for name, value in vars(hooks).items() if name.isupper()}


@pytest.fixture
def untouched_registry():
    """Whatever a test registers, it takes away again: the registry after equals the one before."""
    before = _points()
    yield
    assert _points() == before


@pytest.fixture
def author(app):
    return f.account("amina", community_slug="siena")


def _write(author, **overrides) -> Story:
    content = validate_content({**f.story_data(), **overrides})
    outcome = service.write_one(author, uuid.uuid4(), content)
    assert outcome.result == service.CREATED
    return db.session.get(Story, outcome.story.id)


def test_a_view_extender_adds_to_the_sync_view_until_unregistered(app, author, untouched_registry):
    seen = []

    def weather(story, viewer, view):
        seen.append((story.id, viewer))
        view["weather"] = "sunny" if viewer is story.author else None

    story = _write(author)
    assert "weather" not in service.story_view(story, author)
    hooks.register_view_extender(weather)
    hooks.register_view_extender(weather)  # twice is once
    try:
        view = service.story_view(story, author)
        assert view["weather"] == "sunny" and view["title"] == "A walk by the river"
        assert "translations" in view  # the domains' own extenders still run
        assert service.story_view(story, None)["weather"] is None
        assert seen == [(story.id, author), (story.id, None)]
    finally:
        hooks.unregister(weather)
    assert "weather" not in service.story_view(story, author)
    assert all(weather not in point for point in vars(hooks).values() if isinstance(point, list))


def test_a_withdrawal_hook_sees_the_story_before_its_content_is_erased(app, author, untouched_registry):
    story = _write(author, title="Our street in winter")
    with db.session.begin_nested():
        db.session.add(StoryTranslation(story_id=story.id, language="it", title="La nostra via",
                                        body="In inverno.", translator_id=author.id, status="published"))
    db.session.commit()
    db.session.expire_all()  # as in a new request: the story's translations are read afresh
    seen = {}

    def witness(actor, story, revs):
        seen.update(actor=actor.username, title=story.title, body=story.body, status=story.status,
                    revs=type(revs))

    hooks.register_withdrawal_hook(witness)
    try:
        outcome = service.withdraw_one(author, story.id)
    finally:
        hooks.unregister(witness)
    assert outcome.result == service.UPDATED
    assert seen == {"actor": "amina", "title": "Our street in winter", "body": "We walked by the river and talked.",
                    "status": "pending", "revs": RevisionBlock}
    db.session.expire_all()
    gone = db.session.get(Story, story.id)
    assert gone.status == STATUS_WITHDRAWN and gone.title == ""
    # The translations domain's own hook ran too: its translation went with the text.
    assert db.session.query(StoryTranslation).filter_by(story_id=story.id).count() == 0


def test_a_content_check_may_refuse_a_story(app, author, untouched_registry):
    def no_rivers(actor, content, community):
        if "river" in content.body:
            raise Problem("unknown_event", field="body")

    hooks.register_content_check(no_rivers)
    try:
        content = validate_content(f.story_data())
        with pytest.raises(Problem) as refused:
            service.write_one(author, uuid.uuid4(), content)
        assert refused.value.code == "unknown_event"
        assert _write(author, body="By the sea.").body == "By the sea."
    finally:
        hooks.unregister(no_rivers)


def test_with_no_media_store_every_named_file_is_missing(app, monkeypatch):
    sha = "ab" * 32
    assert media.stored_hashes in hooks.MEDIA_STORES
    monkeypatch.setattr(hooks, "MEDIA_STORES", [])
    assert service.missing_media([sha, "cd" * 32]) == (sha, "cd" * 32)
    assert service.missing_media([]) == ()
    monkeypatch.setattr(hooks, "MEDIA_STORES", [lambda hashes: {sha}])
    assert service.missing_media([sha, "cd" * 32]) == ("cd" * 32,)


def test_pages_work_with_no_page_hooks(app, author, monkeypatch):
    """No translations, events or media domain: the feed, a story's page and the write form
    still show and take a story (no language menu, no event, no files)."""
    for name in ("FEED_FILTERS", "FEED_CONTEXTS", "STORY_PAGE_CONTEXTS", "WRITE_PAGE_CONTEXTS", "FORM_CONTENTS"):
        monkeypatch.setattr(hooks, name, [])
    story = _write(author, title="Our street in winter")
    app.test_client_class = PageClient  # each request in its own app context, as in a server
    client = app.test_client()
    assert f.sign_in(client, "amina").status_code == 302
    feed = client.get("/?language=it")
    assert feed.status_code == 200 and "Our street in winter" in feed.get_data(as_text=True)
    assert client.get(f"/stories/{story.id}").status_code == 200
    form = client.get("/write")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    token = f.csrf_from(html)
    new_id = str(uuid.uuid4())
    posted = client.post("/write", data={
        "csrf_token": token, "id": new_id, "title": "Written with no hooks", "body": "Just words.",
        "language": "en", "community": "siena", "visibility": "community", "author_display": "pseudonym",
        "event": "12345"})  # no events domain: the select is not read
    assert posted.status_code == 302 and posted.location.endswith(f"/stories/{new_id}"), posted.get_data(as_text=True)
    db.session.rollback()  # the test's own session: a new transaction sees the form's commit
    written = db.session.get(Story, uuid.UUID(new_id))
    assert written.title == "Written with no hooks" and written.event_id is None and written.media == []


def test_building_another_app_registers_nothing_twice(app, app_config):
    before = _points()
    create_app(app_config)
    assert _points() == before
    assert hooks.MEDIA_STORES.count(media.stored_hashes) == 1
