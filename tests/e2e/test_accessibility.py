"""WCAG 2.2 AA on every page: axe-core in a real Chromium, in English and Arabic, signed out and
as each role, on a phone-sized screen; plus what axe cannot see: 44 px touch targets, and no
sideways scrolling at 320 px wide with the text at 200%.

axe-core comes from npm at the version the Makefile pins (`make install-test` fetches it into
.cache/). Without it the tests are skipped locally and fail in CI (CI=true), like PostgreSQL.
"""
import json
import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import ARTIFACTS, REPO, SQLITE_ONLY
from tests.e2e.pages import ROLES, load_site, open_as, page_paths, settle, uncovered_routes, visit_all

pytestmark = [pytest.mark.e2e]

REQUIRE_AXE = os.environ.get("CI") == "true"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LANGUAGES = ["en", "ar"]


def _axe_path():
    if os.environ.get("KULTIALOGO_AXE"):
        return Path(os.environ["KULTIALOGO_AXE"])
    match = re.search(r"^AXE_VERSION\s*:?=\s*(\S+)", (REPO / "Makefile").read_text(), re.M)
    assert match, "AXE_VERSION not found in the Makefile"
    return REPO / ".cache" / f"axe-core-{match.group(1)}" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source():
    path = _axe_path()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"axe-core not found at {path}: run `make install-test` (it fetches axe-core from npm)"
        if REQUIRE_AXE:
            pytest.fail(message)
        pytest.skip(message)


# axe, then the 44 px rule (the project's touch target size; axe's target-size is WCAG's 24 px).
AUDIT = """async (tags) => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    const found = result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 160) })),
    }));
    const small = [];
    const controls = 'button, select, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
        + 'textarea, label:has(> input[type=checkbox]), label:has(> input[type=radio]), nav a, .actions a, a.button';
    for (const node of document.querySelectorAll(controls)) {
        const box = node.getBoundingClientRect();
        const style = getComputedStyle(node);
        if (!box.width || style.visibility === 'hidden' || node.closest('[hidden], .visually-hidden')) continue;
        if (node.matches('input[type=checkbox], input[type=radio]')) continue;
        if (box.height < 43.5 || box.width < 43.5) {
            small.push({ target: node.tagName.toLowerCase() + (node.id ? '#' + node.id : '')
                         + (node.className && typeof node.className === 'string' ? '.' + node.className.trim().split(/\\s+/).join('.') : ''),
                         html: `${Math.round(box.width)}x${Math.round(box.height)} px: ` + node.outerHTML.slice(0, 120) });
        }
    }
    if (small.length) found.push({ id: 'touch-target-44', impact: 'serious', help: 'Touch targets are at least 44 by 44 px', nodes: small });
    return found;
}"""


def _report(found: dict) -> str:
    lines = []
    for page, violations in found.items():
        for v in violations:
            lines.append(f"{page}: {v['id']} ({v['impact']}) {v['help']}")
            lines += [f"    {n['target']}  {n['html']}" for n in v["nodes"][:6]]
            if len(v["nodes"]) > 6:
                lines.append(f"    ... and {len(v['nodes']) - 6} more")
    return "\n".join(lines)


def test_the_audit_finds_what_it_should(new_context, axe_source):
    """The checks can fail: a page with a nameless button, grey on white, a tiny link."""
    context = new_context()
    context.add_init_script(script=axe_source)
    page = context.new_page()
    page.set_content('<html lang="en"><body><main><h1>Test</h1><button></button>'
                     '<p style="color:#bbb">faint</p><nav><a href="#x" style="font-size:8px">x</a></nav>'
                     '</main></body></html>')
    found = {v["id"] for v in page.evaluate(AUDIT, AXE_TAGS)}
    assert {"button-name", "color-contrast", "touch-target-44"} <= found, found


@SQLITE_ONLY
def test_every_page_route_is_crawled(app):
    """A new route with arguments needs demo arguments (tests/e2e/pages.py) or to be declared
    not a page, so the checks below go over it."""
    assert uncovered_routes(app) == []


SCREENSHOTS = {"participant": ("/", "/write", "/account"), "facilitator": ("/review", "/communities/siena/people"),
               "signed-out": ("/join",), "admin": ("/admin/", "/dashboard")}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_has_no_axe_violations(app, live_server, new_context, axe_source, role, lang):
    site = load_site(app)
    base = live_server.url
    context, page = open_as(new_context, base, role, lang)
    context.add_init_script(script=axe_source)  # not a <script> tag: the pages' CSP would refuse it
    found, seen = {}, []
    for label in visit_all(page, base, page_paths(app, site), role, site):
        seen.append(label)
        assert page.evaluate("document.documentElement.lang") == lang
        violations = page.evaluate(AUDIT, AXE_TAGS)
        if violations:
            found[label] = violations
        if label in SCREENSHOTS.get(role, ()):
            ARTIFACTS.mkdir(exist_ok=True)
            name = label.strip("/").replace("/", "-") or "feed"
            page.screenshot(path=str(ARTIFACTS / f"a11y-{role}-{name}-{lang}.png"), full_page=name != "feed")
    assert len(seen) > 5, f"the crawl found almost no pages: {seen}"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{role}-{lang}.json").write_text(
        json.dumps({"pages": seen, "violations": found}, indent=1, ensure_ascii=False))
    assert not found, f"{sum(len(v) for v in found.values())} axe violations as {role} in {lang}:\n" + _report(found)


MAIN_PAGES = {  # the pages people use most, and who sees them
    "participant": ["/", "/write", "/account", "{story}"],
    "signed-out": ["/signin", "/join", "/signup"],
    "facilitator": ["/review"],
}
WIDE = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const node of document.querySelectorAll('body *')) {
        const box = node.getBoundingClientRect();
        if (!box.width || node.closest('.visually-hidden, .skip, .table-scroll')) continue;
        if (box.right > width + 1 || box.left < -1) wide.push(`${node.tagName.toLowerCase()}${node.id ? '#' + node.id : ''}.${[...node.classList].join('.')} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
    return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10) };
}"""
BIG_TEXT = "html { font-size: 200% !important; }"


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
def test_main_pages_fit_320px_with_text_at_200_percent(app, live_server, new_context, lang):
    """WCAG 1.4.4 and 1.4.10: text twice as large, on a 320 px wide screen, never needs
    sideways scrolling."""
    site = load_site(app)
    base = live_server.url
    story = "/stories/" + str(site.stories["published by the participant"])
    problems = {}
    for role, paths in MAIN_PAGES.items():
        context, page = open_as(new_context, base, role, lang, viewport={"width": 320, "height": 640})
        for path in paths:
            path = path.format(story=story)
            page.goto(base + path)
            # A constructed style sheet: the CSP refuses a <style> element.
            page.evaluate("""(css) => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }""", BIG_TEXT)
            settle(page)
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 32
            result = page.evaluate(WIDE)
            if result["scroll"] > result["width"] or result["wide"]:
                problems[f"{role} {path}"] = result
            if lang == "ar" and path in ("/", "/write"):
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"text-200-320px-{path.strip('/') or 'feed'}-{lang}.png"))
        context.close()
    assert not problems, json.dumps(problems, indent=1)
