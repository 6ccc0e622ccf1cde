"""Reading a story in Arabic on a 360 px phone: an Italian story shown in its Arabic translation,
right to left, with who translated it and the original one tap away."""
import uuid

import pytest
from playwright.sync_api import expect

from kultialogo.moderation import service as moderation
from kultialogo.stories import service as stories
from kultialogo.stories.schema import validate_content
from kultialogo.translations import service as translations
from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

ARABIC_TITLE = "المائدة الطويلة في الساحة"
ARABIC_BODY = ("في ليلة الصيف وضع الجيران طاولة طويلة في الساحة. جاء كل واحد بطبق من بلده، "
               "وجلسنا حتى منتصف الليل نتبادل الوصفات والضحكات.\n\n"
               "قالت جارتنا العجوز إنها لم تر الساحة مليئة هكذا منذ أن كانت طفلة.")


def test_an_italian_story_read_in_arabic_at_360_px(app, live_server, new_context):
    f.community("siena")
    author = f.account("marco", community_slug="siena")
    giulia = f.account("giulia", community_slug="siena", role="facilitator")
    story_id = uuid.uuid4()
    stories.write_one(author, story_id, validate_content({
        "title": "La tavolata in piazza", "language": "it", "community": "siena", "visibility": "public",
        "author_display": "name",
        "body": "Una sera d'estate i vicini hanno messo un lungo tavolo in piazza. Ognuno ha portato un piatto "
                "del suo paese e siamo rimasti fino a mezzanotte a scambiarci ricette e risate."}))
    moderation.moderate(giulia, story_id, "publish")
    translations.put(giulia, story_id, "ar", {"title": ARABIC_TITLE, "body": ARABIC_BODY,
                                              "translator_display": "name"})

    ARTIFACTS.mkdir(exist_ok=True)
    page = new_context(locale="ar").new_page()  # a phone set to Arabic (Accept-Language: ar)
    page.goto(f"{live_server.url}/stories/{story_id}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    article = page.locator("article.story")
    expect(article).to_have_attribute("lang", "ar")
    expect(page.locator("h1")).to_have_text(ARABIC_TITLE)
    expect(page.locator(".translated-note bdi")).to_have_text("Giulia")
    body = page.locator("article.story .body p").first
    expect(body).to_have_attribute("dir", "auto")
    # Arabic text in an Arabic page: it starts at the right-hand edge and nothing is wider than the phone.
    assert body.evaluate("(p) => getComputedStyle(p).direction") == "rtl"
    box = body.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] + box["width"] > width - 40, box
    overflowing = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((n) => { const r = n.getBoundingClientRect();
                          return r.width && !n.closest('.visually-hidden, .skip') && (r.right > innerWidth + 1 || r.left < -1); })
        .map((n) => n.tagName + '.' + n.className)""")
    assert overflowing == [], overflowing
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The link to the original is a proper touch target.
    original = page.locator(".translated-note a")
    assert original.bounding_box()["height"] >= 44
    page.screenshot(path=str(ARTIFACTS / "story-translated-ar-360.png"), full_page=True)

    with page.expect_navigation():
        original.click()
    expect(page.locator("article#original")).to_have_attribute("lang", "it")
    expect(page.locator("h1")).to_have_text("La tavolata in piazza")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")  # the interface stays Arabic
    expect(page.locator("nav.translations a[hreflang=ar]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "story-original-it-in-ar-360.png"), full_page=True)


def test_the_offline_feed_shows_the_pulled_translation_in_the_page_language(app, people, live_server, new_context):
    from tests.e2e.browser import eventually, sign_in, wait_for_worker
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    amina = db.session.query(Account).filter_by(username="amina").one()
    story_id = uuid.uuid4()
    stories.write_one(amina, story_id, validate_content({
        "title": "أول شتاء", "body": "وصلنا في نوفمبر، وكان البرد جديدًا علينا.", "language": "ar",
        "community": "siena", "visibility": "public", "author_display": "pseudonym"}))
    translations.put(amina, story_id, "it", {"title": "Il primo inverno", "body": "Siamo arrivati a novembre."})

    context = new_context(locale="it-IT")  # a phone set to Italian
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator(".story-card")).to_contain_text("Il primo inverno")  # the server's feed
    wait_for_worker(page)
    eventually(page, """async () => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const get = open.result.transaction('stories').objectStore('stories').get('%s');
            get.onsuccess = () => { open.result.close();
                resolve(!!(get.result && (get.result.translations || []).length)); };
        };
    })""" % story_id)
    context.set_offline(True)
    page.reload()
    card = page.locator("#feed[data-from=phone] .story-card", has_text="Il primo inverno")
    expect(card).to_be_visible()
    expect(card.locator("article")).to_have_attribute("lang", "it")
    expect(card.locator(".translated-mark")).to_be_visible()
    expect(card).to_contain_text("Siamo arrivati a novembre.")
    expect(card).not_to_contain_text("وصلنا")
