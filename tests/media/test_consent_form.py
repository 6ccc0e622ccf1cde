"""Without JavaScript, a public story with a photo or a recording is shown back as it will be
published before it is (#17): the plain form's confirmation step."""
import hashlib
import html as htmllib
import io
import re
import uuid
import warnings

import pytest

from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media import tus
from tests.media.test_voice_disguise import as_webm, speech_wav
from tests.media.test_voice_disguise import pytestmark as needs_espeak


@pytest.fixture
def signed_in(app, client):
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")
    f.sign_in(client, "amina")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # wtforms 3.3 on SelectField choices
        page = client.get("/write")
    return f.csrf_from(page.get_data(as_text=True))


def form(csrf, visibility="public", author_display="pseudonym", **files):
    data = {"csrf_token": csrf, "id": str(uuid.uuid4()), "title": "By the river",
            "body": "We walked and talked.\n\nThen it rained.", "language": "en", "community": "siena",
            "visibility": visibility, "author_display": author_display, "check_face": "y"}
    data.update({name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()})
    return data


def post(client, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.post("/write", data=data, content_type="multipart/form-data")


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """The confirmation form's hidden fields, as a browser would post them again."""
    out = []
    for tag in re.findall(r'<input type="hidden"[^>]*>', page):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        out.append((name, htmllib.unescape(value.group(1) if value else "")))
    return out


def as_post(fields, **extra):
    """A multi-dict as the test client takes it (repeated names become lists)."""
    data = {}
    for name, value in [*fields, *extra.items()]:
        data.setdefault(name, []).append(value)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def stories(data):
    db.session.rollback()
    return db.session.get(Story, uuid.UUID(data["id"]))


def test_a_public_story_with_a_photo_is_shown_back_and_published_only_after_send(app, client, signed_in):
    data = form(signed_in, photo=(tus.jpeg_with_gps(), "IMG_0001.jpg"))
    response = post(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Check before you send" in page and "Anyone on the internet can see this story" in page
    assert '<bdi class="consent-name">amina</bdi>' in page and "By the river" in page and "Then it rained." in page
    [sha256] = re.findall(r'<img src="/media/([0-9a-f]{64})"', page)
    assert stories(data) is None  # nothing published yet
    assert tus.fetch(client, sha256).status_code == 200  # the stored photo, shown to its uploader

    fields = hidden_fields(page)
    assert ("kept_media", sha256) in fields and ("title", "By the river") in fields
    assert ("check_face", "y") in fields and not any(name == "confirmed" for name, _ in fields)
    response = post(client, as_post(fields, confirmed="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    story = stories(data)
    assert story.media == [sha256] and story.body == "We walked and talked.\n\nThen it rained."
    assert story.visibility == "public"


def test_go_back_and_change_shows_the_form_with_everything_kept(app, client, signed_in):
    data = form(signed_in, author_display="anonymous", photo=(tus.jpeg_with_gps(), "IMG_0001.jpg"))
    page = post(client, data).get_data(as_text=True)
    assert '<span class="consent-name">Without your name</span>' in page
    [sha256] = re.findall(r'<img src="/media/([0-9a-f]{64})"', page)
    response = post(client, as_post(hidden_fields(page), change="1"))
    back = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="compose-kept"' in back  # a plain form (app.js leaves it)
    assert 'value="By the river"' in back and "Then it rained." in back
    assert re.search(rf'<input type="checkbox" name="kept_media" value="{sha256}" checked>', back)
    assert re.search(r'value="anonymous"[^>]*checked|checked[^>]*value="anonymous"', back)
    assert stories(data) is None

    # Sent again from the form (the photo kept): shown back again, then published once.
    again = dict(data, kept_media=sha256, title="By the sea")
    del again["photo"]
    page = post(client, again).get_data(as_text=True)
    assert "Check before you send" in page and "By the sea" in page
    assert post(client, as_post(hidden_fields(page), confirmed="1")).status_code == 302
    assert stories(data).media == [sha256] and stories(data).title == "By the sea"


def test_unticking_a_kept_photo_leaves_it_out(app, client, signed_in):
    data = form(signed_in, photo=(tus.jpeg_with_gps(), "IMG_0001.jpg"))
    page = post(client, data).get_data(as_text=True)
    assert re.findall(r'<img src="/media/([0-9a-f]{64})"', page)
    fields = [(n, v) for n, v in hidden_fields(page) if n != "kept_media"]
    assert post(client, as_post(fields, confirmed="1")).status_code == 302  # a text story: no step
    assert stories(data).media == []


def test_a_recording_is_played_back_from_the_server(app, client, signed_in):
    data = form(signed_in, audio=(tus.ogg_audio(), "voice.ogg"))
    page = post(client, data).get_data(as_text=True)
    assert re.search(r'<audio controls preload="none" src="/media/[0-9a-f]{64}"', page)
    assert "This is how others will hear your recording." in page
    assert stories(data) is None


def test_a_community_story_with_a_photo_needs_no_step(app, client, signed_in):
    data = form(signed_in, visibility="community", photo=(tus.jpeg_with_gps(), "IMG_0001.jpg"))
    assert post(client, data).status_code == 302
    assert len(stories(data).media) == 1


def test_someone_elses_file_cannot_be_kept_by_its_hash(app, client, signed_in):
    f.account("yusuf", community_slug="siena")
    f.sign_in(client, "yusuf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        csrf = f.csrf_from(client.get("/write").get_data(as_text=True))
    theirs = form(csrf, visibility="community", photo=(tus.jpeg_with_gps(size=(80, 60)), "x.jpg"))
    assert post(client, theirs).status_code == 302
    [sha256] = stories(theirs).media
    f.sign_in(client, "amina")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        csrf = f.csrf_from(client.get("/write").get_data(as_text=True))
    data = dict(form(csrf), kept_media=sha256, confirmed="1")
    response = post(client, data)
    assert response.status_code == 302 and "/stories/" in response.headers["Location"]  # a text story
    assert stories(data).media == []


@needs_espeak
def test_a_disguised_recording_is_played_back_disguised_and_published_as_heard(app, client, signed_in):
    original = as_webm(speech_wav())
    data = form(signed_in, author_display="anonymous", audio=(original, "voice.webm"))
    data["disguise_voice"] = "y"
    page = post(client, data).get_data(as_text=True)
    assert "Your voice is disguised: this is how others will hear it." in page
    [heard] = re.findall(r'<audio controls preload="none" src="/media/([0-9a-f]{64})"', page)
    assert heard != hashlib.sha256(original).hexdigest()
    assert post(client, as_post(hidden_fields(page), confirmed="1")).status_code == 302
    assert stories(data).media == [heard]  # the very file played back, not disguised again
