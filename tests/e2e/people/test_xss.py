"""An XSS payload corpus in every text field people can fill in, rendered in real Chromium:
nothing runs (no dialog, no console error, no injected element), and the text reads back as
text. SQLite only, like the other browser tests (here, under tests/e2e, so that the one
Playwright driver of tests/e2e/conftest.py serves them too)."""
import uuid

import pytest

from kultialogo.accounts import codes
from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.people import service as people_service
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from tests import factories as f
from tests.e2e.browser import SQLITE_ONLY, sign_in
from tests.people.helpers import make_story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

PAYLOADS = [
    '<script>alert("xss-script")</script>',
    '"><img src=x onerror=alert("xss-img")>',
    "'><svg onload=alert('xss-svg')>",
    '<svg><script>alert("xss-svg-script")</script></svg>',
    'javascript:alert("xss-url")',
    '<a href="javascript:alert(1)">xss-link</a>',
    '\u202egnp.exe\u202c \u2066<b onmouseover=alert("xss-rtl")>rtl</b>\u2069',
    '<iframe src="javascript:alert(\'xss-frame\')"></iframe>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("xss-math")>',
    '{{7*7}} ${7*7} </textarea><script>alert("xss-textarea")</script>',
]
SHORT = [p[:78] for p in PAYLOADS]  # names and labels have 80 characters

INJECTED = ("main script, main iframe, main img[src='x'], main [onerror], main [onload], main [onmouseover], "
            "main a[href^='javascript'], main svg:not(.segno), main math, main style")
# The app's own icons (templates/_icons.html): an aria-hidden <svg class="icon"> holding a single
# <use> of the page's sprite and nothing else; anything more is not ours.
OUR_ICON = ("e.matches('svg.icon[aria-hidden=true]') && e.children.length === 1"
            " && e.firstElementChild.matches('use[href^=\"#i-\"]') && e.firstElementChild.attributes.length === 1"
            " && ![...e.attributes].some(a => a.name.startsWith('on'))")


@pytest.fixture
def corpus(app):
    f.community("a", moderation="trusted")
    fac = f.account("facxss", community_slug="a", role="facilitator")
    with write_transaction():
        fac.display_name = SHORT[1]
    author = f.account("authorxss", community_slug="a")
    with write_transaction():
        author.display_name = SHORT[2]
    made = []
    for n, payload in enumerate(PAYLOADS):
        place = payload if "javascript" not in payload else "town " + payload.replace(":", " ")
        made.append(make_story(author, visibility="public", status="published", title=payload[:140],
                               body="\n\n".join(PAYLOADS), place=place[:120],
                               author_display=["name", "pseudonym", "anonymous"][n % 3]))
    rejected = make_story(author, visibility="community", status="pending", title=PAYLOADS[0])
    moderation.moderate(fac, rejected.id, "reject", "\n".join(PAYLOADS))
    pending = make_story(author, visibility="community", status="pending", title=PAYLOADS[3], body=PAYLOADS[5])
    for label in SHORT[:4]:
        codes.create_join_code(fac, f.community("a"), days=2, max_uses=2, label=label)
    person = people_service.create_managed(fac, f.community("a"), SHORT[6])
    content = validate_content({"title": PAYLOADS[8][:140], "body": PAYLOADS[9], "language": "en", "community": "a",
                                "visibility": "community", "author_display": "name", "place": PAYLOADS[0][:120],
                                "consent": {"kind": "verbal", "recorded_by": SHORT[7]}})
    recorded = people_service.record_for(fac, person, uuid.uuid4(), content)
    db.session.rollback()
    return {"stories": made, "rejected": rejected, "pending": pending, "person": person,
            "recorded": recorded.story.id}


def watch(page):
    events = {"dialogs": [], "errors": [], "pageerrors": []}

    def on_dialog(dialog):
        events["dialogs"].append(dialog.message)
        dialog.dismiss()
    page.on("dialog", on_dialog)
    page.on("console", lambda msg: events["errors"].append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: events["pageerrors"].append(str(exc)))
    return events


def visit(page, url, events):
    response = page.goto(url)
    assert response.status in (200,), (url, response.status)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
    page.wait_for_load_state("networkidle")
    page.mouse.move(10, 10)
    for element in page.locator("main b, main a").all()[:40]:  # hover whatever might carry a handler
        try:
            element.hover(timeout=500)
        except Exception:  # noqa: BLE001 - off-screen or covered: hovering is best effort
            pass
    injected = page.evaluate(f"() => Array.from(document.querySelectorAll(\"{INJECTED}\"))"
                             f".filter(e => !({OUR_ICON})).map(e => e.outerHTML)")
    assert injected == [], (url, injected)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    return page.locator("main").inner_text()


def test_nothing_in_the_corpus_runs_anywhere_it_is_shown(app, corpus, live_server, new_context):
    base = live_server.url
    pages = {
        None: ["/", f"/stories/{corpus['stories'][0].id}", f"/stories/{corpus['stories'][4].id}"],
        "authorxss": ["/", f"/stories/{corpus['rejected'].id}", f"/stories/{corpus['pending'].id}", "/account"],
        "facxss": ["/review", "/communities/a/people", f"/stories/{corpus['recorded']}",
                   f"/communities/a/people/{corpus['person'].id}/record", f"/stories/{corpus['stories'][1].id}"],
    }
    seen_text = ""
    all_events = []
    for who, urls in pages.items():
        context = new_context()
        page = context.new_page()
        events = watch(page)
        all_events.append(events)
        if who:
            sign_in(page, base, who)
        for url in urls:
            seen_text += visit(page, base + url, events)
        context.close()
    for events in all_events:
        assert events["dialogs"] == [], events
        assert events["pageerrors"] == [], events
        assert [e for e in events["errors"] if "favicon" not in e] == [], events
    # The payloads are shown as the text people typed (escaped, not dropped).
    for payload in ('<script>alert("xss-script")</script>', '"><img src=x onerror=alert("xss-img")>',
                    'javascript:alert("xss-url")'):
        assert payload in seen_text
    assert "\u202egnp.exe" in seen_text  # RTL override kept, but isolated (dir=auto / bdi)


def test_the_join_code_page_with_its_qr_runs_nothing(app, corpus, live_server, new_context):
    context = new_context()
    page = context.new_page()
    events = watch(page)
    sign_in(page, live_server.url, "facxss")
    page.goto(live_server.url + "/communities/a/people")
    page.fill("#join-code-form input[name=label]", PAYLOADS[1][:80])
    with page.expect_navigation():
        page.locator("#join-code-form button[type=submit]").click()
    assert page.locator("main svg.segno").count() == 1  # the QR code, drawn under the strict CSP
    box = page.locator("main svg.segno").bounding_box()
    assert box and box["width"] > 100
    assert page.evaluate(f"() => document.querySelectorAll(\"{INJECTED}\").length") == 0
    assert events == {"dialogs": [], "errors": [], "pageerrors": []} or not (
        events["dialogs"] or events["pageerrors"] or [e for e in events["errors"] if "favicon" not in e]), events
