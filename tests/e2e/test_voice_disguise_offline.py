"""A voice story written offline by someone who stays anonymous leaves the phone to be disguised
(issue #17): after reconnecting, the server holds the disguised recording only, the story names
it, and its page says "Voice disguised"."""
import base64
import hashlib
import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.browser import outbox, rows
from tests.e2e.test_media_capture import (idb_media, media_browser, mine, phone, ready_to_write,  # noqa: F401
                                          record, story, stored)
from tests.e2e.test_media_capture import pytestmark  # noqa: F401


def test_an_anonymous_voice_story_written_offline_is_stored_disguised(app, people, live_server, phone):  # noqa: F811
    context = phone()
    page = ready_to_write(context, live_server.url, disguise=True)
    page.get_by_label("My name").check()  # showing one's name: the default turns off
    expect(page.locator("#disguise_voice")).not_to_be_checked()
    page.get_by_label("Anonymous").check()
    expect(page.locator("#disguise_voice")).to_be_checked()
    context.set_offline(True)
    record(page, seconds=2)
    page.fill("#title", "A song nobody should recognise")
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "A song nobody should recognise")).to_contain_text("Saved on this phone")
    [item] = outbox(page)
    [kept] = idb_media(page)
    original = base64.b64decode(kept["data"])
    assert hashlib.sha256(original).hexdigest() == kept["sha256"]

    context.set_offline(False)
    expect(mine(page, "A song nobody should recognise")).to_contain_text("waiting for review")
    assert rows(app, item["id"]) == 1
    [sha256] = story(app, item["id"])["media"]
    assert sha256 != kept["sha256"]
    info, data = stored(app, sha256)
    assert info["content_type"] == "audio/webm" and hashlib.sha256(data).hexdigest() == sha256
    from kultialogo.extensions import db
    from kultialogo.media.models import MediaFile
    db.session.remove()
    assert db.session.get(MediaFile, sha256).disguised is True
    assert db.session.get(MediaFile, kept["sha256"]) is None
    db.session.remove()
    hashes = set()
    for root, _dirs, files in os.walk(app.config["DATA_DIR"]):
        for name in files:
            hashes.add(hashlib.sha256((Path(root) / name).read_bytes()).hexdigest())
    assert sha256 in hashes and kept["sha256"] not in hashes

    page.goto(f"{live_server.url}/stories/{item['id']}")
    expect(page.locator(".story-media .voice-disguised")).to_have_text("Voice disguised")
