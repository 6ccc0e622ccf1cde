"""Personal data pointed out before sending (#17): the story form, a reply and a translation
show what they found, with Keep / Remove / Replace for each and "Send as it is", with signal and
without, in English and right to left in Arabic. The person decides; nothing is refused."""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, REPO, SQLITE_ONLY, eventually, outbox, sign_in, wait_for_worker
from tests.e2e.test_offline_records import EMPTY_OUTBOX, _saved, _status, _world

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

# The msgids disclosure.js shares with the server (already in the catalogs, for moderation).
REUSED = ["[phone number removed]", "[e-mail removed]", "[address removed]", "[document number removed]",
          "[name removed]", "Phone number", "E-mail address", "Street address", "Document number",
          "Full name of someone in the community", "Remove", "Send"]


NEW = ["Personal details in your text", "This could help someone find a person. Keep, remove or replace each one.",
       "Keep", "Replace", "Send as it is"]


def _catalog(locale) -> dict:
    """The translated strings the warning shows, from the committed catalog (the client's
    bundles are compiled from it)."""
    from babel.messages.pofile import read_po
    with open(REPO / "server/i18n/translations" / locale / "LC_MESSAGES/messages.po", "rb") as fh:
        po = read_po(fh, locale=locale)
    out = {m: po[m].string for m in REUSED + NEW if po.get(m) is not None and po[m].string}
    assert set(NEW) <= set(out), "the warning's strings are translated"
    return out


def _with_strings(page, locale):
    return _catalog(locale)


def _named(username, display_name, slug="siena"):
    from kultialogo.extensions import db
    account = f.account(username, community_slug=slug)
    account.display_name = display_name
    db.session.commit()
    return account


def _story_body(title):
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    found = [s.body for s in db.session.scalars(select(Story).where(Story.title == title))]
    db.session.remove()
    return found


def _mine(page, title):
    return page.locator(".mine-item", has_text=title)


def _choose(box, n, choice):
    box.locator("li").nth(n).get_by_label(choice, exact=True).check()


def _big_enough(box):
    for target in box.locator("label.choice, button").all():
        assert target.bounding_box()["height"] >= 44, target.inner_text()


def test_story_with_a_name_a_number_and_an_email_is_sent_as_the_person_chose(app, people, live_server, context):
    _named("paolo", "Paolo Bianchi")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "A call")
    page.fill("#body", "I talked to Paolo Bianchi. His number is 333 123 4567, write to paolo@example.it")
    page.select_option("#language", "en")
    page.get_by_role("button", name="Send", exact=True).click()

    box = page.locator("section.pii")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text("Personal details in your text")
    items = box.locator("li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Full name of someone in the community: Paolo Bianchi")
    expect(items.nth(1)).to_contain_text("Phone number: 333 123 4567")
    expect(items.nth(2)).to_contain_text("E-mail address: paolo@example.it")
    expect(items.nth(1).get_by_label("Replace", exact=True)).to_be_checked()  # the careful choice first
    _big_enough(box)
    assert outbox(page) == []  # nothing has left the form yet
    ARTIFACTS.mkdir(exist_ok=True)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "disclosure-warning-en-360.png"))

    _choose(box, 0, "Remove")
    _choose(box, 1, "Replace")
    _choose(box, 2, "Keep")
    box.get_by_role("button", name="Send", exact=True).click()
    expect(box).to_have_count(0)
    expect(_mine(page, "A call")).to_contain_text("waiting for review")
    assert _story_body("A call") == ["I talked to. His number is [phone number removed], write to paolo@example.it"]


def test_send_as_it_is_sends_every_word_and_plain_words_are_not_stopped(app, people, live_server, context):
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "Nothing to see")
    page.fill("#body", "In 1998 we paid 1500 euros on 12.05.2023 at 10:30; 200 people came.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(_mine(page, "Nothing to see")).to_contain_text("waiting for review")  # no question asked
    expect(page.locator("section.pii")).to_have_count(0)

    page.fill("#title", "My own number")
    page.fill("#body", "Call me on +31 6 1234 5678.")
    page.get_by_role("button", name="Send", exact=True).click()
    box = page.locator("section.pii")
    expect(box).to_be_visible()
    box.get_by_role("button", name="Send as it is").click()
    expect(_mine(page, "My own number")).to_contain_text("waiting for review")
    assert _story_body("My own number") == ["Call me on +31 6 1234 5678."]


def test_offline_the_warning_works_from_the_phone_with_the_names_it_kept(app, people, live_server, context):
    _named("paolo", "Paolo Bianchi")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    wait_for_worker(page)
    eventually(page, """async () => {
        const shell = (await caches.keys()).find((n) => n.startsWith('kultialogo-shell-v'));
        const urls = (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname);
        return urls.some((u) => /^\\/static\\/js\\/disclosure\\.[0-9a-f]{10}\\.js$/.test(u));
    }""")  # precached with the shell, though no page has loaded it yet
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/write', { ignoreVary: true }))""")
    # Once with signal: the phone asks for the community's name hashes and keeps them.
    page.goto(live_server.url + "/write")
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "With signal")
    page.fill("#body", "Paolo Bianchi helped us.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("section.pii").get_by_role("button", name="Send as it is").click()
    expect(_mine(page, "With signal")).to_contain_text("waiting for review")

    page.context.set_offline(True)
    page.goto(live_server.url + "/write")  # the page and its modules from the phone
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "No signal")
    page.fill("#body", "Paolo Bianchi lives in via dei Rossi 12, call 0577 123456.")
    page.select_option("#language", "en")
    page.get_by_role("button", name="Send", exact=True).click()
    box = page.locator("section.pii")
    expect(box.locator("li")).to_have_count(3)
    expect(box.locator("li").nth(0)).to_contain_text("Paolo Bianchi")
    expect(box.locator("li").nth(1)).to_contain_text("via dei Rossi 12")
    expect(box.locator("li").nth(2)).to_contain_text("0577 123456")
    _choose(box, 0, "Keep")
    _choose(box, 1, "Replace")
    _choose(box, 2, "Remove")
    box.get_by_role("button", name="Send", exact=True).click()
    expect(_mine(page, "No signal")).to_contain_text("Saved on this phone")
    [item] = outbox(page)
    assert item["data"]["body"] == "Paolo Bianchi lives in [address removed], call."
    page.context.set_offline(False)
    expect(_mine(page, "No signal")).to_contain_text("waiting for review")
    assert _story_body("No signal") == ["Paolo Bianchi lives in [address removed], call."]


def test_a_reply_with_a_name_and_an_address_is_sent_with_placeholders(app, live_server, context):
    from kultialogo.extensions import db
    from kultialogo.replies.models import Reply
    world = _world()
    _named("paolo", "Paolo Bianchi")
    f.account("bojan", community_slug="siena")
    page = context.new_page()
    sign_in(page, live_server.url, "bojan")
    page.goto(f"{live_server.url}/stories/{world['story']}")
    form = page.locator("form[data-outbox-kind=reply][data-enhanced]")
    form.locator("textarea[name=body]").fill("Paolo Bianchi lives at via dei Rossi 12, ask him.")
    form.locator("button[type=submit]").click()
    box = form.locator("section.pii")
    expect(box.locator("li")).to_have_count(2)
    box.get_by_role("button", name="Send", exact=True).click()  # Replace is the first choice
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    eventually(page, EMPTY_OUTBOX)
    db.session.remove()
    assert [r.body for r in db.session.scalars(select(Reply))] == ["[name removed] lives at [address removed], ask him."]
    db.session.remove()


def test_a_translation_gets_placeholders_in_its_own_language(app, live_server, new_context):
    """A translation into Italian from an English page: "[numero di telefono rimosso]", as the
    moderator's redaction would write it in that translation."""
    from kultialogo.extensions import db
    from kultialogo.translations.models import StoryTranslation
    world = _world()
    italian = _catalog("it")
    page = new_context(service_workers="block").new_page()
    _with_strings(page, "it")  # the Italian strings the phone asks for, as they will be compiled
    sign_in(page, live_server.url, "giulia")
    page.goto(f"{live_server.url}/stories/{world['story']}")
    form = page.locator("form[data-outbox-kind=translation][data-enhanced]")
    page.locator("details.translate summary").click()
    form.locator("select[name=language]").select_option("it")
    form.locator("input[name=title]").fill("Il ponte di notte")
    form.locator("textarea[name=body]").fill("Chiamate Marta al 333 123 4567 per il ponte.")
    form.locator("button[type=submit]").click()
    box = form.locator("section.pii")
    expect(box.locator("li")).to_have_count(1)
    box.get_by_role("button", name="Send", exact=True).click()
    expect(_status(form)).to_have_attribute("data-state", "sent", timeout=30_000)
    db.session.remove()
    [body] = [t.body for t in db.session.scalars(select(StoryTranslation))]
    db.session.remove()
    assert body == f"Chiamate Marta al {italian['[phone number removed]']} per il ponte."
    assert italian["[phone number removed]"] != "[phone number removed]"


def test_the_warning_reads_right_to_left_in_arabic(app, people, live_server, new_context):
    page = new_context(locale="ar", service_workers="block").new_page()
    arabic = _with_strings(page, "ar")
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "بيتنا")
    page.fill("#body", "أسكن في شارع الحمرا 12 ورقمي +963 933 123 456، تعالوا.")
    page.select_option("#language", "ar")
    page.locator("form#compose button[type=submit]").click()
    box = page.locator("section.pii")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text(arabic["Personal details in your text"])
    expect(box.locator("li")).to_have_count(2)
    assert box.evaluate("(b) => getComputedStyle(b).direction") == "rtl"
    number = box.locator("li").nth(1).locator("bdi")
    expect(number).to_have_text("+963 933 123 456")
    expect(number).to_have_attribute("dir", "ltr")  # the digit groups stay in their order
    _big_enough(box)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Right to left: each choice's radio button is on its right.
    label = box.locator("label.choice").first
    assert label.locator("input").bounding_box()["x"] > label.bounding_box()["x"] + label.bounding_box()["width"] / 2
    ARTIFACTS.mkdir(exist_ok=True)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "disclosure-warning-ar-360.png"))
    box.get_by_role("button", name=arabic["Send"], exact=True).click()
    expect(_mine(page, "بيتنا")).to_be_visible()
    eventually(page, EMPTY_OUTBOX, timeout_ms=30_000)
    assert _story_body("بيتنا") == [f"أسكن في {arabic['[address removed]']} ورقمي {arabic['[phone number removed]']}، تعالوا."]
