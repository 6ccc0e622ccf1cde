"""Without JavaScript: the write form takes a photo and a recording through the same checks."""
import io
import uuid
import warnings

import pytest
from PIL import Image

from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media import tus


@pytest.fixture
def signed_in(app, client):
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")
    f.sign_in(client, "amina")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # wtforms 3.3 on SelectField choices
        page = client.get("/write")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="photo"' in html and 'name="audio"' in html
    return f.csrf_from(html)


def form(csrf, **files):
    data = {"csrf_token": csrf, "id": str(uuid.uuid4()), "title": "By the river",
            "body": "We walked and talked.", "language": "en", "community": "siena",
            "visibility": "community", "author_display": "pseudonym"}
    data.update({name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()})
    return data


def test_a_story_with_a_photo_and_a_recording_from_the_plain_form(app, client, signed_in):
    photo, voice = tus.jpeg_with_gps(), tus.ogg_audio()
    data = form(signed_in, photo=(photo, "IMG_0001.jpg"), audio=(voice, "voice.ogg"))
    response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(data["id"]))
    assert story.media == [tus.sha256(photo), tus.sha256(voice)]
    stored = tus.fetch(client, tus.sha256(photo))
    assert stored.status_code == 200 and not Image.open(io.BytesIO(stored.get_data())).getexif()
    assert tus.audio_info(tus.fetch(client, tus.sha256(voice)).get_data())[:2] == tus.audio_info(voice)[:2]


def test_the_form_without_files_still_posts_a_story(app, client, signed_in):
    data = form(signed_in)
    data["photo"] = (io.BytesIO(b""), "")  # what a browser sends for an empty file input
    response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(data["id"])).media == []


def test_a_refused_file_in_the_form_is_shown_on_its_field_and_not_kept(app, client, signed_in):
    data = form(signed_in, photo=(tus.ELF_EXECUTABLE, "holiday.jpg"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        response = client.post("/write", data=data, content_type="multipart/form-data")
    assert response.status_code == 415
    assert "not accepted" in response.get_data(as_text=True)
    assert tus.counts() == (0, 0)
    assert tus.stored_files(app) == []
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(data["id"])) is None


def test_the_form_takes_a_recording_larger_than_the_json_body_limit(app, client, signed_in):
    voice = tus.ogg_audio(9 * 1024 * 1024)
    data = form(signed_in, audio=(voice, "long.ogg"))
    response = client.post("/write", data=data, content_type="multipart/form-data")
    # Werkzeug's test client spools a body this large to a temporary file it never closes.
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 302


def test_the_story_page_shows_the_photo_and_the_recording(app, client, signed_in):
    photo, voice = tus.png_bytes(), tus.ogg_audio()
    data = form(signed_in, photo=(photo, "a.png"), audio=(voice, "v.ogg"))
    response = client.post("/write", data=data, content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<img src="/media/{tus.sha256(photo)}"' in page
    assert f'<audio controls preload="none" src="/media/{tus.sha256(voice)}"' in page
