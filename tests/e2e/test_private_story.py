"""Issue #17, "done when": an anonymous public story with a photo and a voice clip, written with
no signal, leaves the phone with the face blurred, the voice disguised and a warning shown for
the phone number typed in it; and the moderator is shown every face the server still finds.

Each part has its own tests (test_photo_blur.py, test_disclosure_warning.py,
test_consent_screen.py, test_voice_disguise_offline.py, tests/media/test_faces.py); this one
walks the whole way once, in the order a person meets them.
"""
import base64

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, outbox
from tests.e2e.test_media_capture import (idb_media, media_browser, mine, phone, ready_to_write,  # noqa: F401
                                          record, stored, story)
from tests.e2e.test_photo_blur import ASTRONAUT, SHRUNK, assert_face_hidden_and_rest_kept, b64, choose_photo, done, drag

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

TITLE = "The day we arrived"
BODY = "If you need a room, call my cousin on 333 123 4567."


def faces_in(data: bytes) -> int:
    import io

    from PIL import Image

    from kultialogo.media import faces
    with Image.open(io.BytesIO(data)) as image:
        return len(faces.detect(image))


def test_an_anonymous_story_written_offline_leaves_the_phone_with_nothing_that_gives_anyone_away(
        app, people, live_server, phone):  # noqa: F811
    from kultialogo.extensions import db
    from kultialogo.media.models import MediaFile
    context = phone()
    page = ready_to_write(context, live_server.url, disguise=True)
    reference = base64.b64decode(page.evaluate(SHRUNK, b64(ASTRONAUT.read_bytes())))
    assert faces_in(reference) >= 1  # the server's detector sees the face before the blur

    context.set_offline(True)
    page.fill("#title", TITLE)
    page.fill("#body", BODY)
    page.select_option("#language", "en")
    page.get_by_label("Anonymous").check()
    expect(page.locator("#disguise_voice")).to_be_checked()  # on by default when anonymous
    page.get_by_label("Everyone (public)").check()
    choose_photo(page)
    drag(page)  # over the face
    done(page)
    record(page, seconds=2)
    page.get_by_role("button", name="Send", exact=True).click()

    # The phone number is pointed out; the careful choice (replace it) is the one offered first.
    warning = page.locator("section.pii")
    expect(warning.locator("li")).to_have_count(1)
    expect(warning.locator("li").first).to_contain_text("Phone number: 333 123 4567")
    expect(warning.locator("li").first.get_by_label("Replace", exact=True)).to_be_checked()
    warning.get_by_role("button", name="Send", exact=True).click()

    # The last step shows what others will see and hear, in plain words.
    screen = page.locator("section.consent")
    expect(screen).to_contain_text("Anyone on the internet can see this story")
    expect(screen.locator(".consent-name")).to_have_text("Without your name")
    expect(screen).to_contain_text("Your voice will be disguised before anyone hears it.")
    expect(screen).to_contain_text("[phone number removed]")
    expect(screen).not_to_contain_text("4567")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "private-story-consent-en.png"), full_page=True)
    screen.get_by_role("button", name="Send").click()
    expect(mine(page, TITLE)).to_contain_text("Saved on this phone")

    # On the phone: the queued photo is the blurred one; no unblurred copy is kept.
    [item] = outbox(page)
    kept = {r["sha256"]: r for r in idb_media(page)}
    [photo_hash] = [h for h in item["data"]["media"] if kept[h]["type"].startswith("image/")]
    [voice_hash] = [h for h in item["data"]["media"] if kept[h]["type"].startswith("audio/")]
    assert_face_hidden_and_rest_kept(base64.b64decode(kept[photo_hash]["data"]), reference)
    assert "4567" not in item["data"]["body"]

    context.set_offline(False)
    expect(mine(page, TITLE)).to_contain_text("waiting for review", timeout=40_000)
    arrived = story(app, item["id"])
    assert arrived["body"] == "If you need a room, call my cousin on [phone number removed]."
    assert photo_hash in arrived["media"] and voice_hash not in arrived["media"]
    [server_voice] = [h for h in arrived["media"] if h != photo_hash]
    db.session.remove()
    assert db.session.get(MediaFile, server_voice).disguised is True  # only the disguised voice is stored
    assert db.session.get(MediaFile, voice_hash) is None
    db.session.remove()
    _info, photo_bytes = stored(app, photo_hash)
    assert_face_hidden_and_rest_kept(photo_bytes, reference)
    # The moderator is shown every face the server finds: none is left in the blurred photo.
    assert faces_in(photo_bytes) == 0
    db.session.remove()
    checked = db.session.get(MediaFile, photo_hash)
    assert checked.faces_checked_at is not None and not checked.faces
    db.session.remove()
