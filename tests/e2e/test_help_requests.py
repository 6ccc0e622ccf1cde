"""A mother asks for help in Arabic about school enrolment; a mediator of her community sees
it in the queue, claims and answers it; she sees the answer on the request's page. Two browser
profiles (two phones). The request and the answer go through the outbox (the forms are record
forms: kinds/help.js); claiming is a plain form."""
import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

QUESTION = "ابنتي عمرها ثماني سنوات. كيف أسجلها في المدرسة؟"
ANSWER = "Porta il codice fiscale. Ci vediamo lunedì alle 10 in Comune."


@pytest.fixture
def people(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    f.helps(f.account("mona", community_slug="siena", role="facilitator"), "siena", mediator=True)
    f.account("fatima", community_slug="siena", role="facilitator")  # a facilitator, not a mediator
    return {"community": "siena"}


def test_a_request_in_arabic_reaches_the_mediator_who_answers(app, people, live_server, new_context):
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    mother = new_context(locale="ar").new_page()
    sign_in(mother, base, "amina")
    mother.goto(base + "/help")
    expect(mother.locator("html")).to_have_attribute("dir", "rtl")
    mother.locator("#topic-0").check()  # education and school enrolment
    mother.select_option("#language", "ar")
    mother.fill("#body", QUESTION)
    form = mother.locator("#help-form[data-enhanced]")
    form.locator("button[type=submit]").click()
    expect(form.locator(".compose-status")).to_have_attribute("data-state", "sent")
    with mother.expect_navigation():
        mother.locator("#help-mine li[data-state=sent] a").click()  # sent: its page opens
    assert "/help/" in mother.url
    request_url = mother.url
    expect(mother.locator(".help-thread")).to_contain_text(QUESTION)
    expect(mother.locator(".help-state-open")).to_be_visible()
    mother.screenshot(path=str(ARTIFACTS / "help-request-ar.png"), full_page=True)

    # A facilitator who is no mediator does not get to it, even with its address.
    other = new_context().new_page()
    sign_in(other, base, "fatima")
    assert other.goto(request_url).status == 404

    mediator = new_context().new_page()
    sign_in(mediator, base, "mona")
    path = request_url[len(base):]
    mediator.goto(base + "/activity")  # a new request of her community: a neutral line, no words of it
    expect(mediator.locator(f'#activity li[data-kind=help_new] a[href="{path}"]')).to_be_visible()
    expect(mediator.locator("#activity")).not_to_contain_text(QUESTION)
    mediator.goto(base + "/help/queue")
    expect(mediator.locator("h2", has_text="Education and school enrolment")).to_be_visible()
    with mediator.expect_navigation():
        mediator.locator(".help-requests a").first.click()
    expect(mediator.locator(".help-thread")).to_contain_text(QUESTION)
    with mediator.expect_navigation():
        mediator.get_by_role("button", name="I will help with this").click()
    mediator.fill("#body", ANSWER)
    mediator.locator("#help-answer[data-enhanced] button[type=submit]").click()
    expect(mediator.locator(".help-thread li[data-mine][data-state=sent]")).to_contain_text(ANSWER)
    mediator.reload()
    expect(mediator.locator(".help-thread .from-helper")).to_contain_text(ANSWER)

    mother.goto(request_url)
    expect(mother.locator(".help-message.from-helper")).to_contain_text(ANSWER)
    expect(mother.locator(".help-state-claimed")).to_be_visible()
    mother.screenshot(path=str(ARTIFACTS / "help-answered-ar.png"), full_page=True)

    # Her activity list says so, in Arabic, and leads to the request (without its words).
    mother.goto(base + "/activity")
    entry = mother.locator("#activity li[data-kind=help]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("رد على طلب المساعدة الخاص بك")  # "An answer to your request for help"
    expect(mother.locator("#activity")).not_to_contain_text(ANSWER)
    with mother.expect_navigation():
        entry.locator("a").click()
    assert mother.url == request_url
    # Nobody else's activity has it: not the facilitator who is no mediator.
    other.goto(base + "/activity")
    expect(other.locator(f'#activity a[href="{path}"]')).to_have_count(0)
