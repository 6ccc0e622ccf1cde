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


# axe; then the 44 px rule (the project's touch target size; axe's target-size is WCAG's 24 px);
# then focus: every control shows a focus ring when reached by keyboard (2.4.7), at 3:1 against
# what is around it (1.4.11). The caller presses Tab first, so the browser is in keyboard mode.
AUDIT = """async (tags) => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    const found = result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 160) })),
    }));
    const name = (node) => node.tagName.toLowerCase() + (node.getAttribute('id') ? '#' + node.getAttribute('id') : '')
        + (node.classList.length ? '.' + [...node.classList].join('.') : '');
    const small = [];
    const controls = 'button, select, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
        + 'textarea, label:has(> input[type=checkbox]), label:has(> input[type=radio]), nav a, .actions a, a.button';
    for (const node of document.querySelectorAll(controls)) {
        const box = node.getBoundingClientRect();
        const style = getComputedStyle(node);
        if (!box.width || style.visibility === 'hidden' || node.closest('[hidden], .visually-hidden')) continue;
        if (node.matches('input[type=checkbox], input[type=radio]')) continue;
        if (box.height < 43.5 || box.width < 43.5) {
            small.push({ target: name(node), html: `${Math.round(box.width)}x${Math.round(box.height)} px: ` + node.outerHTML.slice(0, 120) });
        }
    }
    if (small.length) found.push({ id: 'touch-target-44', impact: 'serious', help: 'Touch targets are at least 44 by 44 px', nodes: small });

    const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const contrast = (a, b) => { const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
    const backdrop = (node) => {  // the first opaque background behind the ring
        for (let el = node.parentElement; el; el = el.parentElement) {
            const c = rgb(getComputedStyle(el).backgroundColor);
            if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const unfocused = [];
    const focusable = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    for (const node of document.querySelectorAll(focusable)) {
        const box = node.getBoundingClientRect();
        if (!box.width || node.disabled || getComputedStyle(node).visibility === 'hidden') continue;
        node.focus({ preventScroll: true });
        if (document.activeElement !== node) continue;
        const style = getComputedStyle(node);
        const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        if (!node.matches(':focus-visible') || !(ring || style.boxShadow !== 'none')) {
            unfocused.push({ target: name(node), html: 'no focus ring: ' + node.outerHTML.slice(0, 120) });
        } else if (ring && contrast(rgb(style.outlineColor).slice(0, 3), backdrop(node)) < 3) {
            unfocused.push({ target: name(node), html: `focus ring ${style.outlineColor} on ${backdrop(node)}: ` + node.outerHTML.slice(0, 100) });
        }
    }
    if (document.activeElement) document.activeElement.blur();
    if (unfocused.length) found.push({ id: 'focus-ring', impact: 'serious', help: 'Focus is visible, at 3:1 against its surroundings', nodes: unfocused });
    return found;
}"""


def _report(found: dict) -> str:
    """One block per rule and element, with the pages it is on (a header fault is on all of them)."""
    by_rule = {}
    for page, violations in found.items():
        for v in violations:
            rule = by_rule.setdefault(v["id"], {"help": f"{v['id']} ({v['impact']}): {v['help']}", "nodes": {}})
            for n in v["nodes"]:
                rule["nodes"].setdefault((n["target"], n["html"]), []).append(page)
    lines = []
    for rule in by_rule.values():
        lines.append(rule["help"])
        for (target, html), pages in rule["nodes"].items():
            more = f" and {len(pages) - 3} more" if len(pages) > 3 else ""
            lines.append(f"    {target}  {html}\n        on {', '.join(pages[:3])}{more}")
    return "\n".join(lines)


def test_the_audit_finds_what_it_should(new_context, axe_source):
    """The checks can fail: a page with a nameless button, grey on white, a tiny link."""
    context = new_context()
    context.add_init_script(script=axe_source)
    page = context.new_page()
    page.set_content('<html lang="en"><head><style>a:focus { outline: none }</style></head><body><main>'
                     '<h1>Test</h1><button></button><p style="color:#bbb">faint</p>'
                     '<nav><a href="#x" style="font-size:8px">x</a></nav></main></body></html>')
    page.keyboard.press("Tab")
    found = {v["id"] for v in page.evaluate(AUDIT, AXE_TAGS)}
    assert {"button-name", "color-contrast", "touch-target-44", "focus-ring"} <= found, found


@SQLITE_ONLY
def test_every_page_route_is_crawled(app):
    """A new route with arguments needs demo arguments (tests/e2e/pages.py) or to be declared
    not a page, so the checks below go over it."""
    assert uncovered_routes(app) == []


SCREENSHOTS = {"participant": ("/", "/write", "/account", "/activity"), "facilitator": ("/review", "/communities/siena/people"),
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
        page.keyboard.press("Tab")  # keyboard mode, for :focus-visible
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
    "participant": ["/", "/write", "/account", "/activity", "{story}"],
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
