"""What a 360 x 740 phone shows, in English and in Arabic (right to left): the main navigation
in one row for every role, with a "More" menu that works without JavaScript; dashboard tables
that show they scroll; the facilitators' people pages; joining with a code from the sign-in and
sign-up pages; one true status after Send; the first-visit notice leaving the controls
uncovered; and a voice story's card in the feed."""
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, PHONE, SQLITE_ONLY, eventually, sign_in
from tests.e2e.pages import load_site, open_as

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

LANGS = ["en", "ar"]


def _shot(page, name, full_page=False):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=full_page)


def _fits_the_screen(page):
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


# --- 1. The main navigation ---------------------------------------------------------------

NAV_ROWS = """() => {
    const items = [...document.querySelectorAll('header nav > ul > li')];
    const tops = items.map((li) => Math.round(li.getBoundingClientRect().top));
    const controls = items.map((li) => li.querySelector(':scope > a, :scope > form > button, :scope > details > summary'));
    return {
        tops, height: document.querySelector('header nav').getBoundingClientRect().height,
        sizes: controls.map((c) => { const r = c.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; }),
        labels: controls.map((c) => c.innerText.trim()),
        icons: controls.map((c) => Boolean(c.querySelector('svg.icon'))),
    };
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_the_main_navigation_is_one_row_for_every_role(app, live_server, new_context, lang):
    load_site(app)
    for role, more in [("signed-out", False), ("participant", False), ("facilitator", True), ("admin", True)]:
        context, page = open_as(new_context, live_server.url, role, lang)
        page.goto(live_server.url + "/")
        nav = page.evaluate(NAV_ROWS)
        assert len(set(nav["tops"])) == 1, f"{role} {lang}: the navigation wraps: {nav}"
        assert nav["height"] <= 80, f"{role} {lang}: the navigation is {nav['height']} px high"
        assert all(w >= 44 and h >= 44 for w, h in nav["sizes"]), f"{role} {lang}: {nav['sizes']}"
        assert all(nav["labels"]) and all(nav["icons"]), f"{role} {lang}: every item has an icon and words: {nav}"
        assert (page.locator("header details.nav-more").count() == 1) == more
        _fits_the_screen(page)
        _shot(page, f"nav-{role}-{lang}")
        if more:
            page.locator("details.nav-more > summary").click()
            panel = page.locator("details.nav-more > ul")
            expect(panel).to_be_visible()
            box = panel.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
            assert page.locator("details.nav-more > ul svg.icon").count() >= 5
            for link in panel.locator("a, button").all():
                size = link.bounding_box()
                assert size["height"] >= 44, link.inner_text()
            _shot(page, f"nav-more-{role}-{lang}")
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_more_menu_opens_and_leads_on_without_javascript(app, live_server, new_context, lang):
    load_site(app)
    context, page = open_as(new_context, live_server.url, "admin", lang, java_script_enabled=False)
    page.goto(live_server.url + "/")
    more = page.locator("details.nav-more")
    dashboard = more.locator("a[href='/dashboard']")
    expect(dashboard).to_be_hidden()
    # By keyboard: Tab reaches "More", Enter opens it, Tab goes into it, Enter follows a link.
    page.locator("details.nav-more > summary").focus()
    page.keyboard.press("Enter")
    expect(dashboard).to_be_visible()
    dashboard.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/dashboard")
    # The current place is marked, on the "More" it is under too.
    expect(page.locator("details.nav-more a[aria-current=page]")).to_have_attribute("href", "/dashboard")
    # By touch: every link under "More" goes where it says.
    for href in ["/review/reports", "/communities", "/admin/", "/account"]:
        page.locator("details.nav-more > summary").click()
        with page.expect_navigation():
            page.locator(f"details.nav-more a[href='{href}']").click()
        assert page.url.endswith(href), (href, page.url)
    page.locator("details.nav-more > summary").click()
    with page.expect_navigation():
        page.locator("details.nav-more button[data-icon=signout]").click()
    expect(page.locator("header nav a[href='/signin']")).to_be_visible()


# --- 2. Dashboard tables ------------------------------------------------------------------

def _edge_darkness(page, box):
    """How much darker than the page the outermost pixels of a box are, on its left and right."""
    import io

    from PIL import Image
    shot = Image.open(io.BytesIO(page.screenshot(clip=box, scale="css"))).convert("L")
    width, height = shot.size
    background = 250  # --bg, #fbfaf7, in grey

    def darkness(x):
        column = sorted(shot.getpixel((x, y)) for y in range(height))
        return background - column[len(column) // 2]  # the median: not a border or a letter
    return darkness(1), darkness(width - 2)


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_tables_scroll_in_a_box_that_shows_it(app, live_server, new_context, lang):
    load_site(app)
    context, page = open_as(new_context, live_server.url, "facilitator", lang)
    page.goto(live_server.url + "/dashboard")
    for summary in page.locator("details.numbers-details > summary").all():
        summary.click()
    _fits_the_screen(page)
    boxes = page.locator(".table-scroll")
    overflowing = 0
    for n in range(boxes.count()):
        region = boxes.nth(n)
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-labelledby") or region.get_attribute("aria-label")
        region.scroll_into_view_if_needed()
        wide = region.evaluate("(el) => el.scrollWidth > el.clientWidth + 1")
        box = region.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
        start, end = _edge_darkness(page, box)
        left, right = (start, end)
        # More to see towards the end of the reading direction: a shadow on that side only.
        ahead, behind = (right, left) if lang == "en" else (left, right)
        if wide:
            overflowing += 1
            assert ahead >= 25 and behind < 10, (n, lang, left, right)
            if overflowing == 1:
                region.screenshot(path=str(ARTIFACTS / f"phone-dashboard-table-{lang}.png"))
            # Scrolled to its far end, the shadow moves to the other side.
            region.evaluate("(el) => { el.scrollLeft = getComputedStyle(el).direction === 'rtl' ? -el.scrollWidth : el.scrollWidth; }")
            start, end = _edge_darkness(page, box)
            ahead, behind = (end, start) if lang == "en" else (start, end)
            assert behind >= 25 and ahead < 10, (n, lang, start, end)
        else:
            assert left < 10 and right < 10, (n, lang, left, right)
    assert overflowing, "no table was wider than the phone: the test proves nothing"
    _shot(page, f"dashboard-{lang}", full_page=True)


# --- 3. The facilitators' people pages ----------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_people_lists_communities_with_counts_and_the_join_code_form_has_room(app, live_server, new_context, lang):
    load_site(app)  # giulia facilitates siena: 5 members (one recorded by her), one join code
    context, page = open_as(new_context, live_server.url, "facilitator", lang)
    page.goto(live_server.url + "/communities")
    card = page.locator(".community-card")
    expect(card).to_have_count(1)
    counts = card.locator("dl.counts dd")
    expect(counts).to_have_count(3)
    members, codes = counts.nth(0).inner_text(), counts.nth(1).inner_text()
    assert members in ("5", "٥") and codes in ("1", "١"), (members, codes)
    _fits_the_screen(page)
    _shot(page, f"people-{lang}", full_page=True)
    with page.expect_navigation():
        card.locator("a.button[href='/communities/siena/people']").click()

    form = page.locator("#join-code-form")
    form_box = form.bounding_box()
    style = form.evaluate("(f) => { const s = getComputedStyle(f); return { pad: parseFloat(s.paddingTop), gap: parseFloat(s.rowGap) }; }")
    assert style["pad"] >= 12 and style["gap"] >= 16, style
    fields = form.locator(".field")
    assert fields.count() == 3
    for n in range(3):
        label = fields.nth(n).locator("label").bounding_box()
        field = fields.nth(n).locator("input").bounding_box()
        assert label["y"] + label["height"] <= field["y"] + 1, "the label is above its field"
        assert field["height"] >= 44 and field["width"] >= form_box["width"] - 2 * style["pad"] - 2, field
    button = form.locator("button[type=submit]").bounding_box()
    assert button["height"] >= 44
    # Room after the form: the next heading is not glued to the button.
    following = page.locator("#people-h").bounding_box()
    assert following["y"] - (form_box["y"] + form_box["height"]) >= 24
    # Every person's actions are buttons with room between them.
    for row in page.locator(".card-list.people > li").all():
        boxes = [b.bounding_box() for b in row.locator(".card-links a, .card-links button").all()]
        assert all(b["height"] >= 44 for b in boxes)
    _fits_the_screen(page)
    _shot(page, f"community-{lang}", full_page=True)


# --- 4. Joining with a code from the sign-up and sign-in pages -----------------------------

def _join_code(app):
    from kultialogo.accounts import codes
    from kultialogo.accounts.models import Account
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db
    giulia = db.session.query(Account).filter_by(username="giulia").one()
    siena = db.session.query(Community).filter_by(slug="siena").one()
    code, _record = codes.create_join_code(giulia, siena, days=7, max_uses=5, label="Wall")
    db.session.remove()
    return code


def _member_of(username):
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    db.session.remove()
    account = db.session.query(Account).filter_by(username=username).one_or_none()
    slugs = sorted(m.community.slug for m in account.memberships) if account else None
    db.session.remove()
    return slugs


@pytest.mark.parametrize("lang", LANGS)
def test_a_join_code_can_be_used_from_sign_up_and_sign_in_without_javascript(app, live_server, new_context, lang):
    load_site(app)
    code = _join_code(app)
    context, page = open_as(new_context, live_server.url, "signed-out", lang, java_script_enabled=False)

    # From the menu's "Join": a field for the code, before the form for an account without one.
    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.locator("header nav a[data-icon=join]").click()
    field = page.locator("#have-code")
    expect(field).to_be_visible()
    assert field.bounding_box()["y"] < page.locator("#username").bounding_box()["y"]
    assert field.bounding_box()["y"] + 44 < 740, "the code field is on the first screen"
    _fits_the_screen(page)
    _shot(page, f"signup-{lang}")
    field.fill(code)
    with page.expect_navigation():
        page.locator("#have-code-form button[type=submit]").click()
    assert "/join" in page.url
    expect(page.locator("#join-form #code")).to_have_value(code)
    page.fill("#username", f"newcomer-{lang}")
    page.fill("#password", "246813")
    page.fill("#confirm", "246813")
    with page.expect_navigation():
        page.locator("#join-form button[type=submit]").click()
    assert _member_of(f"newcomer-{lang}") == ["siena"]
    with page.expect_navigation():
        page.locator("button[data-icon=signout]").click()

    # From the sign-in page: a link that stands out, to the same form.
    page.goto(live_server.url + "/signin")
    link = page.locator(".have-code a.button[href='/join']")
    expect(link).to_be_visible()
    assert link.bounding_box()["y"] + 44 < 740, "the way to join with a code is on the first screen"
    _fits_the_screen(page)
    _shot(page, f"signin-{lang}")
    with page.expect_navigation():
        link.click()
    expect(page.locator("#join-form #code")).to_be_visible()


# --- 5. One true status after Send --------------------------------------------------------

SHOWN_STATUS = """() => [...document.querySelectorAll('#compose .compose-status, .voice-done')]
    .filter((el) => !el.hidden && el.getClientRects().length && el.textContent.trim())
    .map((el) => el.textContent.trim())"""


@pytest.mark.parametrize("lang", LANGS)
def test_after_send_the_write_page_says_one_true_thing(app, people, live_server, new_context, lang):
    context = new_context()
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/write")
    sent = "Your story was sent." if lang == "en" else "أُرسلت قصتك."

    # Online: sent at once; one message, and it says so.
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    page.fill("#title", "By the river")
    page.fill("#body", "We walked by the river and talked about home.")
    page.locator("form#compose button[type=submit]").click()
    expect(page.locator(".mine-item", has_text="By the river")).to_have_attribute("data-state", "review")
    eventually(page, f"async () => ({SHOWN_STATUS})().length === 1 && ({SHOWN_STATUS})()[0].includes({sent!r})")
    assert page.evaluate(SHOWN_STATUS) == [sent], page.evaluate(SHOWN_STATUS)
    page.locator(".voice-done").scroll_into_view_if_needed()
    _shot(page, f"sent-{lang}")

    # Offline: kept on the phone, to be sent later; still one message.
    context.set_offline(True)
    page.fill("#title", "On the bus")
    page.fill("#body", "The bus driver greeted us in Arabic.")
    page.locator("form#compose button[type=submit]").click()
    expect(page.locator(".mine-item", has_text="On the bus")).to_be_visible()
    shown = page.evaluate(SHOWN_STATUS)
    assert len(shown) == 1 and sent not in shown[0], shown
    assert ("saved on this phone" if lang == "en" else "على هذا الهاتف") in shown[0].lower(), shown
    page.locator(".voice-done").scroll_into_view_if_needed()
    _shot(page, f"saved-offline-{lang}")
    context.set_offline(False)
    expect(page.locator(".mine-item", has_text="On the bus")).to_have_attribute("data-state", "review")
    eventually(page, f"async () => ({SHOWN_STATUS})().length === 1 && ({SHOWN_STATUS})()[0].includes({sent!r})")

    # Where voice.js does not run (no recorder), the form's own line is the one message, and it
    # too ends at "sent".
    page.evaluate("document.querySelector('.voice-done').remove()")
    page.fill("#title", "At the market")
    page.fill("#body", "We bought figs and bread.")
    page.locator("form#compose button[type=submit]").click()
    expect(page.locator(".mine-item", has_text="At the market")).to_have_attribute("data-state", "review")
    eventually(page, f"async () => ({SHOWN_STATUS})().length === 1 && ({SHOWN_STATUS})()[0].includes({sent!r})")


# --- 6. The first-visit notice ------------------------------------------------------------

UNCOVERED = """(selector) => {
    const el = document.querySelector(selector);
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return Boolean(hit) && (hit === el || el.contains(hit));
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_the_first_visit_notice_covers_no_control(app, people, live_server, new_context, lang):
    context = new_context()
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    # Signed in without a page (so /write is the first page this phone shows, where the
    # service worker installs and the notice appears).
    from tests import factories as f
    form = context.request.get(live_server.url + "/signin").text()
    context.request.post(live_server.url + "/signin", form={
        "username": "amina", "password": f.PASSWORD, "csrf_token": f.csrf_from(form)})
    page = context.new_page()
    page.goto(live_server.url + "/write")
    assert page.locator("html").get_attribute("data-user"), "not signed in"
    notice = page.locator("[data-banner=ready]")
    expect(notice).to_be_visible(timeout=30_000)  # when the service worker has installed
    controls = ["form#compose button[type=submit]", "#lang-select", "form.lang button[type=submit]",
                "header nav a[data-icon=write]"]
    for selector in controls:
        # Wherever the page is scrolled to: the control at the bottom of the screen, or the page's end.
        for where in ["end", "center", "start"]:
            page.locator(selector).evaluate(f"(el) => el.scrollIntoView({{ block: '{where}' }})")
            assert page.evaluate(UNCOVERED, selector), f"{selector} is covered ({where})"
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    for selector in controls[:3]:
        assert page.evaluate(UNCOVERED, selector), f"{selector} is covered at the end of the page"
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, f"first-visit-{lang}")
    # Still closed with its button, and the page is as before.
    notice.get_by_role("button").click()
    expect(notice).to_have_count(0)


# --- 7. A voice story's card in the feed --------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_a_voice_story_card_shows_a_microphone_its_length_and_a_player(app, live_server, new_context, lang):
    load_site(app)  # the demo has a story told by voice alone: six seconds
    context, page = open_as(new_context, live_server.url, "signed-out", lang)
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if "/media/" in request.url else None)
    page.goto(live_server.url + "/")
    card = page.locator(".story-card", has=page.locator("audio"))
    expect(card).to_have_count(1)
    expect(card.locator(".voice-card svg.icon use")).to_have_attribute("href", "#i-mic")
    assert page.locator("symbol#i-mic").count() == 1
    expect(card.locator(".voice-card time.duration")).to_have_text("0:06")
    expect(card.locator(".voice-card time.duration")).to_have_attribute("datetime", "PT6S")
    audio = card.locator("audio")
    expect(audio).to_have_attribute("preload", "none")
    assert audio.get_attribute("controls") is not None
    assert audio.bounding_box()["height"] >= 44
    card.scroll_into_view_if_needed()
    _fits_the_screen(page)
    _shot(page, f"voice-card-{lang}")
    assert not fetched, f"the recording was fetched before anyone pressed play: {fetched}"
