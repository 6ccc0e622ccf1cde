"""Issue #8, done when: a newcomer who speaks only Pashto and a host who speaks only Serbian each
join with a code, read the feed and a story, write a story (and the newcomer records a voice
story) and send it. On every screen: the page is in their language and direction (ps, rtl;
sr-Latn, ltr), no English interface words show, and axe-core (with the project's own checks:
44 px targets, visible focus) finds nothing. Each story arrives on the server once.

The browsers ask for the language as a phone set to it does (locale and Accept-Language); no
one picks a language in the app. The fake microphone is test_media_capture's.
"""
import datetime
import json
import re

import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories as f
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, stories_titled
from tests.e2e.pages import settle
from tests.e2e.test_accessibility import AUDIT, AXE_TAGS, _report, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_media_capture import media_browser, phone  # noqa: F401 (fixtures)
from tests.e2e.test_voice_first import button, voice_mode

pytestmark = [pytest.mark.e2e]

# English words of these screens that must not show to someone reading another language.
ENGLISH = ["Write a story", "Send", "Sign in", "Join", "Stories", "Record", "Write", "Account", "Language",
           "Welcome", "Password", "Username", "Title", "Your story", "Listen", "Stop", "Who may read it?"]
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

# The visible text of the page and the names given in attributes (aria-label, title, alt,
# placeholder) of visible elements; user content (a story, a name: an element with its own dir
# or a <bdi>) is left out, since a story may be in any language.
INTERFACE_TEXT = """() => {
    const shown = (el) => el && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
    const mine = (el) => !el.closest('bdi, [dir]:not(html), .story .body, .excerpt, .sprite');
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim();
        if (text && shown(node.parentElement) && mine(node.parentElement)) texts.push(text);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
        if (!shown(el) || !mine(el)) continue;
        for (const name of ['aria-label', 'title', 'alt', 'placeholder']) if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
    return { lang: document.documentElement.lang, dir: document.documentElement.dir, texts, title: document.title };
}"""


class Journey:
    """Checks each screen a person sees and remembers what went wrong where."""

    def __init__(self, page, lang, direction, name):
        self.page, self.lang, self.direction, self.name = page, lang, direction, name
        self.problems, self.screens = {}, []

    def check(self, screen):
        page = self.page
        settle(page)
        self.screens.append(screen)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"journey-{self.name}-{len(self.screens):02d}-{screen.replace(' ', '-')}.png"), full_page=True)
        found = []
        shown = page.evaluate(INTERFACE_TEXT)
        assert len(shown["texts"]) > 5, f"{screen}: almost no interface text found: {shown['texts']}"
        if (shown["lang"], shown["dir"]) != (self.lang, self.direction):
            found.append(f"html lang={shown['lang']!r} dir={shown['dir']!r}")
        english = sorted({m for text in [*shown["texts"], shown["title"]] for m in ENGLISH_RE.findall(text)})
        if english:
            found.append(f"English shows: {english} in " + json.dumps(
                [t for t in shown["texts"] if ENGLISH_RE.search(t)][:5], ensure_ascii=False))
        page.keyboard.press("Tab")  # keyboard mode, for :focus-visible (as the crawl does)
        violations = page.evaluate(AUDIT, AXE_TAGS)
        if violations:
            found.append("axe:\n" + _report({screen: violations}))
        if found:
            self.problems[screen] = found

    def assert_clean(self, expected_screens):
        assert self.screens == expected_screens
        assert not self.problems, "\n".join(f"{screen}: {p}" for screen, ps in self.problems.items() for p in ps)


def _community(slug, names, stories):
    """A community with a facilitator, a few published stories in its languages, and a join code."""
    from kultialogo.accounts import codes
    from kultialogo.extensions import db
    from tests.pages.util import moderate, story
    community = f.community(slug, names=names)
    host = f.account(f"{slug}-facilitator", community_slug=slug, role="facilitator")
    for title, body, language in stories:
        moderate(host, story(host, title, body=body, language=language, community=slug), "publish")
    code, _record = codes.create_join_code(host, community, days=7, max_uses=5, label="Wall")
    db.session.remove()
    return code


def _stories_by(app, username):
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    author = db.session.scalar(select(Account.id).where(Account.username == username))
    found = [(s.title, s.status, len(s.media or [])) for s in db.session.scalars(select(Story).where(Story.author_id == author))]
    db.session.remove()
    return found


def _join(journey, base, code, username, secret):
    page = journey.page
    page.goto(base + "/join")
    journey.check("join")
    page.fill("input[name=code]", code)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", secret)
    page.fill("input[name=confirm]", secret)
    with page.expect_navigation():
        page.locator("#join-form button[type=submit]").click()
    assert page.url.rstrip("/") == base, page.url
    expect(page.locator(".flash")).to_be_visible()  # "You joined", in their language
    journey.check("feed")


def _read_and_write(journey, base, title, body):
    page = journey.page
    with page.expect_navigation():
        page.locator(".story-card a").first.click()
    expect(page.locator("article, .story").first).to_be_visible()
    journey.check("story")
    with page.expect_navigation():
        page.locator("nav a[data-icon=write]").click()
    journey.check("write")
    page.fill("#title", title)
    page.fill("#body", body)
    button(page.locator("form#compose"), "send").click()
    sent = page.locator(".mine-item", has_text=title)
    expect(sent).to_have_attribute("data-state", "review")  # on the server, waiting for review
    journey.check("sent")


@SQLITE_ONLY
def test_a_newcomer_who_speaks_only_pashto_joins_reads_writes_and_records(
        app, live_server, phone, axe_source):  # noqa: F811 (fixtures)
    code = _community("kabul-siena", {"en": "Siena", "ps": "سیېنا"}, [
        ("زما لومړی ژمی", "لومړۍ واوره زه حیران کړم. ګاونډۍ مې ښوروا راوړه.", "ps"),
        ("د سیند په غاړه", "موږ د سیند په غاړه ګرځېدو او د کور خبرې مو کولې.", "ps"),
    ])
    base = live_server.url
    context = phone(locale="ps-AF", extra_http_headers={"Accept-Language": "ps"})
    context.add_init_script(script=axe_source)
    journey = Journey(context.new_page(), "ps", "rtl", "ps")
    _join(journey, base, code, "gulalai", "482913")  # a 6-digit PIN, easier than a password
    title = "زموږ کلی"
    _read_and_write(journey, base, title, "زموږ په کلي کې لوی باغونه وو.")

    # A voice story: the same compose screen, by its icons.
    page = journey.page
    page.goto(base + "/write")
    journey.check("write again")
    voice_mode(page)
    journey.check("voice")
    recorder = page.locator(".recorder")
    button(recorder, "mic").click()
    expect(button(recorder, "stop")).to_be_focused()
    # In Pashto's own digits, as the server writes its dates (Chromium's Intl has no Pashto).
    expect(recorder.locator(".elapsed")).to_have_text("۰۰:۰۲")
    journey.check("recording")
    button(recorder, "stop").click()
    expect(button(recorder, "play")).to_be_visible()
    size = recorder.locator(".recorder-result .media-size").inner_text()
    assert re.search("[۰-۹]", size) and not re.search("[0-9]", size), size
    journey.check("recorded")
    button(page.locator("form#compose"), "send").click()
    expect(page.locator(".voice-done")).to_have_attribute("data-icon", "sent")
    journey.check("voice sent")

    journey.assert_clean(["join", "feed", "story", "write", "sent", "write again", "voice", "recording",
                          "recorded", "voice sent"])
    assert [s for _id, s in stories_titled(app, title)] == ["pending"]
    mine = sorted(_stories_by(app, "gulalai"))
    assert mine == [("", "pending", 1), (title, "pending", 0)], mine


@SQLITE_ONLY
def test_a_host_who_speaks_only_serbian_joins_reads_and_writes(app, live_server, phone, axe_source):  # noqa: F811
    code = _community("beograd", {"en": "Belgrade", "sr_Latn": "Beograd", "sr": "Beograd"}, [
        ("Prva zima u Beogradu", "Sneg nas je iznenadio. Komšinica je donela supu.", "sr"),
        ("Šetnja pored reke", "Šetali smo pored Save i pričali o domu.", "sr"),
    ])
    base = live_server.url
    context = phone(locale="sr-RS", extra_http_headers={"Accept-Language": "sr-RS,sr;q=0.9"})
    context.add_init_script(script=axe_source)
    journey = Journey(context.new_page(), "sr-Latn", "ltr", "sr")
    _join(journey, base, code, "milica", "dugačka lozinka")
    title = "Naša bašta"
    _read_and_write(journey, base, title, "U dvorištu smo posadili paradajz sa komšijama.")
    journey.assert_clean(["join", "feed", "story", "write", "sent"])
    assert [s for _id, s in stories_titled(app, title)] == ["pending"]
    assert _stories_by(app, "milica") == [(title, "pending", 0)]


def test_the_english_check_can_fail(new_context):
    page = new_context().new_page()
    page.set_content('<html lang="ps" dir="rtl"><body><main><h1>Write a story</h1>'
                     '<button aria-label="Send">→</button><p hidden>Join</p>'
                     '<article class="story"><h2 dir="auto">Stories from home</h2></article></main></body></html>')
    shown = page.evaluate(INTERFACE_TEXT)
    found = {m for text in shown["texts"] for m in ENGLISH_RE.findall(text)}
    assert found == {"Write a story", "Send"}, found  # not the hidden one, not a story's own title


CLIENT_FORMATS = """async () => {
    const src = document.querySelector('script[type=module][src*="app"]').src;
    const i18n = await import(src.replace(/app(\\.[^/]*)?\\.js/, (m) => m.replace('app', 'i18n')));
    return { day: i18n.formatDay(new Date(2026, 10, 26, 12)), size: i18n.numberFormat({ maximumFractionDigits: 1 }).format(374.5),
             language: i18n.languageName('uk') };
}"""


@SQLITE_ONLY
@pytest.mark.parametrize("lang, day, size, language", [
    # Chromium has no Pashto: figures, not English month names; Ukrainian named in Ukrainian.
    ("ps", "۲۰۲۶/۱۱/۲۶", "۳۷۴٫۵", "українська"),
    ("fa", "۲۶ نوامبر ۲۰۲۶", "۳۷۴٫۵", "اوکراینی"),  # Gregorian, as the server writes it (not ۵ آذر ۱۴۰۵)
    ("sr_Latn", "26. novembar 2026.", "374,5", "ukrajinski"),
])
def test_dates_and_numbers_the_phone_writes_offline_are_in_the_language(app, live_server, new_context, lang, day, size,
                                                                         language):
    """What the phone writes itself (the offline feed's dates, sizes, "Translated from ...")
    is in the page's language, even where the browser's Intl lacks it."""
    from kultialogo.i18n import native_digits
    context = new_context(service_workers="block")
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/")
    formats = page.evaluate(CLIENT_FORMATS)
    assert formats == {"day": day, "size": size, "language": language}
    if lang != "ps":  # as the server's pages write the same day
        with app.test_request_context():
            assert native_digits(format_date(datetime.date(2026, 11, 26), "long", locale=lang), lang) == day
