"""Help asked by voice: a recording on a request (and on a message in its thread) goes through the
media pipeline, is heard only by the asker and that community's mediators and coaches (404 to
anyone else, even an admin or the community's other facilitators), and is purged with the asker."""
import io
import json
import uuid
import zipfile

from sqlalchemy import select

from kultialogo.extensions import db
from kultialogo.help.models import HelpMessage, HelpRequest
from kultialogo.media.models import MediaFile
from tests.media import tus
from tests.media.test_audio_metadata import PLACE, assert_clean_copy

from .conftest import ask, form_post

HEAR = ("asker", "mediator", "coach")
NOT_HEAR = ("facilitator", "other_mediator", "outsider", "admin", "neighbour", "anonymous")


def voice_with_place() -> bytes:
    return tus.tone("ogg", tags={"LOCATION": PLACE}, stream_tags={"LOCATION": PLACE, "comment": PLACE})


def ask_by_voice(person, audio: bytes, body="", filename="voice.ogg"):
    return ask(person, body=body, audio=(io.BytesIO(audio), filename))


def stored(path) -> HelpRequest:
    db.session.rollback()
    return db.session.scalar(select(HelpRequest).where(HelpRequest.sync_id == uuid.UUID(path.rsplit("/", 1)[1])))


def test_a_request_by_voice_is_heard_only_by_the_asker_and_the_communitys_helpers(people):
    voice = voice_with_place()
    path = ask_by_voice(people["asker"], voice)  # no words: the recording is the request
    request = stored(path)
    sha = tus.sha256(voice)
    assert request.media == [sha] and request.body == ""
    page = people["mediator"].client.get(path).get_data(as_text=True)
    assert f'<audio controls preload="none" src="/media/{sha}"></audio>' in page
    for name in HEAR:
        served = tus.fetch(people[name].client, sha)
        assert served.status_code == 200, name
    assert_clean_copy(tus.fetch(people["asker"].client, sha).get_data(), voice, "audio/ogg")
    for name in NOT_HEAR:
        assert tus.fetch(people[name].client, sha).status_code == 404, name
        if people[name].token:
            assert tus.fetch(people[name].client, sha, headers=people[name].headers).status_code == 404, name


def test_a_message_by_voice_in_the_thread(people):
    path = ask(people["asker"])
    voice = tus.ogg_audio()
    response = form_post(people["mediator"].client, f"{path}/messages", path,
                         {"body": "", "id": str(uuid.uuid4()), "audio": (io.BytesIO(voice), "answer.ogg")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [message] = stored(path).messages
    assert message.media == [tus.sha256(voice)]
    assert f'src="/media/{tus.sha256(voice)}"' in people["asker"].client.get(path).get_data(as_text=True)
    assert tus.fetch(people["asker"].client, tus.sha256(voice)).status_code == 200
    assert tus.fetch(people["facilitator"].client, tus.sha256(voice)).status_code == 404


def test_a_file_that_is_not_a_recording_is_refused_and_nothing_is_stored(people):
    before = tus.counts()
    page = people["asker"].client.get("/help")
    response = people["asker"].client.post("/help", data={
        "csrf_token": __import__("tests.factories", fromlist=["csrf_from"]).csrf_from(page.get_data(as_text=True)),
        "community": "siena", "topic": "work", "language": "en", "body": "Help", "id": str(uuid.uuid4()),
        "on_behalf": "", "audio": (io.BytesIO(tus.png_bytes()), "voice.ogg")})
    assert response.status_code == 415
    assert "This kind of file is not accepted" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(HelpRequest)) is None
    assert tus.counts() == before


def test_deleting_the_account_purges_the_recordings(people):
    from kultialogo.privacy import service as privacy
    voice, answer = tus.ogg_audio(), tus.ogg_audio(40_000)
    path = ask_by_voice(people["asker"], voice, body="Please")
    form_post(people["mediator"].client, f"{path}/messages", path,
              {"body": "Here", "id": str(uuid.uuid4()), "audio": (io.BytesIO(answer), "answer.ogg")})
    asker = people["asker"].account
    with zipfile.ZipFile(io.BytesIO(privacy.export_zip(asker, asker))) as archive:
        [request] = json.loads(archive.read("help_requests.json"))
        assert request["media"] == [tus.sha256(voice)]
        assert request["messages"][0]["media"] == [tus.sha256(answer)]
        assert f"media/{tus.sha256(voice)}.ogg" in archive.namelist()
    privacy.delete_account(asker, asker, "delete")
    db.session.rollback()
    assert db.session.scalar(select(HelpRequest)) is None and db.session.scalar(select(HelpMessage)) is None
    for sha in (tus.sha256(voice), tus.sha256(answer)):
        assert db.session.get(MediaFile, sha) is None
        assert tus.fetch(people["mediator"].client, sha).status_code == 404


def test_pushed_requests_and_messages_carry_a_recording_uploaded_first_by_the_pusher(client, people):
    """The outbox's way (docs/sync.md): the recording goes up over tus, then the record names it."""
    from .test_sync import message_item, push, request_item
    asker, mediator = people["asker"], people["mediator"]
    voice, answer, photo = tus.ogg_audio(), tus.ogg_audio(40_000), tus.jpeg_with_gps()
    item = request_item(body="", media=[tus.sha256(voice)])  # asked by voice alone
    [result] = push(client, asker, item)
    assert (result["result"], result["missing_media"]) == ("media_missing", [tus.sha256(voice)])
    tus.upload(client, asker.headers, voice, "audio/ogg", "voice.ogg")
    first, again = push(client, asker, item, item)
    assert (first["result"], again["result"]) == ("created", "unchanged")
    assert first["record"]["media"] == [tus.sha256(voice)]
    db.session.rollback()
    [request] = db.session.scalars(select(HelpRequest)).all()
    assert request.media == [tus.sha256(voice)] and request.body == ""

    # A message naming someone else's recording (the asker's, of the request) is refused with
    # media_missing: a hash alone never attaches, nor reveals, another person's file.
    stolen = message_item(item["id"], body="Listen")
    stolen["data"]["media"] = [tus.sha256(voice)]
    [result] = push(client, mediator, stolen)
    assert (result["result"], result["missing_media"]) == ("media_missing", [tus.sha256(voice)])
    # Nor a file of their own that is not a recording.
    tus.upload(client, mediator.headers, photo, "image/jpeg", "photo.jpg")
    not_audio = message_item(item["id"], body="")
    not_audio["data"]["media"] = [tus.sha256(photo)]
    assert push(client, mediator, not_audio)[0]["result"] == "media_missing"
    bad = message_item(item["id"], body="x")
    bad["data"]["media"] = [tus.sha256(answer)] * 2
    assert push(client, mediator, bad)[0]["error"]["code"] == "bad_type"
    db.session.rollback()
    assert db.session.scalar(select(HelpMessage)) is None

    message = message_item(item["id"], body="")
    message["data"]["media"] = [tus.sha256(answer)]
    tus.upload(client, mediator.headers, answer, "audio/ogg", "answer.ogg")
    assert [r["result"] for r in push(client, mediator, message, message)] == ["created", "unchanged"]
    db.session.rollback()
    [stored_message] = db.session.scalars(select(HelpMessage)).all()
    assert stored_message.media == [tus.sha256(answer)]
    for sha in (tus.sha256(voice), tus.sha256(answer)):
        for name in HEAR:
            assert tus.fetch(client, sha, headers=people[name].headers).status_code == 200, name
        for name in ("facilitator", "other_mediator", "outsider", "admin", "neighbour"):
            assert tus.fetch(client, sha, headers=people[name].headers).status_code == 404, name
