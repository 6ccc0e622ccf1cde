"""A person's data download holds their replies and reactions; deleting the account removes
them (tombstones for the phones that hold them), whatever they chose for their stories."""
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.records import Tombstone
from kultialogo.replies import service as replies
from kultialogo.replies.models import Reaction, Reply

from .conftest import published_story


@pytest.mark.parametrize("choice", ["delete", "anonymise"])
def test_download_and_deletion(cast, trusted, choice):
    from kultialogo.privacy import service as privacy
    trusted()
    story_id = published_story(cast)
    bilal = cast["other_participant"].account
    _result, reply = replies.add_reply(bilal, story_id, "My words under Amina's story")
    replies.toggle_reaction(bilal, story_id, "learned")
    replies.add_reply(cast["facilitator"].account, story_id, "Giulia's words")
    data = privacy.export_zip(bilal, bilal)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        mine = json.loads(archive.read("replies.json"))
        reactions = json.loads(archive.read("reactions.json"))
        readme = archive.read("README.txt").decode()
    assert [(r["story"], r["body"]) for r in mine] == [(str(story_id), "My words under Amina's story")]
    assert [(r["story"], r["kind"]) for r in reactions] == [(str(story_id), "learned")]
    assert "replies.json" in readme
    privacy.delete_account(bilal, bilal, choice)
    db.session.rollback()
    assert [r.body for r in db.session.scalars(select(Reply))] == ["Giulia's words"]
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
    stone = db.session.get(Tombstone, ("reply", str(reply.sync_id)))
    assert stone is not None and stone.audience == "public"
