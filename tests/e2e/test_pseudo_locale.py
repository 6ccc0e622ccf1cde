"""Every page in a pseudo-locale (accented, 40% longer; tests/e2e/pseudo.py), in a real Chromium
on a 360 px phone, signed out and as each role: no interface text left in plain English, and no
text cut off or pushed off the screen.

User content is recognised by how the pages mark it anyway for bidirectional text: inside
<bdi>, dir="auto", Unicode isolates (U+2068 ... U+2069, where markup cannot go), or an element in
another language (a story's lang="it"); codes in <code> or translate="no", dates in <time>. Anything else in plain ASCII letters is an interface string that never
went through the catalogs.
"""
import json

import pytest

from kultialogo.config import Config
from tests.e2e import pseudo
from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY
from tests.e2e.pages import ROLES, load_site, open_as, page_paths, visit_all

pytestmark = [pytest.mark.e2e]

# Runs in the page: interface text in plain English, clipped boxes, sideways overflow.
INSPECT = r"""() => {
    const lang = document.documentElement.lang;
    const USER = 'bdi, [dir=auto], code, kbd, samp, time, [translate=no], script, style, template, noscript';
    // Language names in the switcher are written in their own language, never translated.
    const isUser = (el) => Boolean(el.closest('#lang-select')) || Boolean(el.closest(USER)) || (el.closest('[lang]') || document.documentElement).lang !== lang;
    // Text between Unicode isolates (FSI, LRI or RLI ... PDI) is user text in plain-text places
    // (an SVG <title>, an <option>), the way <bdi> marks it in HTML.
    const english = (text) => (text.replace(/[\u2066-\u2068][^\u2069]*\u2069/g, ' ').match(/[A-Za-z]{2,}/g) || []);
    const where = (el) => {
        const parts = [];
        for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
            const id = node.getAttribute('id');  // not node.id: a form's input named "id" shadows it
            parts.unshift(node.tagName.toLowerCase() + (id ? '#' + id : '')
                + (node.classList.length ? '.' + [...node.classList].join('.') : ''));
        }
        return parts.join(' > ');
    };
    const userWords = new Set();
    const untranslated = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.nodeValue.trim();
        if (!text) continue;
        if (isUser(node.parentElement)) { english(text).forEach((w) => userWords.add(w)); continue; }
        if (english(text).length) untranslated.push({ where: where(node.parentElement), text: text.slice(0, 120) });
    }
    // Names and hints that are not text nodes: they are read aloud or shown too.
    const ATTRIBUTES = ['placeholder', 'aria-label', 'title', 'alt', 'aria-roledescription'];
    for (const el of document.querySelectorAll('body *')) {
        if (isUser(el)) continue;
        for (const name of ATTRIBUTES) {
            const value = el.getAttribute(name);
            if (value && english(value).some((w) => !userWords.has(w))) {
                untranslated.push({ where: where(el) + `[${name}]`, text: value.slice(0, 120) });
            }
        }
        if (el.matches('input[type=submit], input[type=button]') && english(el.value).length) {
            untranslated.push({ where: where(el) + '[value]', text: el.value });
        }
    }
    // The document's title may carry a story's title: only words not in the page's user text.
    if (english(document.title).some((w) => !userWords.has(w))) untranslated.push({ where: 'title', text: document.title });

    const clipped = [];
    for (const el of document.querySelectorAll('body *')) {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        if (!box.width || box.width <= 2 || box.height <= 2) continue;  // empty, or visually hidden on purpose
        const hides = (value) => value === 'hidden' || value === 'clip';
        if ((hides(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
            || (hides(style.overflowY) && el.scrollHeight > el.clientHeight + 1)
            || (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)) {
            clipped.push({ where: where(el), text: el.textContent.trim().slice(0, 80),
                           size: `${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}` });
        }
    }
    const width = document.documentElement.clientWidth;
    const overflow = [];
    for (const el of document.querySelectorAll('body *')) {
        const box = el.getBoundingClientRect();
        if (!box.width || el.closest('.visually-hidden, .skip, .table-scroll')) continue;
        if (box.right > width + 1 || box.left < -1) {
            overflow.push({ where: where(el), text: el.textContent.trim().slice(0, 80), box: [Math.round(box.left), Math.round(box.right)] });
        }
    }
    return { untranslated, clipped, overflow: overflow.slice(0, 8), scrollWidth: document.documentElement.scrollWidth, width };
}"""


def test_pseudo_text_keeps_placeholders_and_markup_and_is_longer():
    source = 'Signed in as %(name)s: <a href="%(url)s">read</a> &amp; %(num)s more, 100%%'
    text = pseudo.pseudo(source)
    assert pseudo.KEEP.findall(text) == pseudo.KEEP.findall(source)
    outside = pseudo.KEEP.sub("", text)
    assert len(outside) >= len(pseudo.KEEP.sub("", source)) * 1.4
    assert not any(c.isascii() and c.isalpha() for c in outside), outside
    assert pseudo.pseudo("") == ""


def test_pseudo_code_is_not_a_real_interface_language():
    """The pseudo catalog borrows a code with no catalog of its own (see pseudo.py)."""
    assert pseudo.CODE not in Config.SUPPORTED_LOCALES


@pytest.fixture(scope="session")
def pseudo_translations(tmp_path_factory):
    return pseudo.build(tmp_path_factory.mktemp("pseudo-translations"))


def pseudo_server(live_server_factory, folder):
    """`kultialogo run` with the pseudo catalog as a second translations directory."""
    return live_server_factory(extra_env={
        "KULTIALOGO_BABEL_TRANSLATION_DIRECTORIES": f"{Config.BABEL_TRANSLATION_DIRECTORIES};{folder}",
        "KULTIALOGO_SUPPORTED_LOCALES": json.dumps([*Config.SUPPORTED_LOCALES, pseudo.CODE]),
    })


SCREENSHOTS = {"participant": ["/", "/write", "/account", "/activity"], "facilitator": ["/review"], "signed-out": ["/join"]}


@SQLITE_ONLY
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_in_the_pseudo_locale_is_translated_and_fits(app, live_server_factory, new_context,
                                                                 pseudo_translations, role):
    site = load_site(app)
    server = pseudo_server(live_server_factory, pseudo_translations)
    base = server.url
    context, page = open_as(new_context, base, role, pseudo.CODE)
    problems, seen = {}, []
    ARTIFACTS.mkdir(exist_ok=True)
    for label in visit_all(page, base, page_paths(app, site), role, site):
        seen.append(label)
        assert page.evaluate("document.documentElement.lang") == pseudo.CODE
        found = page.evaluate(INSPECT)
        wide = found["scrollWidth"] > found["width"]
        if found["untranslated"] or found["clipped"] or wide:
            problems[label] = {k: v for k, v in found.items() if v and k not in ("scrollWidth", "width")}
            if wide:
                problems[label]["scrollWidth"] = f"{found['scrollWidth']} > {found['width']}"
        if label in SCREENSHOTS.get(role, []):
            name = label.strip("/").replace("/", "-") or "feed"
            page.screenshot(path=str(ARTIFACTS / f"pseudo-{role}-{name}.png"), full_page=True)
    assert len(seen) > 5, f"the crawl found almost no pages: {seen}"
    (ARTIFACTS / f"pseudo-{role}.json").write_text(
        json.dumps({"pages": seen, "problems": problems}, indent=1, ensure_ascii=False))
    assert not problems, f"as {role} in the pseudo-locale:\n" + json.dumps(problems, indent=1, ensure_ascii=False)
