"""A reply written on the bus home with no signal (issue 16): the story page the phone kept
queues it in the one outbox; back online it is sent once, and sent again (an answer lost on the
way) it is still stored once."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, outbox, sign_in, wait_for_worker
from tests.e2e.test_offline_records import EMPTY_OUTBOX, REQUEUE, _saved, _status, _world

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

WORDS = {"en": "Thank you. We crossed that bridge too, on our first evening.",
         "ar": "شكرًا لك. عبرنا ذلك الجسر أيضًا في أول مساء لنا."}


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_reply_written_offline_is_sent_once_on_reconnect(app, live_server, new_context, locale):
    from kultialogo.extensions import db
    from kultialogo.replies.models import Reply
    world = _world()
    f.account("bojan", community_slug="siena")
    story_path = f"/stories/{world['story']}"
    page = new_context(locale=locale).new_page()
    sign_in(page, live_server.url, "bojan")
    page.goto(live_server.url + story_path)
    wait_for_worker(page)
    page.goto(live_server.url + story_path)
    _saved(page, story_path)

    def stored():
        db.session.remove()
        found = [(str(r.sync_id), r.body) for r in db.session.scalars(select(Reply))]
        db.session.remove()
        return found

    page.context.set_offline(True)
    page.goto(live_server.url + story_path)  # from the phone, no signal
    form = page.locator("form[data-outbox-kind=reply][data-enhanced]")
    expect(form).to_be_attached()
    form.locator("textarea[name=body]").fill(WORDS[locale])
    form.locator("button[type=submit]").click()
    expect(_status(form)).to_have_attribute("data-state", "saved")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reply-offline-{locale}.png"))
    [item] = outbox(page)
    assert item["type"] == "reply" and item["data"] == {"story": world["story"], "body": WORDS[locale]}
    assert stored() == []

    page.context.set_offline(False)
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert stored() == [(item["id"], WORDS[locale])]

    # The same item pushed again (the answer was lost, a second tab): unchanged, no copy.
    page.evaluate(REQUEUE, [item])
    page.reload()  # the page pushes on load
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert stored() == [(item["id"], WORDS[locale])]
