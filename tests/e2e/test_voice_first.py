"""Voice-first writing for people who read little (issue #8, item 5).

A voice story is recorded and sent with controls found by their role and their icon only
(data-icon from a fixed list), never by reading the page's words; the speaker buttons speak
with the page's language; the first-use hint shows until closed once; without speech synthesis no
speaker button is shown. speechSynthesis.speak is recorded by an init script (headless
Chromium may have no voices), and getVoices() answers with no voices listed yet, so the
browser's own choice from utterance.lang applies.
"""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, eventually, outbox, rows, sign_in, wait_for_worker
from tests.e2e.test_media_capture import media_browser, phone, ready_to_write, story  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

# Every icon a control may carry; a test names a control by one of these and its role.
ICONS = {"stories", "write", "events", "account", "join", "signin", "signout", "language", "speaker",
         "mic", "stop", "pause", "play", "again", "send", "help", "close", "phone", "sent", "next"}

RECORD_SPEECH = """(() => {
    window.__spoken = [];
    if (!self.speechSynthesis) return;
    speechSynthesis.speak = (u) => { window.__spoken.push({ text: u.text, lang: u.lang }); };
    speechSynthesis.cancel = () => {};
    speechSynthesis.getVoices = () => [];
})()"""

NO_SPEECH = """(() => {
    delete window.SpeechSynthesisUtterance;
    Object.defineProperty(window, 'speechSynthesis', { value: undefined, configurable: true });
})()"""


def button(scope, icon):
    assert icon in ICONS
    return scope.get_by_role("button").and_(scope.locator(f"[data-icon={icon}]"))


def spoken(page):
    return page.evaluate("() => window.__spoken")


def last_spoken(page, count_before):
    """The utterance spoken after `count_before` ones, once it has been."""
    eventually(page, f"async () => window.__spoken.length > {count_before}")
    return spoken(page)[-1]


def speaking_phone(phone, **options):
    context = phone(**options)
    context.add_init_script(RECORD_SPEECH)
    return context


def voice_mode(page):
    toggle = button(page, "mic").and_(page.locator(".voice-start *"))
    expect(toggle).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    return toggle


def test_a_voice_story_is_recorded_and_sent_offline_with_icons_only_and_arrives_once_with_its_audio(
        app, people, live_server, phone):
    context = speaking_phone(phone)
    page = ready_to_write(context, live_server.url)
    lang = page.evaluate("() => document.documentElement.lang")
    context.set_offline(True)
    voice_mode(page)
    said = len(spoken(page))
    assert said >= 1 and spoken(page)[-1]["lang"] == lang  # what to do, said on entering
    # What a voice story does not need is out of the way; the safest answers are chosen.
    expect(page.locator("#title")).to_be_hidden()
    expect(page.locator("#body")).to_be_hidden()
    expect(page.locator("input[name=author_display][value=anonymous]")).to_be_checked()
    expect(page.locator("input[name=visibility][value=community]")).to_be_checked()
    recorder = page.locator(".recorder")
    big = recorder.locator("button[data-icon=mic]").bounding_box()
    assert big["height"] >= 48 and big["width"] >= 48

    # Send before recording: nothing is queued, the person hears what to do.
    button(page, "send").click()
    assert last_spoken(page, said)["text"] == "Record your story first."
    assert outbox(page) == []

    button(recorder, "mic").click()
    expect(button(recorder, "stop")).to_be_focused()
    expect(recorder.locator(".elapsed")).to_have_text("00:02")
    button(recorder, "stop").click()
    listen = button(recorder, "play")
    expect(listen).to_be_visible()
    listen.click()
    expect(button(recorder, "pause")).to_be_visible()  # playing: the same button now pauses
    button(recorder, "pause").click()
    expect(listen).to_be_visible()

    # Who may hear it: the question and its options, spoken in the page's language.
    said = len(spoken(page))
    button(page.locator("#visibility-set"), "speaker").click()
    heard = last_spoken(page, said)
    assert heard["lang"] == lang
    assert heard["text"].startswith("Who may read it?") and "Only my community (chosen)" in heard["text"]
    said = len(spoken(page))
    button(page.locator("#safety-checks"), "speaker").click()
    assert "No full names" in last_spoken(page, said)["text"]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voice-write-en.png"), full_page=True)

    said = len(spoken(page))
    button(page, "send").click()
    done = page.locator(".voice-done")
    expect(done).to_have_attribute("data-icon", "phone")
    assert "saved on this phone" in last_spoken(page, said)["text"]
    [item] = outbox(page)
    assert item["data"]["author_display"] == "anonymous" and item["data"]["visibility"] == "community"
    assert len(item["data"]["media"]) == 1
    assert rows(app, item["id"]) == 0

    said = len(spoken(page))
    context.set_offline(False)
    expect(done).to_have_attribute("data-icon", "sent")
    assert last_spoken(page, said)["text"] == "Your story was sent."
    assert rows(app, item["id"]) == 1
    saved = story(app, item["id"])
    # Anonymous, so the voice was disguised (issue #17): the story names the server's file.
    assert saved["title"] == "" and len(saved["media"]) == 1 and saved["media"] != item["data"]["media"]
    [sent] = outbox(page) or [None]
    assert sent is None or sent["data"]["media"] == saved["media"]
    page.screenshot(path=str(ARTIFACTS / "voice-sent-en.png"), full_page=True)


def test_speaker_buttons_and_heard_buttons_speak_arabic_in_arabic(app, people, live_server, phone):
    context = speaking_phone(phone, locale="ar")
    page = ready_to_write(context, live_server.url)
    assert page.evaluate("() => [document.documentElement.lang, document.dir]") == ["ar", "rtl"]
    voice_mode(page)
    legend = page.locator("#author_display-set legend").inner_text()
    chosen = page.locator("#author_display-set label", has=page.locator("input[value=anonymous]")).inner_text()
    said = len(spoken(page))
    button(page.locator("#author_display-set"), "speaker").click()
    heard = last_spoken(page, said)
    assert heard["lang"] == "ar" and heard["text"].startswith(legend.strip()) and chosen.strip() in heard["text"]
    # The send arrow points along the reading direction.
    flip = page.locator("button.send svg").evaluate("(svg) => getComputedStyle(svg).transform")
    assert flip.startswith("matrix(-1")
    page.screenshot(path=str(ARTIFACTS / "voice-write-ar.png"), full_page=True)

    # "Hear the buttons": the first tap says a link's label, the second follows it.
    mode = button(page, "speaker").and_(page.locator(".speak-mode"))
    mode.click()
    expect(mode).to_have_attribute("aria-pressed", "true")
    stories = page.get_by_role("link").and_(page.locator("nav [data-icon=stories]"))
    said = len(spoken(page))
    stories.click()
    heard = last_spoken(page, said)
    assert heard == {"text": stories.inner_text().strip(), "lang": "ar"}
    assert page.url.endswith("/write")
    with page.expect_navigation():
        stories.click()
    assert not page.url.endswith("/write")
    expect(page.locator(".speak-mode")).to_have_attribute("aria-pressed", "true")  # remembered


def test_the_first_use_hint_shows_once_speaks_and_can_be_opened_again(app, people, live_server, phone):
    context = speaking_phone(phone)
    page = ready_to_write(context, live_server.url)
    # A first visit (ready_to_write may have loaded /write twice while the worker took over).
    page.evaluate("() => localStorage.removeItem('kultialogo-voice-hint-seen')")
    page.reload()
    hint = page.locator("#voice-hint")
    expect(hint).to_be_visible()
    page.reload()  # not closed yet: still there on the next visit
    expect(hint).to_be_visible()
    expect(hint.locator("[data-icon]")).to_have_count(5)  # record, listen, send and two buttons
    assert hint.locator("li[data-icon]").evaluate_all("(li) => li.map((x) => x.dataset.icon)") == ["mic", "play", "send"]
    said = len(spoken(page))
    button(hint, "speaker").click()
    assert last_spoken(page, said)["text"].startswith("How to send a voice story. Record. Listen. Send.")
    button(hint, "close").click()
    expect(hint).to_be_hidden()
    expect(button(page, "help")).to_be_focused()
    page.reload()
    expect(button(page, "help")).to_be_visible()
    expect(hint).to_be_hidden()  # closed once: not on the next visit
    button(page, "help").click()
    expect(hint).to_be_visible()


def test_without_speech_synthesis_no_speaker_button_is_shown_and_voice_mode_still_works(
        app, people, live_server, phone):
    context = phone()
    context.add_init_script(NO_SPEECH)
    page = ready_to_write(context, live_server.url)
    voice_mode(page)
    assert page.locator("button[data-speak]").count() >= 4
    expect(page.locator("button[data-speak]:visible")).to_have_count(0)
    expect(page.locator(".speak-mode")).to_be_hidden()
    expect(button(page.locator(".recorder"), "mic")).to_be_visible()


def test_without_javascript_no_voice_or_speaker_button_shows(app, people, live_server, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    expect(page.locator("#compose")).to_be_visible()
    expect(page.locator(".voice-start")).to_be_hidden()
    expect(page.locator("#voice-hint")).to_be_hidden()
    expect(page.locator("button[data-speak]:visible")).to_have_count(0)
    expect(page.locator(".speak-mode")).to_be_hidden()
    # Icons sit beside the words: every nav link keeps its text.
    for link in page.locator("nav a[data-icon]").all():
        assert link.inner_text().strip() and link.get_attribute("data-icon") in ICONS


def fake_voices(voices):
    """speechSynthesis with these voices listed; utterances recorded with the voice chosen."""
    return """((voices) => {
        window.__spoken = [];
        class Utterance { constructor(text) { this.text = text; this.lang = ''; this.voice = null; } }
        window.SpeechSynthesisUtterance = Utterance;
        speechSynthesis.getVoices = () => voices;
        speechSynthesis.cancel = () => {};
        speechSynthesis.speak = (u) => { window.__spoken.push({ text: u.text, lang: u.lang, voice: u.voice && u.voice.name }); };
    })(%s)""" % voices


def test_the_voice_is_the_closest_to_the_page_language_and_none_means_no_speaker_buttons(
        app, people, live_server, phone):
    near = phone(locale="ar")
    near.add_init_script(fake_voices('[{"lang": "en-US", "name": "English"}, {"lang": "ar-EG", "name": "Arabic"}]'))
    page = ready_to_write(near, live_server.url)
    said = len(spoken(page))
    button(page.locator("#visibility-set"), "speaker").click()
    assert last_spoken(page, said) | {"text": ""} == {"text": "", "lang": "ar", "voice": "Arabic"}

    far = phone(locale="ar")
    far.add_init_script(fake_voices('[{"lang": "en-US", "name": "English"}]'))
    page = ready_to_write(far, live_server.url)
    expect(button(page.locator(".recorder"), "mic")).to_be_visible()
    assert page.locator("button[data-speak]").count() >= 4
    expect(page.locator("button[data-speak]:visible")).to_have_count(0)
    expect(page.locator(".speak-mode")).to_be_hidden()
