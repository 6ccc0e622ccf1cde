"""A push says the contract version its client speaks (docs/sync.md, version 4): from 4 on, a
story's answer is given once, as "record"; a client that says nothing (a phone's cached shell
of version 3 or older) still reads it as "story" too."""
import re
from pathlib import Path

import pytest

from kultialogo.nodes import tokens as node_tokens
from kultialogo.sync.service import PROTOCOL_VERSION
from tests import factories as f

from .conftest import PUSH, stored_state

SHELL_PUSH = Path(__file__).resolve().parents[2] / "pwa" / "js" / "push.js"


def _push(client, person, body):
    return client.post(PUSH, json=body, headers=person.headers)


def test_a_client_of_version_4_gets_each_record_once(client, people):
    amina = people["participant_a"]
    items = [f.item(title="Told once"), {"type": "story", "id": "not-a-uuid", "data": {}},
             {"type": "translation", "id": "also-not"}]
    results = _push(client, amina, {"items": items, "protocol": 4}).get_json()["results"]
    assert [r["result"] for r in results] == ["created", "rejected", "rejected"]
    for result in results:
        assert set(result) == {"type", "id", "result", "record", "error", "missing_media"}
    assert results[0]["record"]["title"] == "Told once"
    # Again, as a newer client: the same answer (the replay), in the same shape.
    again = _push(client, amina, {"items": items[:1], "protocol": PROTOCOL_VERSION + 1}).get_json()["results"]
    assert again[0]["result"] == "unchanged" and "story" not in again[0]
    assert again[0]["record"] == results[0]["record"]


@pytest.mark.parametrize("stated", [None, 3, 2, 1])
def test_a_client_of_version_3_or_older_still_reads_story(client, people, stated):
    amina = people["participant_a"]
    body = {"items": [f.item(title="Told twice"), {"type": "nonsense", "id": "x"}]}
    if stated is not None:
        body["protocol"] = stated
    made, refused = _push(client, amina, body).get_json()["results"]
    assert made["result"] == "created" and made["story"] == made["record"]
    assert made["story"]["title"] == "Told twice"
    assert refused["result"] == "rejected" and refused["story"] is None  # as the story contract did


@pytest.mark.parametrize("bad", ["4", True, 4.0, 0, -1, None, [4], {"v": 4}])
def test_a_protocol_that_is_not_a_whole_number_from_1_refuses_the_whole_push(client, people, bad):
    amina = people["participant_a"]
    before = stored_state()
    response = client.post(PUSH, json={"items": [f.item(title="Never stored")], "protocol": bad},
                           headers={**amina.headers, "Accept-Language": "it"})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["code"] == "bad_request" and problem["field"] == "protocol"
    assert problem["message"] and problem["message"] != "bad_request"
    assert stored_state() == before


def test_a_node_says_its_version_too(client, people):
    token, _ = node_tokens.issue(people["admin"].account, f.community("siena"))
    node = f.bearer(token)
    item = {"type": "story", "op": "replicate", "id": "not-a-uuid", "data": {}}
    old = client.post("/api/v1/node/push", json={"items": [item]}, headers=node)
    new = client.post("/api/v1/node/push", json={"items": [item], "protocol": PROTOCOL_VERSION}, headers=node)
    assert old.status_code == new.status_code == 200
    [old_answer], [new_answer] = old.get_json()["results"], new.get_json()["results"]
    assert old_answer["result"] == new_answer["result"] == "rejected"
    assert old_answer["story"] is None and "story" not in new_answer
    refused = client.post("/api/v1/node/push", json={"items": [item], "protocol": "4"}, headers=node)
    assert refused.status_code == 400 and refused.get_json()["field"] == "protocol"


def test_the_shell_says_the_servers_version():
    # The page and the worker push with push.js; an old number there would bring back the copies.
    stated = re.findall(r"\bprotocol: (\d+)", SHELL_PUSH.read_text())
    assert stated == [str(PROTOCOL_VERSION)]
