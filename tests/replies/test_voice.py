"""Voice replies: a recording from the phone's own recorder posted with the plain reply form goes
through the media pipeline (checked by content, re-muxed without metadata), is heard by those who
see the reply and no one else, and goes with the reply, its story or its author."""
import io
import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest

from sqlalchemy import select

from kultialogo import limits
from kultialogo.extensions import db
from kultialogo.media.models import MediaFile
from kultialogo.moderation import service as moderation
from kultialogo.replies.models import Reply
from tests.media import tus
from tests.media.test_audio_metadata import PLACE, assert_clean_copy

from .conftest import published_story


def voice_with_place() -> bytes:
    return tus.tone("ogg", tags={"LOCATION": PLACE}, stream_tags={"LOCATION": PLACE, "comment": PLACE})


def send(browser, story_id, audio: bytes | None, body="", filename="voice.ogg", reply_id=None, disguise=False):
    page = f"/stories/{story_id}"
    data = {"body": body, "id": str(reply_id or uuid.uuid4())}
    if disguise:
        data["disguise_voice"] = "y"
    if audio is not None:
        data["audio"] = (io.BytesIO(audio), filename)
    return browser.form(f"{page}/replies", data, page=page)


def replies_of(story_id) -> list[Reply]:
    db.session.rollback()
    return list(db.session.scalars(select(Reply).where(Reply.story_id == story_id).order_by(Reply.id)))


def test_a_voice_reply_from_the_plain_form_is_stored_clean_and_played_to_readers(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    bilal = web("other_participant")
    assert 'name="audio"' in bilal.get(f"/stories/{story_id}").get_data(as_text=True)
    voice = voice_with_place()
    response = send(bilal, story_id, voice)  # no words at all: the recording is the reply
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    [reply] = replies_of(story_id)
    assert reply.media == [tus.sha256(voice)] and reply.body == ""
    html = web("author").get(f"/stories/{story_id}").get_data(as_text=True)
    assert f'<audio controls preload="none" src="/media/{tus.sha256(voice)}"></audio>' in html
    served = tus.fetch(web("author"), tus.sha256(voice))
    assert served.status_code == 200
    assert_clean_copy(served.get_data(), voice, "audio/ogg")


def test_a_voice_reply_is_heard_only_by_those_who_see_the_reply(web, cast, trusted):
    trusted()
    story_id = published_story(cast, visibility="community")
    voice = tus.ogg_audio()
    assert send(web("other_participant"), story_id, voice, body="Listen").status_code == 302
    sha = tus.sha256(voice)
    for role in ("author", "other_participant", "facilitator", "admin"):
        assert tus.fetch(web(role), sha).status_code == 200, role
    for role in ("other_facilitator", "anonymous"):
        assert tus.fetch(web(role), sha).status_code == 404, role


def test_a_recording_too_long_or_not_audio_is_refused_and_nothing_is_stored(web, cast, trusted, app, monkeypatch):
    # A smaller limit, so the form stays in memory (the service reads the limit when it runs).
    monkeypatch.setattr(limits, "REPLY_AUDIO_MAX_BYTES", 20_000)
    trusted()
    story_id = published_story(cast)
    bilal = web("other_participant")
    before = tus.counts()
    too_long = tus.ogg_audio(40_000)
    for audio, filename in ((too_long, "voice.ogg"), (tus.png_bytes(), "voice.ogg"), (tus.ELF_EXECUTABLE, "voice.m4a")):
        response = send(bilal, story_id, audio, body="Here is my voice", filename=filename)
        assert response.status_code == 302
        html = bilal.get(f"/stories/{story_id}").get_data(as_text=True)
        assert ("too large" in html) if audio is too_long else ("This kind of file is not accepted" in html), html[:3000]
        assert replies_of(story_id) == []
        assert tus.counts() == before
    assert not [p for p in tus.stored_files(app) if p.parent.name not in (".uploads", ".tmp")]


def test_a_reply_needs_words_or_a_recording(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    send(web("other_participant"), story_id, None, body="")
    assert replies_of(story_id) == []


def test_deleting_the_reply_or_withdrawing_the_story_deletes_the_recording(web, cast, trusted):
    trusted()
    story_id = published_story(cast)
    bilal = web("other_participant")
    first, second = tus.ogg_audio(), tus.ogg_audio(40_000)
    send(bilal, story_id, first)
    send(bilal, story_id, second)
    one, two = replies_of(story_id)
    page = f"/stories/{story_id}"
    assert bilal.form(f"{page}/replies/{one.sync_id}/delete", {}, page=page).status_code == 302
    db.session.rollback()
    assert db.session.get(MediaFile, tus.sha256(first)) is None
    assert tus.fetch(web("other_participant"), tus.sha256(first)).status_code == 404
    assert db.session.get(MediaFile, tus.sha256(second)) is not None
    moderation.moderate(cast["facilitator"].account, story_id, "hide", "spam")  # still named while hidden
    db.session.rollback()
    assert db.session.get(MediaFile, tus.sha256(second)) is not None
    from kultialogo.stories import service as stories
    stories.withdraw_one(cast["author"].account, story_id)
    db.session.rollback()
    assert replies_of(story_id) == []
    assert db.session.get(MediaFile, tus.sha256(second)) is None


def test_the_data_download_holds_the_recording_and_deleting_the_account_deletes_it(web, cast, trusted):
    from kultialogo.privacy import service as privacy
    trusted()
    story_id = published_story(cast)
    voice = tus.ogg_audio()
    assert send(web("other_participant"), story_id, voice, body="With my voice").status_code == 302
    assert len(replies_of(story_id)) == 1
    bilal = cast["other_participant"].account
    with zipfile.ZipFile(io.BytesIO(privacy.export_zip(bilal, bilal))) as archive:
        [entry] = json.loads(archive.read("replies.json"))
        assert entry["media"] == [tus.sha256(voice)]
        assert archive.read(f"media/{tus.sha256(voice)}.ogg") == tus.fetch(web("author"), tus.sha256(voice)).get_data()
    privacy.delete_account(bilal, bilal, "anonymise")
    db.session.rollback()
    assert replies_of(story_id) == []
    assert db.session.get(MediaFile, tus.sha256(voice)) is None


def test_a_phone_uploads_the_recording_first_then_pushes_the_reply(client, cast, trusted):
    from .conftest import pushed, reply_item
    trusted()
    story_id = published_story(cast)
    bilal, author = cast["other_participant"], cast["author"]
    voice = tus.ogg_audio()
    sha = tus.sha256(voice)
    item = reply_item(story_id, body="")
    item["data"]["media"] = [sha]
    [result] = pushed(client, bilal, item)
    assert (result["result"], result["missing_media"]) == ("media_missing", [sha])
    # Someone else's upload of the same bytes does not let bilal name it.
    tus.upload(client, author.headers, voice, "audio/ogg", "voice.ogg")
    [result] = pushed(client, bilal, item)
    assert result["result"] == "media_missing"
    tus.upload(client, bilal.headers, voice, "audio/ogg", "voice.ogg")
    [result] = pushed(client, bilal, item)
    assert result["result"] == "created" and result["record"]["media"] == [sha]
    assert pushed(client, bilal, item)[0]["result"] == "unchanged"
    assert [r.media for r in replies_of(story_id)] == [[sha]]
    assert tus.fetch(client, sha, headers=cast["other_facilitator"].headers).status_code == 200  # public story
    bad = reply_item(story_id, body="x")
    bad["data"]["media"] = [sha, sha]
    assert pushed(client, bilal, bad)[0]["error"]["code"] == "bad_type"


@pytest.mark.skipif(shutil.which("espeak-ng") is None and os.environ.get("CI") != "true",
                    reason="espeak-ng is not installed (apt-get install espeak-ng; CI installs it)")
def test_a_voice_reply_is_disguised_like_a_story_and_the_original_is_never_stored(web, cast, trusted, app):
    """#17: replies by voice follow the stories' rule: the form offers the disguise, ticked, and
    a disguised reply stores only the disguised bytes, which the page says."""
    from tests.media.test_voice_disguise import as_webm, hashes_under, speech_wav
    trusted()
    story_id = published_story(cast)
    bilal = web("other_participant")
    page = bilal.get(f"/stories/{story_id}").get_data(as_text=True)
    tag = page[page.index('name="disguise_voice"') - 120: page.index('name="disguise_voice"') + 80]
    assert "checked" in tag and "Disguise my voice" in page
    original = as_webm(speech_wav())
    original_hash = tus.sha256(original)
    response = send(bilal, story_id, original, filename="voice.webm", disguise=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    [reply] = replies_of(story_id)
    [stored_hash] = reply.media
    assert stored_hash != original_hash
    assert db.session.get(MediaFile, stored_hash).disguised is True
    on_disk = hashes_under(Path(app.config["DATA_DIR"]))
    assert stored_hash in on_disk and original_hash not in on_disk
    html = web("author").get(f"/stories/{story_id}").get_data(as_text=True)
    assert f'src="/media/{stored_hash}"' in html and "Voice disguised" in html


def test_a_voice_reply_left_undisguised_is_stored_as_recorded(web, cast, trusted):
    """Unticked (the person chose it), the recording is kept as it is, cleaned of metadata."""
    trusted()
    story_id = published_story(cast)
    voice = tus.ogg_audio()
    assert send(web("other_participant"), story_id, voice).status_code == 302
    [reply] = replies_of(story_id)
    assert reply.media == [tus.sha256(voice)]
    assert db.session.get(MediaFile, reply.media[0]).disguised is False
