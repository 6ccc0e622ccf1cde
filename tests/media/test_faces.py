"""Faces in story photos (#17): flagged on the server with OpenCV's bundled cascade, shown to
the community's moderators in the queue, and blurred in one click (or, without JavaScript, by a
click on the preview), which replaces the stored photo, purges the old bytes and reaches the
phones that pulled the story as an edit."""
import html
import io
import json
import math
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from kultialogo.audit import ACTION_LABELS as AUDIT_LABELS, AuditEvent
from kultialogo.extensions import db
from kultialogo.media import faces
from kultialogo.media.models import MediaFile
from kultialogo.media.store import get_store
from kultialogo.stories.models import Story
from tests import factories as f
from tests.media import tus
from tests.moderation.test_pull import pull as pull_all
from tests.people.helpers import Fresh

PUSH = "/api/v1/sync/push"
ASTRONAUT = Path(__file__).resolve().parents[1] / "fixtures" / "astronaut.jpg"
# Where the face is in the astronaut photo (512 × 512), looked at by eye: eyes to chin.
FACE = (190, 80, 260, 165)
FACE_CENTRE = (225, 120)
# A textured place far from the face (the flag behind her shoulder), for the no-JS click.
CLICK = (400, 400)


def landscape(width=1600, height=1000) -> Image.Image:
    """A sky gradient over three rows of hills: nothing like a face."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(90 + 100 * t), int(150 + 60 * t), int(235 - 20 * t)))
    for k, (amp, base, colour) in enumerate([(80, .55, (70, 110, 60)), (60, .7, (50, 90, 45)), (40, .82, (40, 75, 35))]):
        ridge = [(x, int(height * base + amp * math.sin(x / (150 + 60 * k) + k))) for x in range(0, width + 10, 10)]
        draw.polygon(ridge + [(width, height), (0, height)], fill=colour)
    return image


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def overlaps(box, area) -> bool:
    x, y, w, h = box
    left, top, right, bottom = area
    return x < right and x + w > left and y < bottom and y + h > top


def pixels(sha: str) -> np.ndarray:
    with Image.open(get_store().local_path(sha)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


@pytest.fixture
def people(app, client):
    f.community("siena")  # every story is reviewed first
    f.community("belgrade")
    f.account("amina", community_slug="siena")
    f.account("bilal", community_slug="siena")
    f.account("giulia", community_slug="siena", role="facilitator")
    f.account("milica", community_slug="belgrade", role="facilitator")
    return {name: f.bearer(f.token(client, name)) for name in ("amina", "bilal", "giulia", "milica")}


def push(client, headers, item):
    response = client.post(PUSH, json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def pull(client, headers, cursor=None) -> tuple[dict, str]:
    """Every page of a phone's pull (the moderation tests' walker), by its bearer headers."""
    return pull_all(client, None, cursor, **headers)


def story_with_photo(client, people, data: bytes, visibility="public") -> tuple[str, str]:
    assert tus.upload(client, people["amina"], data, "image/jpeg").status_code == 204
    sha = tus.sha256(data)
    item = f.item(media=[sha], visibility=visibility, community="siena")
    assert push(client, people["amina"], item)["result"] == "created"
    return item["id"], sha


def signed_in(app, username) -> Fresh:
    browser = Fresh(app)
    browser.sign_in(username)
    return browser


def review_page(browser) -> str:
    response = browser.get("/review")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def blur_forms(page: str) -> list[dict]:
    """Each blur form of the queue: its action and its fields (hidden inputs, the image input)."""
    out = []
    for match in re.finditer(r'<form[^>]*action="([^"]*/blur[^"]*)"[^>]*>(.*?)</form>', page, re.S):
        body = match.group(2)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        image = re.search(r'<input type="image"[^>]*>', body)
        out.append({"action": html.unescape(match.group(1)), "hidden": hidden,
                    "image": image.group(0) if image else None})
    return out


# --- Detection ----------------------------------------------------------------------------------

def test_the_astronaut_photo_has_a_face_and_a_blank_or_a_landscape_has_none(app):
    with Image.open(ASTRONAUT) as image:
        image.load()
        boxes = faces.detect(image)
    assert any(overlaps(box, FACE) for box in boxes), boxes
    assert faces.detect(Image.new("RGB", (1600, 1200), (200, 200, 200))) == []
    assert faces.detect(landscape()) == []


def test_an_uploaded_photo_is_flagged_at_upload_and_shown_with_its_boxes_to_moderators(app, client, people):
    story_id, sha = story_with_photo(client, people, ASTRONAUT.read_bytes())
    db.session.rollback()
    media = db.session.get(MediaFile, sha)
    assert media.faces_checked_at is not None  # at upload, not when the queue is opened
    assert any(overlaps(box, FACE) for box in media.faces), media.faces

    page = review_page(signed_in(app, "giulia"))
    assert "Faces found: 1" in page
    assert f'viewBox="0 0 {media.width} {media.height}"' in page
    x, y, w, h = media.faces[0]
    assert f'<rect x="{x}" y="{y}" width="{w}" height="{h}"' in page
    assert "style=" not in page.split("<main", 1)[-1]  # strict CSP: no inline style
    forms = blur_forms(page)
    assert forms and any(form["image"] for form in forms), "no click-to-blur preview"


def test_a_landscape_is_not_flagged(app, client, people):
    _story_id, sha = story_with_photo(client, people, jpeg(landscape()))
    db.session.rollback()
    media = db.session.get(MediaFile, sha)
    assert media.faces_checked_at is not None and media.faces == []
    assert "Faces found: 0" in review_page(signed_in(app, "giulia"))


def test_a_photo_stored_before_faces_were_flagged_is_checked_when_the_queue_meets_it(app, client, people):
    _story_id, sha = story_with_photo(client, people, ASTRONAUT.read_bytes())
    media = db.session.get(MediaFile, sha)
    media.faces, media.faces_checked_at = None, None
    db.session.commit()
    assert "Faces found: 1" in review_page(signed_in(app, "giulia"))
    db.session.rollback()
    media = db.session.get(MediaFile, sha, populate_existing=True)
    assert media.faces_checked_at is not None and any(overlaps(box, FACE) for box in media.faces)


def test_a_facilitators_only_story_is_not_flagged_in_the_queue(app, client, people):
    story_with_photo(client, people, ASTRONAUT.read_bytes(), visibility="facilitators")
    assert "Faces found" not in review_page(signed_in(app, "giulia"))


# --- Blurring -----------------------------------------------------------------------------------

def test_one_click_blurs_the_faces_replaces_the_photo_purges_the_old_and_reaches_the_phone(app, client, people):
    story_id, old = story_with_photo(client, people, ASTRONAUT.read_bytes())
    seen, cursor = pull(client, people["amina"])  # the author's phone holds the story
    assert seen[story_id]["media"] == [old]
    before = pixels(old)
    old_path = get_store().local_path(old)

    giulia = signed_in(app, "giulia")
    form = next(form for form in blur_forms(review_page(giulia)) if not form["image"])
    response = giulia.post(form["action"], data=form["hidden"])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    db.session.rollback()
    story = db.session.get(Story, uuid.UUID(story_id), populate_existing=True)
    [new] = story.media
    assert new != old
    # The old bytes are gone from the store: file and row.
    assert db.session.get(MediaFile, old) is None
    assert not old_path.exists() and get_store().local_path(old) is None
    assert tus.fetch(client, old, people["amina"]).status_code == 404
    # The new photo is what its name says, and carries no EXIF.
    data = get_store().local_path(new).read_bytes()
    assert db.session.get(MediaFile, new) is not None
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
    # The face is unrecognisable; the rest is unchanged within compression noise.
    after = pixels(new)
    assert after.shape == before.shape
    left, top, right, bottom = FACE
    assert np.abs(after[top:bottom, left:right] - before[top:bottom, left:right]).mean() > 12
    with Image.open(io.BytesIO(data)) as image:  # not even the detector finds it any more
        assert not any(overlaps(b, FACE) for b in faces.detect(image))
    outside = np.ones(before.shape[:2], dtype=bool)
    outside[0:260, 110:350] = False  # the face box, grown by the blur's margin and more
    assert np.abs(after[outside] - before[outside]).mean() < 3

    # The audit log says who blurred which story's photo, and nothing of the photo itself.
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "media.blur_faces")).all()
    assert event.story_id == uuid.UUID(story_id) and event.actor_id is not None
    assert old not in json.dumps(event.detail) and new not in json.dumps(event.detail)
    assert AUDIT_LABELS.get("media.blur_faces")

    # The phone that pulled the story gets the new photo on its next pull, as an edit.
    changes, _cursor = pull(client, people["amina"], cursor)
    assert changes[story_id]["media"] == [new]
    assert tus.fetch(client, new, people["amina"]).status_code == 200


def test_a_click_on_the_preview_without_javascript_blurs_around_that_point(app, client, people):
    story_id, old = story_with_photo(client, people, ASTRONAUT.read_bytes())
    before = pixels(old)
    giulia = signed_in(app, "giulia")
    form = next(form for form in blur_forms(review_page(giulia)) if form["image"])
    # The click arrives in the preview's own pixels: scale from the photo's.
    shown = int(re.search(r'width="(\d+)"', form["image"]).group(1))
    scale = shown / before.shape[1]
    x, y = CLICK
    response = giulia.post(form["action"], data={**form["hidden"], "at.x": str(round(x * scale)),
                                                  "at.y": str(round(y * scale))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    db.session.rollback()
    [new] = db.session.get(Story, uuid.UUID(story_id), populate_existing=True).media
    assert new != old and db.session.get(MediaFile, old) is None
    after = pixels(new)
    near = (slice(y - 30, y + 30), slice(x - 30, x + 30))
    assert np.abs(after[near] - before[near]).mean() > 12
    left, top, right, bottom = FACE  # far from the click: untouched
    assert np.abs(after[top:bottom, left:right] - before[top:bottom, left:right]).mean() < 3
    # ... and still flagged: a blur elsewhere does not hide the face from the moderators.
    assert any(overlaps(box, FACE) for box in db.session.get(MediaFile, new).faces)
    assert "Faces found: 1" in review_page(giulia)


@pytest.mark.parametrize("who", ["bilal", "milica", "amina"])
def test_only_the_communitys_moderators_may_blur(app, client, people, who):
    story_id, sha = story_with_photo(client, people, ASTRONAUT.read_bytes())
    form = next(form for form in blur_forms(review_page(signed_in(app, "giulia"))) if not form["image"])
    someone = signed_in(app, who)
    token = f.csrf_from(someone.get("/").get_data(as_text=True))
    response = someone.post(form["action"], data={"csrf_token": token})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story_id), populate_existing=True).media == [sha]
    assert get_store().local_path(sha) is not None


def test_a_blur_without_the_csrf_token_is_refused(app, client, people):
    story_id, sha = story_with_photo(client, people, ASTRONAUT.read_bytes())
    giulia = signed_in(app, "giulia")
    form = next(form for form in blur_forms(review_page(giulia)) if not form["image"])
    response = giulia.post(form["action"], data={})
    assert response.status_code in (400, 403)
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story_id), populate_existing=True).media == [sha]


def test_the_old_bytes_stay_while_another_story_still_names_them(app, client, people):
    story_id, sha = story_with_photo(client, people, ASTRONAUT.read_bytes())
    other = f.item(media=[sha], visibility="facilitators", community="siena")
    assert push(client, people["amina"], other)["result"] == "created"
    giulia = signed_in(app, "giulia")
    form = next(form for form in blur_forms(review_page(giulia)) if not form["image"])
    assert giulia.post(form["action"], data=form["hidden"]).status_code == 302
    db.session.rollback()
    assert db.session.get(Story, uuid.UUID(story_id), populate_existing=True).media != [sha]
    assert db.session.get(Story, uuid.UUID(other["id"]), populate_existing=True).media == [sha]
    assert db.session.get(MediaFile, sha) is not None and get_store().local_path(sha) is not None
