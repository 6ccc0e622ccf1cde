"""On a node: /node shows the address phones open (text and QR code), /node/admin the link,
the sync's progress and the node's conflicts. Neither exists on an instance that is no node."""
import re
import socket
from datetime import timedelta

import pytest

from kultialogo import cli
from kultialogo.database import write_transaction
from kultialogo.nodes.models import NodeLink
from kultialogo.timeutil import isoformat, utcnow
from tests.people.test_security_headers_and_csrf import check_csp

from .conftest import make_node, no_inline_code


@pytest.fixture
def lan(monkeypatch):
    """This computer's network addresses, as the node would find them."""
    addresses = ["192.168.4.1"]
    monkeypatch.setattr(cli, "lan_addresses", lambda: list(addresses))
    return addresses


def test_there_are_no_node_pages_on_an_instance_that_is_no_node(app, cast, web):
    assert web(None).get("/node").status_code == 404
    assert web("admin").get("/node/admin").status_code == 404


def test_the_node_page_shows_the_address_and_its_qr_code_to_anyone(app, cast, web, lan):
    make_node()
    app.config.update(NODE_HOST="0.0.0.0", NODE_PORT=5000)
    lan.append("10.42.0.1")  # a second network (wired and Wi-Fi): both are shown
    response = web(None).get("/node")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    check_csp(response, "/node")
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert "Phones open this address" in html and "Siena" in html
    assert '<p class="node-url" dir="ltr" translate="no"><strong>http://192.168.4.1:5000/</strong></p>' in html
    assert "http://10.42.0.1:5000/" in html
    assert html.count("<p class=\"qr\"><svg") == 2 and "The address phones open" in html


def test_without_a_configured_port_the_node_page_takes_the_one_it_was_opened_on(app, cast, web, lan):
    make_node()
    app.config.update(NODE_HOST="0.0.0.0", NODE_PORT=None)
    html = web(None).get("/node", base_url="http://localhost:8123").get_data(as_text=True)
    assert "http://192.168.4.1:8123/" in html
    app.config.update(NODE_HOST="192.168.4.7")  # listening on one address: only that one
    html = web(None).get("/node", base_url="http://localhost").get_data(as_text=True)
    assert "http://192.168.4.7/" in html and "192.168.4.1" not in html


def test_a_node_listening_on_this_computer_only_says_so(app, cast, web, lan):
    make_node()
    app.config.update(NODE_HOST="127.0.0.1", NODE_PORT=5000)
    html = web(None).get("/node").get_data(as_text=True)
    assert "phones cannot open it" in html and "class=\"qr\"" not in html and "192.168.4.1" not in html
    app.config.update(NODE_HOST="0.0.0.0")
    lan.clear()
    html = web(None).get("/node").get_data(as_text=True)
    assert "No network address found" in html and "class=\"qr\"" not in html


def running(**values) -> dict:
    now = utcnow()
    progress = {"phase": "push", "records_done": 120, "records_total": 500, "bytes_done": 3 * 1024 * 1024,
                "bytes_total": 12 * 1024 * 1024, "started_at": isoformat(now - timedelta(seconds=6)),
                "updated_at": isoformat(now), "rate": 20.0}
    progress.update(values)
    return progress


def test_the_node_admin_page_shows_the_running_sync_as_a_progress_bar_that_refreshes(app, cast, web):
    make_node(progress=running(), last_error="central answered 502")
    response = web("facilitator").get("/node/admin")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert '<meta http-equiv="refresh" content="5">' in html
    assert re.search(r'<progress id="sync-bar" max="500" value="120">', html)
    text = re.sub(r"<[^>]+>", "", html)  # sizes are marked translate="no": CLDR's, not ours
    assert "120 of 500 records" in text and "3 MB of 12 MB" in text
    assert '<span translate="no">3 MB</span>' in html
    assert "20 records a second" in html and "Time left: 19 seconds" in html
    assert "Sending what was collected here" in html
    assert "https://central.example.org" in html and "Camp laptop" in html and "Siena" in html
    assert "central answered 502" in html


def test_a_finished_or_stopped_sync_does_not_refresh_the_page(app, cast, web):
    link = make_node(progress=running(phase="done", records_done=500))
    html = web("admin").get("/node/admin").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "Finished" in html
    assert '<progress id="sync-bar" max="500" value="500">' in html
    # Said it was pushing, but wrote nothing for ten minutes: killed; run it again.
    with write_transaction() as session:
        session.get(NodeLink, link.id).progress = running(updated_at=isoformat(utcnow() - timedelta(minutes=10)))
    html = web("admin").get("/node/admin").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "stopped before it finished" in html


def test_an_unknown_total_gives_a_bar_without_a_value(app, cast, web):
    make_node(progress=running(phase="pull", records_total=None, bytes_total=None, rate=None))
    html = web("admin").get("/node/admin").get_data(as_text=True)
    assert '<progress id="sync-bar"></progress>' in html and "120 records" in html and "Time left" not in html


def test_before_any_sync_the_node_admin_page_says_how_to_start_one(app, cast, web):
    make_node()
    html = web("facilitator").get("/node/admin").get_data(as_text=True)
    assert "No sync yet" in html and "<progress" not in html


@pytest.mark.parametrize("role,status", [("participant", 403), ("other_facilitator", 403), (None, 302)])
def test_the_node_admin_page_is_for_the_communitys_facilitators_and_admins(app, cast, web, role, status):
    make_node(progress=running())
    assert web(role).get("/node/admin").status_code == status


def test_started_another_way_the_node_tries_whether_phones_can_reach_it(app, cast, web, lan):
    """No NODE_HOST from `node run`: a connection to its own address on its port decides."""
    make_node()
    lan[:] = ["127.0.0.1"]  # stands for the network address here: a connection to it stays local
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        app.config.update(NODE_HOST=None, NODE_PORT=port)
        assert f"http://127.0.0.1:{port}/" in web(None).get("/node").get_data(as_text=True)
    html = web(None).get("/node").get_data(as_text=True)  # nothing listens there now
    assert "phones cannot open it" in html
