"""A help request and a message pushed across a cut network: the server stores them and answers,
the answer is lost on the way (tests/faultproxy.py cut_after), the phone pushes the same items
again: each is stored once, and the second answer says "unchanged"."""
import uuid

import pytest
import requests
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.help.models import HelpMessage, HelpRequest
from tests.faultproxy import FaultProxy
from tests.help.test_sync import PUSH, message_item, request_item


def _rows(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model))


def _push_through(proxy, person, item):
    return requests.post(proxy.url + PUSH, json={"items": [item]}, headers=person.headers, timeout=30)


def test_a_request_and_a_message_pushed_again_after_a_lost_answer_are_stored_once(people, live_server):
    asker, mediator = people["asker"], people["mediator"]
    request = request_item(record_id=uuid.uuid4())
    message = message_item(request["id"], body="Come to the town hall on Monday", record_id=uuid.uuid4())
    pushes = lambda method, path: method == "POST" and path == PUSH  # noqa: E731
    with FaultProxy(live_server.url, seed=16, faults_only_for=pushes) as proxy:
        for person, item, model in ((asker, request, HelpRequest), (mediator, message, HelpMessage)):
            proxy.set(cut_after_rate=1.0)
            with pytest.raises(requests.RequestException):
                _push_through(proxy, person, item)  # the server acted; the phone never heard
            assert _rows(model) == 1
            proxy.set(cut_after_rate=0.0)
            again = _push_through(proxy, person, item)  # the outbox still holds it: again
            assert again.status_code == 200, again.text
            [result] = again.json()["results"]
            assert (result["id"], result["result"]) == (item["id"], "unchanged")
            assert _rows(model) == 1
        assert proxy.stats["cut"] == 2
    db.session.remove()
    stored = db.session.scalar(select(HelpRequest))
    assert str(stored.sync_id) == request["id"] and stored.state == "claimed"  # the answer claimed it
    assert [str(m.sync_id) for m in stored.messages] == [message["id"]]
