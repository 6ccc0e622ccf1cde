"""Keyboard only: sign in, write and send a story with Tab, Shift+Tab, Enter, Space and the arrow
keys (page.keyboard, never a click or a fill), with JavaScript and without it. Every key press
leaves the focus on an element that shows it (:focus-visible), never on the page's body.
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.browser import SQLITE_ONLY, stories_titled

pytestmark = [pytest.mark.e2e]

PASSWORD = "a long password"  # factories.PASSWORD is what the people fixture uses
# Shows: :focus-visible, and a ring (an outline at least 2 px wide, or a box shadow) as the
# accessibility audit (test_accessibility.AUDIT) requires.
FOCUS = """() => { const el = document.activeElement;
    const body = !el || el === document.body || el === document.documentElement;
    const style = el && getComputedStyle(el);
    const ring = style && ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none');
    return { body, visible: Boolean(!body && el.matches(':focus-visible') && ring),
             what: el ? el.outerHTML.slice(0, 100) : null }; }"""


class Keyboard:
    """The person's hands: every press is checked to leave a visible focus."""

    def __init__(self, page):
        self.page = page
        self.presses = 0

    def press(self, key):
        self.page.keyboard.press(key)
        self.presses += 1
        self.focus_is_visible(key)

    def follow(self, key="Enter"):
        """A key that loads another page (whose focus starts on its body, as any new page's)."""
        self.focus_is_visible(f"before {key}")
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.presses += 1

    def focus_is_visible(self, after):
        focus = self.page.evaluate(FOCUS)
        assert not focus["body"], f"after {after}, nothing has the focus"
        assert focus["visible"], f"after {after}, the focus does not show on {focus['what']}"

    def tab_to(self, selector, backwards=False, limit=80):
        """Tab (or Shift+Tab) until the focused element matches the CSS selector."""
        for _ in range(limit):
            self.press("Shift+Tab" if backwards else "Tab")
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} not reached with {limit} presses of Tab")

    def type(self, text):
        self.page.keyboard.type(text)

    def choose_radio(self, name, value, limit=4):
        """Arrow keys within a radio group (Tab stops once on it) until `value` is checked."""
        self.tab_to(f"input[type=radio][name={name}]")
        for key in ["ArrowUp"] * limit + ["ArrowDown"] * limit:
            if self.page.evaluate("() => document.activeElement.value") == value:
                break
            self.press(key)
        expect(self.page.locator(f"input[name={name}][value={value}]")).to_be_checked()


def sign_in(keys, base, username="amina", password=PASSWORD):
    page = keys.page
    page.goto(base + "/signin")
    keys.tab_to("#username")
    keys.type(username)
    keys.tab_to("#password")
    keys.type(password)
    keys.tab_to("main form button[type=submit]")
    keys.follow("Enter")
    assert "/signin" not in page.url, "sign-in failed"


def write(keys, title, body):
    """From any page: the Write link in the menu, then the form, sent with Enter."""
    page = keys.page
    keys.tab_to("nav a[href$='/write']")
    keys.follow("Enter")
    expect(page.locator("h1")).to_have_text("Write a story")
    keys.tab_to("#title")
    keys.type(title)
    keys.tab_to("#body")
    keys.type(body)
    keys.tab_to("#title", backwards=True)  # back to fix the title
    keys.press("End")
    keys.type(" (2)")
    keys.choose_radio("visibility", "public")
    keys.tab_to("input[name=check_name]")
    keys.press("Space")
    expect(page.locator("input[name=check_name]")).to_be_checked()
    keys.tab_to("form#compose button[type=submit]")


@pytest.fixture
def amina(app):
    from tests import factories as f
    f.community("siena")
    f.account("amina", community_slug="siena", password=PASSWORD)


def _visibility(app, title):
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    found = db.session.scalars(select(Story.visibility).where(Story.title == title)).all()
    db.session.remove()
    return found


@SQLITE_ONLY
def test_a_story_is_written_and_sent_by_keyboard_only(app, amina, live_server, new_context):
    page = new_context().new_page()
    keys = Keyboard(page)
    sign_in(keys, live_server.url)
    write(keys, "Winter by keyboard", "The first snow surprised me.")
    keys.press("Enter")
    sent = page.locator(".mine-item", has_text="Winter by keyboard (2)")
    expect(sent).to_have_attribute("data-state", "review")  # on the server, waiting for review
    keys.focus_is_visible("sending")
    assert [status for _id, status in stories_titled(app, "Winter by keyboard (2)")] == ["pending"]
    assert _visibility(app, "Winter by keyboard (2)") == ["public"]
    assert stories_titled(app, "Winter by keyboard") == []
    assert keys.presses > 10


@SQLITE_ONLY
def test_without_javascript_the_plain_form_is_sent_by_keyboard(app, amina, live_server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    keys = Keyboard(page)
    sign_in(keys, live_server.url)
    write(keys, "Spring by keyboard", "The river was high.")
    keys.follow("Enter")
    expect(page.locator("h1")).to_have_text("Spring by keyboard (2)")
    expect(page.get_by_role("status")).to_contain_text("waiting for review")
    assert [status for _id, status in stories_titled(app, "Spring by keyboard (2)")] == ["pending"]
    assert _visibility(app, "Spring by keyboard (2)") == ["public"]


def test_the_focus_check_can_fail(new_context):
    """A page whose only control hides its focus, and one where Tab leaves the focus nowhere."""
    page = new_context().new_page()
    page.set_content('<html lang="en"><head><style>button:focus { outline: none }</style></head>'
                     '<body><button>Go</button></body></html>')
    keys = Keyboard(page)
    with pytest.raises(AssertionError, match="does not show"):
        keys.press("Tab")
    page.set_content('<html lang="en"><body><p>No controls</p></body></html>')
    with pytest.raises(AssertionError, match="nothing has the focus"):
        keys.press("Tab")
