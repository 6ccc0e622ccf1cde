"""Across a cut network (tests/faultproxy.py, the camp's Wi-Fi): the server stores a reply and
a reaction, the answer never reaches the phone, the phone sends them again, as its outbox does:
each is stored once. And a request a proxy duplicated on the way is stored once too."""
import uuid

import pytest
import requests
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.replies.models import Reaction, Reply
from tests.faultproxy import FaultProxy

from .conftest import PUSH, published_story, reaction_item, reply_item

pytestmark = pytest.mark.slow


def count(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_answer_cut_after_the_server_acted_then_sent_again_is_stored_once(app, live_server, cast, trusted):
    trusted()
    story_id = published_story(cast)
    bilal = cast["other_participant"]
    items = [reply_item(story_id), reaction_item(story_id, "thanks"),
             # the same reaction from a second tab, another id
             reaction_item(story_id, "thanks", reaction_id=uuid.uuid4())]
    only_push = lambda method, path: method == "POST" and path == PUSH  # noqa: E731
    with FaultProxy(live_server.url, seed=16, faults_only_for=only_push) as proxy:
        proxy.set(cut_after_rate=1.0)
        with pytest.raises(requests.exceptions.RequestException):
            requests.post(proxy.url + PUSH, json={"items": items}, headers=bilal.headers, timeout=30)
        assert proxy.stats["cut"] == 1
        assert count(Reply) == 1 and count(Reaction) == 1  # the server acted
        proxy.set(cut_after_rate=0, duplicate_rate=1.0)  # sent again, and duplicated on the way
        response = requests.post(proxy.url + PUSH, json={"items": items}, headers=bilal.headers, timeout=30)
        assert proxy.stats["duplicated"] == 1
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["unchanged", "unchanged", "unchanged"]
    assert results[1]["record"]["id"] == results[2]["record"]["id"] == items[1]["id"]
    assert count(Reply) == 1 and count(Reaction) == 1
