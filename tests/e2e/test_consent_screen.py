"""The consent screen (#17): the last step before a public story with a photo or a recording is
sent shows what others will see and hear, in the person's language, with big buttons; with
JavaScript off, the server's confirmation page does the same before it publishes.

Screenshots (360x740, English and Arabic) go to test-artifacts/consent-*.png.
"""
import pytest
from playwright.sync_api import expect

from bench.media_samples import camera_photo
from tests.e2e.browser import ARTIFACTS, PHONE, SQLITE_ONLY, eventually, outbox, rows, sign_in
from tests.e2e.test_media_capture import (media_browser, mine, phone, ready_to_write,  # noqa: F401
                                          record, story)

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

PHOTO = [{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": camera_photo((2000, 1500))}]


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consent-{name}.png"))
    page.locator("section.consent button").last.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"consent-{name}-end.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide"


def big_enough(locator):
    """Every button of the screen is at least 48 px high and wide, and inside the phone."""
    for box in locator.evaluate_all("(buttons) => buttons.filter((b) => !b.hidden).map((b) => b.getBoundingClientRect().toJSON())"):
        assert box["height"] >= 48 and box["width"] >= 48, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def public_story_with_a_photo(page):
    page.fill("#title", "The market on Saturday")
    page.fill("#body", "Oranges, bread and a man selling radios.")
    page.get_by_label("Everyone (public)").check()
    page.set_input_files("input[type=file][name=photo]", files=PHOTO)
    page.locator(".blur button.primary").click()  # the blur tool opens on a photo: keep it as it is
    expect(page.locator(".attachment-photo .media-size")).to_contain_text("KB to send")


def test_a_public_story_with_a_photo_is_shown_back_go_back_keeps_it_and_send_queues_it_once(app, people, live_server, phone):  # noqa: F811
    context = phone()
    # What the phone's speech synthesis is asked to say (headless Chromium has no voices).
    context.add_init_script("""speechSynthesis.speak = (u) => { window.spoken = u.text; };""")
    page = ready_to_write(context, live_server.url)
    context.set_offline(True)
    public_story_with_a_photo(page)
    page.get_by_role("button", name="Send").click()

    screen = page.locator("section.consent")
    heading = screen.get_by_role("heading", name="Check before you send")
    expect(heading).to_be_focused()
    expect(page.locator("#compose")).to_be_hidden()
    expect(screen).to_contain_text("Anyone on the internet can see this story")
    expect(screen.locator(".consent-name")).to_have_text("amina")
    expect(screen).to_contain_text("Oranges, bread and a man selling radios.")
    photo = screen.get_by_role("img", name="Your photo, as it will be published")
    expect(photo).to_be_visible()
    # The photo shown is the one that will be sent: made small on the phone (1600 px wide).
    eventually(page, "() => document.querySelector('section.consent img').naturalWidth === 1600")
    big_enough(screen.get_by_role("button"))
    shot(page, "en")
    screen.get_by_role("button", name="Listen").click()
    spoken = page.evaluate("window.spoken")
    for words in ("Check before you send", "The market on Saturday", "Oranges, bread",
                  "Anyone on the internet can see this story", "amina"):
        assert words in spoken
    assert outbox(page) == []

    screen.get_by_role("button", name="Go back and change").click()
    expect(screen).to_have_count(0)
    expect(page.locator("#title")).to_have_value("The market on Saturday")
    expect(page.locator("#body")).to_have_value("Oranges, bread and a man selling radios.")
    expect(page.get_by_label("Everyone (public)")).to_be_checked()
    expect(page.locator(".attachment-photo img.thumb")).to_be_visible()
    expect(page.locator("#title")).to_be_focused()
    assert outbox(page) == []

    page.fill("#title", "The market on Sunday")
    page.get_by_role("button", name="Send").click()
    expect(screen.get_by_role("heading", level=3)).to_have_text("The market on Sunday")
    screen.get_by_role("button", name="Send").click()
    expect(mine(page, "The market on Sunday")).to_contain_text("Saved on this phone")
    expect(screen).to_have_count(0)
    [item] = outbox(page)
    assert item["data"]["visibility"] == "public" and len(item["data"]["media"]) == 1

    context.set_offline(False)
    expect(mine(page, "The market on Sunday")).to_contain_text("waiting for review", timeout=20_000)  # an upload
    assert rows(app, item["id"]) == 1
    assert story(app, item["id"])["media"] == item["data"]["media"]


def test_a_community_story_without_media_skips_the_screen(app, people, live_server, phone):  # noqa: F811
    context = phone()
    page = ready_to_write(context, live_server.url)
    context.set_offline(True)
    page.fill("#title", "Only for us")
    page.fill("#body", "A story for the community.")
    page.get_by_label("Only my community").check()
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "Only for us")).to_contain_text("Saved on this phone")
    expect(page.locator("section.consent")).to_have_count(0)
    assert len(outbox(page)) == 1
    # consent.js was never fetched for it.
    assert not page.evaluate("performance.getEntriesByType('resource').some((e) => e.name.includes('/consent.'))")


def test_offline_the_screen_says_the_voice_will_be_disguised_and_plays_nothing(app, people, live_server, phone):  # noqa: F811
    context = phone()
    page = ready_to_write(context, live_server.url, disguise=True)
    page.get_by_label("Anonymous").check()
    expect(page.locator("#disguise_voice")).to_be_checked()
    page.get_by_label("Everyone (public)").check()
    context.set_offline(True)
    record(page, seconds=2)
    page.fill("#title", "A song nobody should recognise")
    page.get_by_role("button", name="Send").click()
    screen = page.locator("section.consent")
    expect(screen).to_contain_text("Your voice will be disguised before anyone hears it.")
    expect(screen.locator("audio")).to_have_count(0)  # the undisguised voice is not offered as what others hear
    expect(screen.locator(".consent-name")).to_have_text("Without your name")
    screen.get_by_role("button", name="Send").click()
    expect(mine(page, "A song nobody should recognise")).to_contain_text("Saved on this phone")
    [item] = outbox(page)
    assert len(item["data"]["media"]) == 1


def test_online_the_screen_plays_the_disguised_voice_and_the_story_names_that_file(app, people, live_server, phone):  # noqa: F811
    context = phone()
    page = ready_to_write(context, live_server.url, disguise=True)
    page.get_by_label("Anonymous").check()
    page.get_by_label("Everyone (public)").check()
    record(page, seconds=2)
    page.fill("#title", "Heard as others hear it")
    page.get_by_role("button", name="Send").click()
    screen = page.locator("section.consent")
    expect(screen).to_contain_text("Your voice is disguised: this is how others will hear it.")
    src = screen.locator("audio").get_attribute("src")
    assert src.startswith("/media/")
    heard = src.rsplit("/", 1)[1]
    screen.get_by_role("button", name="Send").click()
    expect(mine(page, "Heard as others hear it")).to_contain_text("waiting for review")
    [item_id] = page.locator(".mine-item").evaluate_all("(items) => items.map((li) => li.dataset.id)")
    assert story(app, item_id)["media"] == [heard]  # exactly the recording the person heard


def test_without_speech_synthesis_listen_plays_the_recording_others_will_hear(app, people, live_server, phone):  # noqa: F811
    context = phone()
    context.add_init_script("delete Window.prototype.speechSynthesis; delete window.speechSynthesis;")
    page = ready_to_write(context, live_server.url)  # the voice is not disguised here
    assert page.evaluate("!('speechSynthesis' in window)")
    page.get_by_label("Everyone (public)").check()
    record(page, seconds=2)
    context.set_offline(True)
    page.get_by_role("button", name="Send").click()
    screen = page.locator("section.consent")
    expect(screen).to_contain_text("This is how others will hear your recording.")
    audio = screen.locator("audio")
    assert audio.evaluate("(a) => a.paused")
    screen.get_by_role("button", name="Listen").click()
    eventually(page, "() => !document.querySelector('section.consent audio').paused")


def test_the_screen_in_arabic_reads_right_to_left(app, people, live_server, phone):  # noqa: F811
    context = phone(locale="ar")
    page = ready_to_write(context, live_server.url)
    page.goto(live_server.url + "/write?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#compose[data-enhanced]")).to_have_count(1)
    context.set_offline(True)
    page.fill("#title", "سوق يوم السبت")
    page.fill("#body", "برتقال وخبز ورجل يبيع أجهزة الراديو.")
    page.locator("input[name=visibility][value=public]").check()
    page.set_input_files("input[type=file][name=photo]", files=PHOTO)
    page.locator(".blur button.primary").click()  # the blur tool's "Done", in Arabic
    expect(page.locator(".attachment-photo img.thumb")).to_be_visible()
    page.locator("button.send").click()
    screen = page.locator("section.consent")
    expect(screen.locator("h2")).to_be_focused()
    expect(screen.locator("h3")).to_have_text("سوق يوم السبت")
    big_enough(screen.get_by_role("button"))
    # Right to left: the buttons' icons sit at their right edge, the text starts on the right.
    send = screen.locator("button.primary").bounding_box()
    icon = screen.locator("button.primary svg").bounding_box()
    assert icon["x"] > send["x"] + send["width"] / 2
    shot(page, "ar")


def test_without_javascript_the_server_shows_the_story_back_before_it_publishes(app, people, live_server, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    page.fill("#title", "The market on Saturday")
    page.fill("#body", "Oranges, bread and a man selling radios.")
    page.get_by_label("Everyone (public)").check()
    page.set_input_files("input[type=file][name=photo]", files=PHOTO)
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you send")
    expect(page.locator("main")).to_contain_text("Anyone on the internet can see this story")
    expect(page.locator(".consent-name")).to_have_text("amina")
    photo = page.get_by_role("img", name="Your photo, as it will be published")
    expect(photo).to_be_visible()
    assert photo.evaluate("(img) => img.complete && img.naturalWidth > 0")  # the stored photo itself
    big_enough(page.locator("section.consent button"))
    shot(page, "nojs-en")
    id_value = page.locator("input[name=id]").get_attribute("value")
    assert rows(app, id_value) == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Go back and change").click()
    expect(page.locator("#title")).to_have_value("The market on Saturday")
    expect(page.get_by_label("Keep this photo")).to_be_checked()
    page.fill("#title", "The market on Sunday")
    with page.expect_navigation():
        page.locator("form.compose button.send").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("The market on Sunday")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("waiting for review")
    assert rows(app, id_value) == 1
    assert len(story(app, id_value)["media"]) == 1
