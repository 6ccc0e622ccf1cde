"""A phone at a camp: it opens the node's address over plain HTTP, joins with a camp join code,
writes a story; after `kultialogo node sync` the story is on central under the same id, by the
same person (the same uid)."""
import time
import uuid

import requests
from playwright.sync_api import expect
from sqlalchemy import select

from kultialogo.accounts import codes
from kultialogo.accounts.models import Account
from kultialogo.cli import lan_addresses
from kultialogo.communities.models import Community
from kultialogo.extensions import db
from kultialogo.nodes import replication, tokens
from kultialogo.stories.models import Story

from bench._server import free_port
from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY
from tests.nodes.conftest import node  # noqa: F401  (the fixture)

TITLE = "Songs by the lake"


def wait_up(url: str, proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            if requests.get(url + "healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)  # polling a server to come up
    raise AssertionError("the node did not start")


@SQLITE_ONLY
def test_a_phone_joins_at_the_camp_and_its_story_reaches_central(app, live_server, node, new_context):  # noqa: F811
    siena = f.community("siena", moderation="trusted")
    fatima = f.account("fatima", community_slug="siena", role="facilitator")
    token, _row = tokens.issue(fatima, siena, label="Lake camp")
    node.run(lambda: replication.init(live_server.url, token))

    def join_code():
        host = db.session.scalar(select(Account).where(Account.username == "fatima"))
        community = db.session.scalar(select(Community).where(Community.slug == "siena"))
        return codes.create_join_code(host, community, days=7, max_uses=20, label="Camp wall")[0]
    code = node.run(join_code)

    # The node serves the camp's Wi-Fi; a phone opens its network address (plain HTTP).
    port = free_port()
    server = node.command("run", "--host", "0.0.0.0", "--port", str(port))
    try:
        address = (lan_addresses() or ["127.0.0.1"])[0]
        base = f"http://{address}:{port}/"
        wait_up(base, server)
        page = new_context().new_page()
        page.goto(base + "join")
        page.fill("input[name=code]", code)
        page.fill("input[name=username]", "omar")
        page.fill("input[name=password]", "482913")
        page.fill("input[name=confirm]", "482913")
        with page.expect_navigation():
            page.locator("#join-form button[type=submit]").click()
        expect(page.locator(".flash")).to_be_visible()
        page.goto(base + "write")
        page.fill("#title", TITLE)
        page.fill("#body", "We sang in five languages by the water.")
        page.locator("form#compose button[type=submit]").first.click()
        page.wait_for_load_state()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "camp-node-phone-en.png"))

        def stored():
            story = db.session.scalar(select(Story).where(Story.title == TITLE))
            return (story.id, story.author.uid) if story is not None else None
        deadline = time.monotonic() + 20
        while (found := node.run(stored)) is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the phone's send (a form post, or its outbox) reaches the node
        assert found is not None, "the story did not reach the node"
    finally:
        server.terminate()
        server.communicate(timeout=30)

    summary = node.run(replication.sync)
    assert summary["pushed"] >= 2  # omar's account and the story
    db.session.expire_all()
    story = db.session.get(Story, found[0])
    assert story is not None and story.title == TITLE
    assert story.author.uid == found[1] and story.author.username == "omar"
    assert isinstance(found[0], uuid.UUID)
