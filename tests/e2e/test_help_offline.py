"""A mother asks for help in Arabic with no signal, on the /help page her phone kept: the request
waits on the phone ("saved on this phone"), and back online it is sent and stored once. Then,
offline again, she writes a message in its thread: the same. (tests/e2e/test_help_requests.py
is the plain-form journey to the mediator and back.)"""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kultialogo.extensions import db
from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, outbox, sign_in, wait_for_worker
from tests.e2e.test_offline_records import EMPTY_OUTBOX, REQUEUE

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

QUESTION = "ابنتي عمرها ثماني سنوات. كيف أسجلها في المدرسة؟"
MORE = "نسيت أن أقول: نحن نسكن قرب المحطة."


@pytest.fixture
def people(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    f.helps(f.account("mona", community_slug="siena", role="facilitator"), "siena", mediator=True)


def _stored():
    """What the server's database holds: the requests' ids and the messages' (fresh session)."""
    from kultialogo.help.models import HelpMessage, HelpRequest
    db.session.remove()
    out = ([str(i) for i in db.session.scalars(select(HelpRequest.sync_id))],
           [(str(m.sync_id), m.body) for m in db.session.scalars(select(HelpMessage))])
    db.session.remove()
    return out


def _saved(page, path):
    eventually(page, f"""async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('{path}', {{ ignoreVary: true }}))""")


def test_a_request_and_a_message_written_offline_arrive_once(app, people, live_server, new_context):
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    page = new_context(locale="ar").new_page()
    sign_in(page, base, "amina")
    page.goto(base + "/help")
    wait_for_worker(page)
    page.goto(base + "/help")
    _saved(page, "/help")

    page.context.set_offline(True)
    page.goto(base + "/help")  # the page the phone kept
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    form = page.locator("form[data-outbox-kind=help_request][data-enhanced]")
    expect(form).to_be_attached()
    expect(page.locator("[data-banner=offline]")).to_be_visible()
    # Nothing written yet: nothing is kept, and the browser points at the empty box.
    form.locator("button[type=submit]").click()
    assert outbox(page) == []
    page.locator("#topic-0").check()  # education and school enrolment
    page.select_option("#language", "ar")
    page.fill("#body", QUESTION)
    form.locator("button[type=submit]").click()
    status = form.locator(".compose-status")
    expect(status).to_have_attribute("data-state", "saved")
    mine = page.locator("#help-mine li[data-state=saved]")
    expect(mine).to_have_count(1)
    topic = page.evaluate("document.querySelector('label[for=topic-0]')?.textContent.trim()"
                          " || document.querySelector('#topic-0').closest('label').textContent.trim()")
    assert topic and topic != "Education and school enrolment"  # the page is in Arabic
    expect(mine).to_contain_text(topic)  # the topic as the page named it
    expect(page.locator("#body")).to_have_value("")  # ready for another request
    page.screenshot(path=str(ARTIFACTS / "help-offline-ar.png"), full_page=True)
    [item] = outbox(page)
    assert item["type"] == "help_request"
    assert item["data"] == {"community": "siena", "topic": "education_school", "language": "ar", "body": QUESTION}
    request_id = item["id"]
    assert uuid.UUID(request_id).version == 4  # made by the phone
    assert _stored() == ([], [])

    page.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "sent", timeout=30_000)
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert _stored() == ([request_id], [])
    # Sent: its entry links to the request's page.
    expect(page.locator(f"#help-mine li[data-state=sent] a[href='/help/{request_id}']")).to_be_visible()

    # The same request pushed again (an answer lost on the way): unchanged, not a second one.
    page.evaluate(REQUEUE, [item])
    page.reload()
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert _stored() == ([request_id], [])
    # The server's list now holds it: shown once, by the server.
    expect(page.locator(f"li[data-id='{request_id}']")).to_have_count(1)

    # Its thread, kept by the phone, then a message written there with no signal.
    thread = f"/help/{request_id}"
    page.goto(base + thread)
    _saved(page, thread)
    page.context.set_offline(True)
    page.goto(base + thread)
    answer = page.locator("form[data-outbox-kind=help_message][data-enhanced]")
    expect(answer).to_be_attached()
    page.fill("#body", MORE)
    answer.locator("button[type=submit]").click()
    expect(answer.locator(".compose-status")).to_have_attribute("data-state", "saved")
    waiting = page.locator(".help-thread li[data-mine][data-state=saved]")
    expect(waiting).to_contain_text(MORE)
    [message] = outbox(page)
    assert message["type"] == "help_message" and message["data"] == {"request": request_id, "body": MORE}
    page.screenshot(path=str(ARTIFACTS / "help-message-offline-ar.png"), full_page=True)
    # Opened again with no signal: still shown as waiting in the thread.
    page.goto(base + thread)
    expect(page.locator(".help-thread li[data-mine][data-state=saved]")).to_contain_text(MORE)
    assert _stored() == ([request_id], [])

    page.context.set_offline(False)
    expect(page.locator(f".help-thread li[data-id='{message['id']}'][data-state=sent]")).to_contain_text(
        MORE, timeout=30_000)
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert _stored() == ([request_id], [(message["id"], MORE)])
    page.evaluate(REQUEUE, [message])
    page.reload()
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert _stored() == ([request_id], [(message["id"], MORE)])
    expect(page.locator(f".help-thread li[data-id='{message['id']}']")).to_have_count(1)

    # Closed on the server meanwhile (from her other phone): the next message is refused, says
    # why, and its words are back in the form.
    from kultialogo.help import service
    with app.app_context():
        with service.writing() as revs:
            found = service.find(uuid.UUID(request_id))
            service.close(found.asker, found, "no_longer_needed", revs)
        db.session.remove()
    late = "شكرا"
    page.fill("#body", late)
    answer.locator("button[type=submit]").click()
    refused = page.locator(".help-thread li[data-mine][data-state=refused]")
    expect(refused).to_contain_text(late)
    expect(answer.locator(".compose-status")).to_have_attribute("data-state", "refused")
    expect(page.locator("#body")).to_have_value(late)
    assert _stored()[1] == [(message["id"], MORE)]
