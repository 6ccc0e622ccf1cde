"""A facilitator on a phone-size page (360 px) clears the review queue and the reports queue,
with plain forms, in a real Chromium; screenshots in English and Arabic go to test-artifacts/."""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.moderation.models import StoryReport
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _story(author, title, body, language="en", **extra):
    story_id = uuid.uuid4()
    content = validate_content({"title": title, "body": body, "language": language, "community": "siena",
                                "visibility": "public", "author_display": "pseudonym", **extra})
    assert stories.write_one(author, story_id, content).result == stories.CREATED
    return story_id


@pytest.fixture
def queues(app):
    f.community("siena", names={"en": "Siena", "it": "Siena", "ar": "سيينا"})
    f.community("belgrade", names={"en": "Belgrade", "ar": "بلغراد"})
    amina = f.account("amina", community_slug="siena")
    readers = [f.account(name, community_slug="siena") for name in ("bilal", "chiara", "dario")]
    giulia = f.account("giulia", community_slug="siena", role="facilitator")
    waiting = [
        _story(amina, "أول شتاء في سيينا", "وصلنا في نوفمبر، وكان البرد جديدًا علينا. جارتنا طرقت الباب ومعها بطانيتان.",
               language="ar", place="Siena"),
        _story(amina, "My neighbour's phone number", "Call Paolo at 333 123 4567, he lives at via dei Rossi 12.",
               about_minor=True, consent={"kind": "self", "guardian": True}),
    ]
    auto_hidden = _story(amina, "Cheap phone cards today only", "Write to me on WhatsApp for a discount!")
    once = _story(amina, "La partita di calcio", "Sabato abbiamo giocato una partita tutti insieme.", language="it")
    for story_id in (auto_hidden, once):
        moderation.moderate(giulia, story_id, "publish")
    for reader in readers:
        assert moderation.report(reader, auto_hidden, "spam", "Advertising, again." if reader is readers[0] else "").created
    moderation.report(readers[0], once, "hateful", "I did not like the last sentence.")
    db.session.rollback()
    assert db.session.get(Story, auto_hidden).status == "hidden"
    return {"waiting": waiting, "auto_hidden": auto_hidden, "once": once, "reporters": [r.username for r in readers]}


def _fits_the_phone(page):
    """Nothing wider than the screen, and every action at least 44 px tall (touch targets)."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    heights = page.evaluate("""() => [...document.querySelectorAll('.actions button, .actions summary, .tabs a, .filter a')]
        .filter((n) => n.offsetParent !== null).map((n) => n.getBoundingClientRect().height)""")
    assert heights and min(heights) >= 44, heights


def _status(story_id):
    db.session.remove()
    status = db.session.get(Story, story_id).status
    db.session.remove()
    return status


def test_a_facilitator_clears_both_queues_on_a_phone(app, live_server, context, queues):
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    sign_in(page, live_server.url, "giulia")

    # Both queues in Arabic first: right to left, and still within 360 px.
    for path, name in (("/review", "review-queue"), ("/review/reports", "reports-queue")):
        page.goto(live_server.url + path + "?lang=ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        _fits_the_phone(page)
        page.screenshot(path=str(ARTIFACTS / f"{name}-ar.png"), full_page=True)

    # The review queue, oldest first, with what a decision needs.
    page.goto(live_server.url + "/review")
    cards = page.locator("ol.queue > li")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("أول شتاء في سيينا")
    expect(cards.nth(1)).to_contain_text("About or by a child.")
    expect(cards.nth(1)).to_contain_text("Consent:")
    _fits_the_phone(page)
    page.screenshot(path=str(ARTIFACTS / "review-queue-en.png"), full_page=True)

    # One tap publishes the first story.
    with page.expect_navigation():
        cards.nth(0).get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_contain_text("Story published.")
    expect(cards).to_have_count(1)
    # The second is rejected with a reason its author will read.
    cards.nth(0).locator("summary", has_text="Reject").click()
    cards.nth(0).locator("select[name=reason]").select_option("personal_data")
    cards.nth(0).locator("textarea[name=note]").fill("Please remove the phone number and the address.")
    page.screenshot(path=str(ARTIFACTS / "review-reject-open-en.png"), full_page=True)
    with page.expect_navigation():
        cards.nth(0).locator("form").get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator("main")).to_contain_text("Nothing is waiting for review.")
    assert [_status(s) for s in queues["waiting"]] == ["published", "rejected"]

    # The reports queue: reasons and notes, never who reported.
    page.get_by_role("link", name="Reports").first.click()
    reported = page.locator("ol.queue > li")
    expect(reported).to_have_count(2)
    expect(reported.nth(0)).to_contain_text("Reported by 3 people")
    expect(reported.nth(0)).to_contain_text("Advertising, again.")
    for name in queues["reporters"]:
        expect(page.locator("main")).not_to_contain_text(name)
    _fits_the_phone(page)
    page.screenshot(path=str(ARTIFACTS / "reports-queue-en.png"), full_page=True)

    # The auto-hidden one stays hidden, with the facilitator's reason; the other is dismissed.
    hidden_card = reported.filter(has_text="Cheap phone cards today only")
    with page.expect_navigation():
        hidden_card.get_by_role("button", name="Keep hidden").click()
    expect(reported).to_have_count(1)
    with page.expect_navigation():
        reported.nth(0).get_by_role("button", name="Dismiss the reports").click()
    expect(page.locator("main")).to_contain_text("No open reports.")
    page.screenshot(path=str(ARTIFACTS / "reports-cleared-en.png"), full_page=True)

    assert _status(queues["auto_hidden"]) == "hidden" and _status(queues["once"]) == "published"
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(StoryReport).where(StoryReport.resolved_at.is_(None))) == 0
    db.session.remove()


def test_the_author_and_the_admin_pages_fit_a_phone(app, live_server, context, queues):
    """The author reads why on their story and account pages; the admin's audit log and
    community form stay within 360 px, in English and Arabic."""
    ARTIFACTS.mkdir(exist_ok=True)
    f.account("root", is_admin=True)
    from kultialogo.accounts.models import Account
    facilitator = db.session.scalar(select(Account).where(Account.username == "giulia"))
    moderation.moderate(facilitator, queues["waiting"][1], "reject", "personal_data", "Please remove the phone number.")
    db.session.remove()

    page = context.new_page()
    sign_in(page, live_server.url, "amina")
    for lang in ("en", "ar"):
        page.goto(f"{live_server.url}/stories/{queues['waiting'][1]}?lang={lang}")
        expect(page.locator(".moderation-reason")).to_contain_text("Please remove the phone number.")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / f"story-rejected-author-{lang}.png"), full_page=True)
    page.goto(live_server.url + "/account")
    expect(page.locator(".own-stories")).to_contain_text("Please remove the phone number.")

    admin = context.browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="en-GB")
    try:
        page = admin.new_page()
        sign_in(page, live_server.url, "root")
        for path, name in (("/admin/audit", "audit"), ("/admin/communities/siena", "community-form"),
                           ("/admin/communities/siena/members", "members")):
            for lang in ("en", "ar"):
                page.goto(f"{live_server.url}{path}?lang={lang}")
                assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, (path, lang)
                page.screenshot(path=str(ARTIFACTS / f"admin-{name}-{lang}.png"), full_page=True)
        page.goto(live_server.url + "/admin/audit")
        expect(page.locator("ol.audit > li").first).to_contain_text("Rejected a story")
        expect(page.locator("main")).to_contain_text("A story was hidden after reports by several people")
    finally:
        admin.close()
