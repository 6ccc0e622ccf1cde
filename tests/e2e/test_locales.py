"""The feed, compose, a story and the dashboard in Arabic, Farsi, Urdu and Ukrainian on a 320 px
wide phone: the page's direction, where its heading and its paragraphs sit, and nothing wider
than the screen. Screenshots go to test-artifacts/locale-<page>-<lang>.png for a person to look at.
"""
import json

import pytest

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY
from tests.e2e.pages import load_site, open_as, settle

pytestmark = [pytest.mark.e2e]

LANGUAGES = {"ar": "rtl", "fa": "rtl", "ur": "rtl", "uk": "ltr"}
NARROW = {"width": 320, "height": 640}

# Where the text of the main heading and of the interface's paragraphs is, in the page's
# direction. A paragraph inside an element with its own dir (a story's text, dir="auto") follows
# its own language, not the page's, and is left out.
PLACEMENT = """() => {
    const width = document.documentElement.clientWidth;
    const textBox = (node) => {  // the first line (bidi runs of one line are separate rects)
        const range = document.createRange(); range.selectNodeContents(node);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (!rects.length) return null;
        const top = Math.min(...rects.map((r) => r.top));
        const line = rects.filter((r) => r.top < top + 4);
        const left = Math.min(...line.map((r) => r.left)), right = Math.max(...line.map((r) => r.right));
        return { left, right, width: right - left };
    };
    const describe = (node) => {
        const style = getComputedStyle(node);
        const box = node.getBoundingClientRect();
        const text = textBox(node);
        return { tag: node.tagName.toLowerCase() + (node.className ? '.' + node.className : ''),
                 text: node.textContent.trim().slice(0, 40), direction: style.direction, align: style.textAlign,
                 box: { left: box.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth),
                        right: box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth) },
                 line: text && { left: text.left, right: text.right, width: text.width } };
    };
    const heading = document.querySelector('main h1');
    const paragraphs = [...document.querySelectorAll('main p')].filter((p) => {
        const box = p.getBoundingClientRect();
        const own = p.closest('[dir]');
        return box.width > 0 && p.textContent.trim() && (!own || own === document.documentElement)
            && getComputedStyle(p).visibility !== 'hidden';
    });
    return { width, dir: document.documentElement.dir, lang: document.documentElement.lang,
             heading: heading && describe(heading), paragraphs: paragraphs.map(describe) };
}"""

# Elements that stick out of the screen, like WIDE in test_accessibility.py, which leaves out the
# tables that scroll sideways by themselves (.table-scroll); here any container that scrolls sideways.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (node) => { for (let el = node.parentElement; el && el !== document.body; el = el.parentElement) {
        const x = getComputedStyle(el).overflowX; if (x === 'auto' || x === 'scroll') return true; } return false; };
    const wide = [];
    for (const node of document.querySelectorAll('body *')) {
        const box = node.getBoundingClientRect();
        if (!box.width || node.closest('.visually-hidden, .skip, .sprite') || scrolls(node)) continue;
        if (box.right > width + 1 || box.left < -1) wide.push(`${node.tagName.toLowerCase()}${node.id ? '#' + node.id : ''}.${[...node.classList].join('.')} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
    return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10) };
}"""

# Text within this many px of its side of the screen "hugs" it (main's padding plus a margin).
EDGE = 40


def _hugs_start(line, width, direction):
    """The text's first line starts at the page's start side (right for rtl), not the other."""
    start_gap = width - line["right"] if direction == "rtl" else line["left"]
    end_gap = line["left"] if direction == "rtl" else width - line["right"]
    return start_gap <= EDGE and start_gap <= end_gap + 1


def _check(result, direction):
    problems = []
    if result["dir"] != direction:
        problems.append(f"html dir is {result['dir']!r}")
    heading = result["heading"]
    if heading is None:
        problems.append("no main h1")
    else:
        if heading["direction"] != direction:
            problems.append(f"h1 direction {heading['direction']}")
        if heading["align"] not in ("start", "right" if direction == "rtl" else "left"):
            problems.append(f"h1 text-align {heading['align']}")
        if not heading["line"] or not _hugs_start(heading["line"], result["width"], direction):
            problems.append(f"h1 text is not at the {direction} start: {heading}")
    if not result["paragraphs"]:
        problems.append("no paragraph to check")
    for p in result["paragraphs"]:
        if p["direction"] != direction:
            problems.append(f"{p['tag']} {p['text']!r} direction {p['direction']}")
        if p["align"] == "center":
            continue  # centred on purpose (an empty state): both sides are alike
        if p["align"] not in ("start", "justify", "right" if direction == "rtl" else "left"):
            problems.append(f"{p['tag']} {p['text']!r} text-align {p['align']}")
        # The paragraph's first line starts at its content box's start side.
        line, box = p["line"], p["box"]
        gap = box["right"] - line["right"] if direction == "rtl" else line["left"] - box["left"]
        if line and gap > 2:
            problems.append(f"{p['tag']} {p['text']!r} starts {gap:.0f} px from its {direction} edge")
    return problems


# A story written in the page's language, so its title (dir="auto") runs the page's way too.
STORIES = {
    "ar": ("جدتي والطبخ", "علمتني جدتي أن الطعام ذاكرة. في سيينا طبخت المقلوبة لجيراني."),
    "fa": ("نخستین زمستان در سیه‌نا", "همسایه‌ام برایم سوپ آورد و با دست‌هایمان حرف زدیم."),
    "ur": ("سیینا میں میرا پہلا موسم سرما", "میری پڑوسن سوپ لائی اور ہم نے ہاتھوں سے باتیں کیں۔"),
    "uk": ("Моя перша зима в Сієні", "Сусідка принесла суп, і ми розмовляли руками."),
}


def _story_in(lang) -> str:
    from sqlalchemy import select

    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from tests.pages.util import moderate, story
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    title, body = STORIES[lang]
    written = moderate(accounts["giulia"], story(accounts["amina"], title, body=body, language=lang), "publish")
    story_id = str(written.id)
    db.session.remove()
    return story_id


def _pages(site, lang):
    story = "/stories/" + _story_in(lang)
    return {"participant": {"feed": "/", "compose": "/write", "story": story}, "admin": {"dashboard": "/dashboard"}}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_main_pages_at_320px_are_in_the_language_direction_and_fit(app, live_server, new_context, lang):
    site = load_site(app)
    base = live_server.url
    direction = LANGUAGES[lang]
    ARTIFACTS.mkdir(exist_ok=True)
    problems, seen = {}, []
    for role, pages in _pages(site, lang).items():
        context, page = open_as(new_context, base, role, lang, viewport=NARROW)
        for name, path in pages.items():
            response = page.goto(base + path)
            assert response.status == 200, f"{path}: {response.status}"
            settle(page)
            page.screenshot(path=str(ARTIFACTS / f"locale-{name}-{lang}.png"), full_page=True)
            placement = page.evaluate(PLACEMENT)
            assert placement["lang"] == lang and placement["width"] == 320
            found = _check(placement, direction)
            overflow = page.evaluate(OVERFLOW)
            if overflow["scroll"] > 320 or overflow["wide"]:
                found.append(f"wider than 320 px: {overflow}")
            if found:
                problems[f"{name} {path}"] = found
            seen.append(name)
        context.close()
    assert seen == ["feed", "compose", "story", "dashboard"]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_checks_can_fail(new_context):
    """A left-aligned heading in an rtl page, a paragraph pushed off its side, a wide box."""
    context = new_context(viewport=NARROW)
    page = context.new_page()
    page.set_content('<html lang="ar" dir="rtl"><head><meta name="viewport" content="width=device-width">'
                     '</head><body><main><h1 style="text-align:left">عنوان</h1>'
                     '<p style="text-align:left">فقرة</p><div style="inline-size:400px">x</div>'
                     '<div style="overflow-x:auto"><table style="inline-size:600px"><tr><td>ok</td></tr></table></div>'
                     '</main></body></html>')
    found = _check(page.evaluate(PLACEMENT), "rtl")
    assert any("h1 text-align left" in p for p in found), found
    assert any("h1 text is not at the rtl start" in p for p in found), found
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] > 320 and "div. [0, 400]" in overflow["wide"], overflow
    assert not any(w.startswith(("table", "td", "tr", "tbody")) for w in overflow["wide"]), overflow  # it scrolls
    assert any("p 'فقرة' text-align left" in p for p in found), found
    assert any("p 'فقرة' starts" in p for p in found), found
