"""A story told by voice alone: no title, no body, one recording (sync API and plain form)."""
import io
import re
import uuid
import warnings

import pytest

from kultialogo import limits
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media import tus

PUSH = "/api/v1/sync/push"


@pytest.fixture
def amina(app, client):
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")
    return f.bearer(f.token(client, "amina"))


def push(client, headers, item):
    response = client.post(PUSH, json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def test_a_story_with_a_recording_and_no_words_is_stored(app, client, amina):
    voice = tus.ogg_audio()
    assert tus.upload(client, amina, voice, "audio/ogg", "voice.ogg").status_code == 204
    item = f.item(title="", body="", media=[tus.sha256(voice)])
    result = push(client, amina, item)
    assert result["result"] == "created", result
    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(item["id"]))
    assert (story.title, story.body, story.media) == ("", "", [tus.sha256(voice)])
    page = client.get(f"/stories/{item['id']}", headers=amina).get_data(as_text=True)
    assert "A voice story" in page  # what stands for the missing title


@pytest.mark.parametrize("missing", ["title", "body"])
def test_a_story_without_media_still_needs_a_title_and_a_body(app, client, amina, missing):
    result = push(client, amina, f.item(**{missing: "  "}))
    assert result["result"] == "rejected"
    assert (result["error"]["code"], result["error"]["field"]) == ("empty", missing)


def test_the_limits_tell_the_app_how_long_it_may_record_and_how_far_to_shrink_photos(client):
    media = client.get("/api/v1/limits").get_json()["media"]
    assert media["record_max_seconds"] == limits.MEDIA_AUDIO_RECORD_MAX_SECONDS > 0
    assert 0 < media["image_send_max_edge"] <= media["image_stored_max_edge"]


@pytest.fixture
def form_csrf(app, client):
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")
    f.sign_in(client, "amina")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # wtforms 3.3 on SelectField choices
        html = client.get("/write").get_data(as_text=True)
    # Required until a file is attached: the page's script lifts it then (data-optional-with-media).
    assert re.search(r'<input [^>]*data-optional-with-media [^>]*id="title"[^>]*required', html)
    assert re.search(r'<input [^>]*accept="audio/\*" capture [^>]*name="audio"', html)
    return f.csrf_from(html)


def _form(csrf, **extra):
    data = {"csrf_token": csrf, "id": str(uuid.uuid4()), "title": "", "body": "", "language": "en",
            "community": "siena", "visibility": "community", "author_display": "pseudonym"}
    data.update(extra)
    return data


def test_the_plain_form_takes_a_voice_only_story(app, client, form_csrf):
    voice = tus.ogg_audio()
    data = _form(form_csrf, audio=(io.BytesIO(voice), "voice.ogg"))
    response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(data["id"]))
    assert (story.title, story.body, story.media) == ("", "", [tus.sha256(voice)])
    feed = client.get("/").get_data(as_text=True)
    assert "A voice story" in feed


def test_the_plain_form_without_words_or_files_asks_for_one_or_the_other(app, client, form_csrf):
    data = _form(form_csrf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("or add a photo or a voice recording") == 2
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(data["id"])) is None


def test_the_demo_has_a_story_told_by_voice_alone_and_one_with_a_photo(app, client):
    from sqlalchemy import select

    from kultialogo.demo import load_demo
    from kultialogo.media.models import MediaFile
    load_demo()
    load_demo()  # a second run adds nothing
    db.session.rollback()
    with_media = [s for s in db.session.scalars(select(Story)) if s.media]
    kinds = {s.id: db.session.get(MediaFile, s.media[0]).content_type for s in with_media}
    voice_only = [s for s in with_media if not s.title and not s.body]
    assert len(with_media) == 2 and len(voice_only) == 1
    assert kinds[voice_only[0].id].startswith("audio/") and voice_only[0].status == "published"
    assert "A voice story" in client.get("/").get_data(as_text=True)
