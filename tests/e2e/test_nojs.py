"""The whole story loop with JavaScript off, in a real Chromium on a phone-sized screen.

Sign up, sign in, write, see it waiting, a facilitator publishes it from the review list, and it
is on the feed. Screenshots of the feed, write and story pages in English and Arabic go to
test-artifacts/ for a person to look at (layout at 360 px, right-to-left).
"""
import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, PHONE, SQLITE_ONLY, sign_in

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

TITLE = "My first winter in Siena"
BODY = ("The first snow surprised me. My neighbour brought soup and we talked with our hands.\n\n"
        "Now I teach her daughter a few words of Arabic every Sunday.")


def _seed(app):
    """A facilitator, and two published stories so the feed looks like a feed."""
    from tests.pages.util import story
    f.community("siena", names={"en": "Siena", "it": "Siena", "ar": "سيينا"})
    giulia = f.account("giulia", community_slug="siena", role="facilitator")
    story(giulia, "جدتي والطبخ", language="ar",
          body="علمتني جدتي أن الطعام ذاكرة. في سيينا طبخت المقلوبة لجيراني، فأخبروني عن أطباق جداتهم.")
    story(giulia, "La partita di calcio", language="it",
          body="Sabato abbiamo giocato una partita: siriani, senegalesi e senesi mescolati.")


def _join(username, community="siena"):
    """What a facilitator does for a newcomer (outside this flow): add them to the community."""
    from kultialogo.accounts.models import Account, Membership
    from kultialogo.extensions import db
    db.session.remove()
    account = db.session.query(Account).filter_by(username=username).one()
    db.session.add(Membership(account_id=account.id, community_id=f.community(community).id, role="participant"))
    db.session.commit()
    db.session.remove()


def _sign_out(page):
    # A facilitator's "Sign out" is under "More" (a <details>: it opens without JavaScript).
    more = page.locator("details.nav-more:not([open]) > summary")
    if more.count():
        more.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"nojs-{name}.png"), full_page=True)
    # Readable at phone width: nothing wider than the screen (no sideways scrolling).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide"


def test_story_loop_without_javascript(app, live_server, new_context):
    _seed(app)
    base = live_server.url
    context = new_context(java_script_enabled=False)
    page = context.new_page()

    # Sign up: a username and a password, no email.
    page.goto(base + "/")
    page.get_by_role("link", name="Join").click()
    page.fill("#username", "amina")
    page.fill("#password", "a long password")
    page.fill("#confirm", "a long password")
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_have_text("Welcome! Your account is ready.")
    _sign_out(page)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    _join("amina")
    sign_in(page, base, "amina", "a long password")

    # Write: the form works as a plain form post.
    page.get_by_role("link", name="Write").click()
    expect(page.get_by_role("heading", name="Write a story")).to_be_visible()
    page.fill("#title", TITLE)
    page.fill("#body", BODY)
    page.get_by_label("Everyone (public)").check()
    _shot(page, "en-write")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("waiting for review")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".badge")).to_have_text("Waiting for review")
    _shot(page, "en-story")
    story_url = page.url
    _sign_out(page)
    page.goto(story_url)
    expect(page.locator("h1")).not_to_have_text(TITLE)  # not public yet: 404 for everyone else

    # The facilitator publishes it from the review list.
    sign_in(page, base, "giulia")
    page.get_by_role("link", name="Review").click()
    card = page.locator(".story-card", has_text=TITLE)
    with page.expect_navigation():
        card.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Story published.")
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
    _sign_out(page)

    # On the feed, for anyone.
    expect(page.locator(".story-card").first).to_contain_text(TITLE)
    _shot(page, "en-feed")

    # The same pages in Arabic, chosen with the language form (no script needed).
    page.select_option("#lang-select", "ar")
    with page.expect_navigation():
        page.locator("form.lang button").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("h1")).to_have_text("القصص")
    _shot(page, "ar-feed")
    page.locator(".story-card", has_text=TITLE).get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    _shot(page, "ar-story")
    page.goto(base + "/signin")
    page.fill("#username", "amina")
    page.fill("#password", "a long password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(base + "/write")
    expect(page.locator("h1")).to_have_text("اكتب قصة")
    _shot(page, "ar-write")
