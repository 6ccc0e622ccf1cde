"""A person's data download and account deletion ask every registered part, knowing none by name.

A part defined only here (a domain added later) is downloaded and forgotten without any change
to the coordinator (kultialogo.privacy).
"""
import io
import json
import zipfile

import pytest

from kultialogo import personal_data
from kultialogo.privacy import service as privacy
from tests import factories as f
from tests.people.helpers import make_story

HELD = {}  # what the test domain keeps, by account id


def _export(person):
    return {"garden.json": {"plants": HELD.get(person.id, [])}, "garden/photo.bin": b"\x00\x01"}


def _forget(person, choice, revs):
    HELD.pop(person.id, None)
    HELD.setdefault("forgotten", []).append((person.username, choice))


@pytest.fixture
def garden():
    part = personal_data.register(personal_data.Part("garden", "garden.json (your plants)", _export, _forget))
    yield part
    personal_data.unregister("garden")
    HELD.clear()


def test_a_part_registered_later_is_in_the_download_and_forgotten_with_the_account(app, garden):
    f.community("a")
    amina = f.account("amina", community_slug="a")
    HELD[amina.id] = ["basil", "mint"]
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(amina, amina)))
    assert json.loads(archive.read("garden.json")) == {"plants": ["basil", "mint"]}
    assert archive.read("garden/photo.bin") == b"\x00\x01"
    readme = archive.read("README.txt").decode()
    assert "garden.json (your plants)" in readme and "stories.json" in readme
    # Every part that exists today is there too.
    for name in ("account.json", "stories.json", "media.json", "events.json", "translations.json", "reports.json"):
        assert name in archive.namelist()

    privacy.delete_account(amina, amina, personal_data.ANONYMISE)
    assert HELD == {"forgotten": [("amina", "anonymise")]}


def test_parts_run_in_their_order_and_a_name_is_taken_once(app, garden):
    names = [part.name for part in personal_data.parts()]
    assert names.index("media") < names.index("stories")  # files listed before their stories go
    assert "garden" in names
    personal_data.register(garden)  # the same part again: harmless (an app built twice)
    with pytest.raises(ValueError):
        personal_data.register(personal_data.Part("garden", "another", _export))


def test_a_person_can_download_the_reports_they_made(app):
    from kultialogo.moderation.models import StoryReport
    from kultialogo.database import write_transaction
    from kultialogo.extensions import db
    f.community("a")
    author = f.account("author", community_slug="a")
    reader = f.account("reader", community_slug="a")
    story = make_story(author, visibility="community")
    with write_transaction():
        db.session.add(StoryReport(story_id=story.id, reporter_id=reader.id, reason="other", note="my words"))
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(reader, reader)))
    reports = json.loads(archive.read("reports.json"))
    assert reports == [{"story": str(story.id), "reason": "other", "note": "my words",
                        "created_at": reports[0]["created_at"], "resolved": False}]
