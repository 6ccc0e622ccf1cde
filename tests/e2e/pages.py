"""Every page of the app, for the checks that go over all of them (accessibility, pseudo-locale).

The list is built from ``app.url_map``: every GET rule without arguments, plus the rules with
arguments filled from the demo content (``URL_ARGUMENTS``). A new route with arguments must be
added to ``URL_ARGUMENTS`` or to ``NOT_PAGES`` (test_every_page_route_is_crawled says so), so a
new page cannot slip past the checks. Some pages only exist as the answer to a form (a join
code, a form with errors): ``ACTIONS`` reaches them in the browser.
"""
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from tests.e2e.browser import sign_in

# Who looks at the pages: signed out, and one account of each role in the demo content.
ROLES = {"signed-out": None, "participant": "amina", "facilitator": "giulia", "admin": "admin"}

# GET endpoints with arguments that are not HTML pages (downloads, JSON, files).
NOT_PAGES = {
    "static", "media.serve", "i18n.client_strings", "privacy.account_data", "people.person_data",
    "exports.aggregates", "exports.attendance", "exports.audit", "exports.events", "exports.stories",
    "exports.help",
}
# GET endpoints without arguments that answer something other than a page are found by their
# Content-Type when crawled (healthz, the manifest, /sw.js, the API).
API_PREFIXES = ("/api/",)


@dataclass
class Site:
    """Ids from the demo content that page addresses need."""
    community: str = "siena"
    other_community: str = "belgrade"
    participant_id: int = 0
    managed_id: int = 0
    stories: dict = field(default_factory=dict)  # what it shows -> story id
    events: dict = field(default_factory=dict)   # what it shows -> event id
    help_requests: list = field(default_factory=list)  # the demo's (Amina's, Giulia mediates)


def _story_arguments(site):
    missing = uuid.UUID("00000000-0000-4000-8000-000000000000")  # the "not found" page
    shown = [{"story_id": story_id} for story_id in [*site.stories.values(), missing]]
    if "translated" in site.stories:  # and the original, a click away from the translation
        shown.append({"story_id": site.stories["translated"], "original": 1})
    return shown


def _event_arguments(site):
    return [{"event_id": event_id} for event_id in site.events.values()]


def _slugs(site):
    return [{"slug": site.community}, {"slug": site.other_community}]


# endpoint -> the argument sets to visit it with (each role sees what it may: an error page is
# a page too, and is checked like any other). Query arguments show the page in other states.
URL_ARGUMENTS = {
    "stories.feed": lambda site: [{}, {"language": "ar"}, {"page": 2}],
    "stories.show": _story_arguments,
    "events.show": _event_arguments,
    "events.attendance": _event_arguments,
    "events.edit": _event_arguments,
    "events.community": _slugs,
    "events.create": lambda site: [{"slug": site.community}],
    "people.community": _slugs,
    "people.record": lambda site: [{"slug": site.community, "account_id": site.managed_id}],
    "people.delete_person": lambda site: [{"slug": site.community, "account_id": site.participant_id}],
    "admin.community_edit": lambda site: [{"slug": site.community}],
    "admin.members": lambda site: [{"slug": site.community}],
    # Amina's answered and waiting requests (Giulia, the mediator, sees both; the admin gets
    # 404), and one that does not exist.
    "help.show": lambda site: [{"request_id": r} for r in
                               [*site.help_requests, uuid.UUID("00000000-0000-4000-8000-000000000000")]],
}


def _as_a_camp_node(siena, account) -> None:
    """The demo instance is also a camp node of siena (for /node and /node/admin), with a sync
    done and a conflict of each side to list; central's Camp nodes page has a token."""
    from kultialogo.extensions import db
    from kultialogo.nodes import conflicts, tokens
    from kultialogo.nodes.models import NodeLink
    from kultialogo.timeutil import isoformat, utcnow

    _token, issued = tokens.issue(account["giulia"], siena, label="Lake camp laptop")
    db.session.add(NodeLink(id=1, central_url="https://central.example.org", token="kn_" + "x" * 43,
                            community_id=siena.id, node_id=issued.id, label="Lake camp laptop", last_sync_at=utcnow(),
                            progress={"phase": "done", "records_done": 2350, "records_total": 2350,
                                      "bytes_done": 48_000_000, "bytes_total": None, "rate": 41.5,
                                      "started_at": isoformat(utcnow()), "updated_at": isoformat(utcnow())}))
    conflicts.record(issued.id, "account", account["amina"].uid, "username_renamed",
                     {"from": "amina", "to": "amina-2", "account": str(account["amina"].uid)})
    conflicts.record(None, "story", uuid.uuid4(), "central_moderation_wins", {})
    db.session.commit()


def _a_face_waiting(account) -> None:
    """A community story with a photo of a face, waiting for review: the queue shows
    "Faces found" with its boxes and the blur forms (#17)."""
    from pathlib import Path

    from kultialogo.media.service import ingest_upload
    from kultialogo.stories import service as stories
    from kultialogo.stories.schema import validate_content

    with open(Path(__file__).parent.parent / "fixtures" / "astronaut.jpg", "rb") as fh:
        photo = ingest_upload(account["amina"], fh)
    content = validate_content({"title": "At the fair", "body": "My friend at the fair.", "language": "en",
                                "community": "siena", "visibility": "community", "author_display": "pseudonym",
                                "media": [photo]})
    stories.write_one(account["amina"], uuid.UUID("7f0c2a51-3c1e-4f6a-9d2b-5a8e0f4c1d77"), content)


def load_site(app) -> Site:
    """The demo content (as `kultialogo demo` makes it), plus what the demo lacks: a person
    without an account (recorded by a facilitator) and a join code, for the people pages."""
    from kultialogo.accounts import codes
    from kultialogo.accounts.models import Account
    from kultialogo.communities.models import Community
    from kultialogo.demo import load_demo
    from kultialogo.extensions import db
    from kultialogo.people import service as people
    from kultialogo.stories.models import Story

    load_demo()
    account = {a.username: a for a in db.session.scalars(select(Account))}
    siena = db.session.scalar(select(Community).where(Community.slug == "siena"))
    managed = people.create_managed(account["giulia"], siena, "Hamid")
    codes.create_join_code(account["giulia"], siena, days=7, max_uses=20, label="Camp wall")
    _as_a_camp_node(siena, account)
    _a_face_waiting(account)
    site = Site(participant_id=account["amina"].id, managed_id=managed.id)

    stories = db.session.scalars(select(Story).where(Story.community_id == siena.id)
                                 .order_by(Story.received_at.desc())).all()

    def first(predicate):
        return next((s.id for s in stories if predicate(s)), None)

    wanted = {
        "published by the participant": first(lambda s: s.status == "published" and s.author_id == site.participant_id),
        "published, community only": first(lambda s: s.status == "published" and s.visibility == "community"),
        "published by another": first(lambda s: s.status == "published" and s.author_id != site.participant_id),
        "waiting for review": first(lambda s: s.status == "pending"),
        "not published, with a reason": first(lambda s: s.status == "rejected"),
        "told at an event": first(lambda s: getattr(s, "event_id", None) is not None),
    }
    from kultialogo.media.models import MediaFile
    kinds = {m.sha256: m.content_type.split("/")[0] for m in db.session.scalars(select(MediaFile))}
    with_media = db.session.scalars(select(Story).where(Story.status == "published")).all()
    wanted["with a photo"] = next((s.id for s in with_media if "image" in {kinds.get(h) for h in s.media or []}), None)
    try:
        from kultialogo.translations.models import StoryTranslation
    except ImportError:  # before story translations
        StoryTranslation = None
    if StoryTranslation is not None:
        translated = db.session.scalars(select(StoryTranslation.story_id).where(StoryTranslation.status == "published")).first()
        wanted["translated"] = translated
    try:
        from kultialogo.replies.models import Reply
    except ImportError:  # before replies to stories
        Reply = None
    if Reply is not None:  # its replies, reactions, reply form and report forms
        wanted["with replies"] = db.session.scalars(select(Reply.story_id).where(Reply.status == "published")).first()
    wanted["a voice story"] = next((s.id for s in with_media if "audio" in {kinds.get(h) for h in s.media or []}), None)
    site.stories = {what: story_id for what, story_id in wanted.items() if story_id is not None}
    try:
        from kultialogo.events.models import Event
    except ImportError:  # before the events blueprint
        Event = None
    if Event is not None:
        events = db.session.scalars(select(Event).where(Event.community_id == siena.id)).all()
        site.events = {f"event {n}": e.id for n, e in enumerate(events[:2])}
    try:
        from kultialogo.help.models import HelpRequest
    except ImportError:  # before help requests
        HelpRequest = None
    if HelpRequest is not None:
        site.help_requests = list(db.session.scalars(select(HelpRequest.sync_id).order_by(HelpRequest.id)))
    db.session.remove()
    return site


def page_routes(app):
    """(endpoint, rule) of every GET route that may be a page."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith(API_PREFIXES):
            continue
        yield rule.endpoint, rule


def page_paths(app, site: Site) -> list[str]:
    """The address of every page, in a stable order."""
    paths = []
    with app.test_request_context():
        from flask import url_for
        for endpoint, rule in page_routes(app):
            if not rule.arguments and endpoint not in URL_ARGUMENTS:
                paths.append(url_for(endpoint))
                continue
            for arguments in URL_ARGUMENTS[endpoint](site):
                paths.append(url_for(endpoint, **arguments))
    return sorted(set(paths))


def uncovered_routes(app) -> list[str]:
    """GET routes with arguments that no entry of URL_ARGUMENTS or NOT_PAGES accounts for."""
    return sorted(rule.rule for endpoint, rule in page_routes(app)
                  if rule.arguments and endpoint not in URL_ARGUMENTS)


# --- Pages that are the answer to a form ------------------------------------------------

def _submit(page, form_selector):
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def _empty_sign_in(page, base, site):
    page.goto(base + "/signin")
    _submit(page, "main form")


def _bad_join(page, base, site):
    page.goto(base + "/join")
    page.fill("input[name=code]", "ABCD-EFGH")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", "12")
    page.fill("input[name=confirm]", "34")
    _submit(page, "#join-form")


def _new_join_code(page, base, site):
    page.goto(f"{base}/communities/{site.community}/people")
    page.fill("#join-code-form input[name=label]", "Library")
    _submit(page, "#join-code-form")


def _reset_code(page, base, site):
    page.goto(f"{base}/communities/{site.community}/people")
    form = page.locator(f"form[action$='/people/{site.participant_id}/reset-code']")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _empty_record(page, base, site):
    page.goto(f"{base}/communities/{site.community}/people/{site.managed_id}/record")
    _submit(page, "form#record")


def _bad_join_more(page, base, site):
    page.goto(base + "/account")
    page.fill("#join-more-form input[name=code]", "ABCD-EFGH")
    _submit(page, "#join-more-form")


def _story_sent(page, base, site):
    """The phone's own list of stories, after one is sent from the write page (JavaScript)."""
    page.goto(base + "/write")
    settle(page)
    page.fill("#title", "A walk by the river")
    page.fill("#body", "We walked by the river and talked about home.")
    page.locator("form#compose button[type=submit]").click()
    page.locator(".mine-item").first.wait_for()


def _no_signal(page, base, site):
    """The write page when the signal goes (its banner); visit_all turns the network back on."""
    page.goto(base + "/write")
    settle(page)
    page.context.set_offline(True)
    page.locator(".banner-offline").wait_for()


def _published(page, base, site):
    """A story published from the review list: the list again, with its confirmation."""
    page.goto(base + "/review")
    with page.expect_navigation():
        page.locator("form[action*='/publish'] button[type=submit]").first.click()


def _reject_open(page, base, site):
    """The review list with a story's reject form open (reason codes and a note)."""
    page.goto(base + "/review")
    page.locator("details.act > summary").first.click()


def _report_open(page, base, site):
    """A story page with the report form open."""
    for story_id in site.stories.values():  # one this person has not reported yet
        page.goto(f"{base}/stories/{story_id}")
        if page.locator("details.report > summary").count():
            page.locator("details.report > summary").first.click()
            return
    raise AssertionError("no story with a report form")


# role -> [(what it shows, how to get there)]
ACTIONS = {
    "signed-out": [("sign-in form with errors", _empty_sign_in), ("join form with errors", _bad_join)],
    "participant": [("join another community, wrong code", _bad_join_more), ("report form open", _report_open),
                    ("a story sent", _story_sent), ("no signal while writing", _no_signal)],
    "facilitator": [("a new join code", _new_join_code), ("a reset code", _reset_code),
                    ("record form with errors", _empty_record), ("reject form open", _reject_open),
                    ("a story published", _published)],
    "admin": [("a new join code", _new_join_code)],
}


# --- Browsing -----------------------------------------------------------------------------

SETTLE = """() => new Promise((resolve) => {
    // The page's scripts run when the browser is idle (app.js): let them, then two frames.
    const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
    if ('requestIdleCallback' in self) requestIdleCallback(done, { timeout: 3000 }); else setTimeout(done, 0);
})"""


def settle(page):
    """Until the page's scripts have done their first work (strings loaded, outbox shown)."""
    page.wait_for_load_state("networkidle")
    page.evaluate(SETTLE)
    page.wait_for_load_state("networkidle")


def open_as(new_context, base, role, lang, **options):
    """A browser context signed in as this role (or signed out), reading in this language.

    Service workers are off: these checks look at the pages as the server and the page's
    scripts make them, not at what a worker saved earlier."""
    options.setdefault("service_workers", "block")
    context = new_context(**options)
    context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    page = context.new_page()
    username = ROLES[role]
    if username:
        from kultialogo.demo import DEMO_PASSWORD
        sign_in(page, base, username, DEMO_PASSWORD)
    return context, page


def visit_all(page, base, paths, role, site):
    """Go to every page (and every form answer) in turn; yields a label for each one shown.

    Pages that are not HTML are skipped; an address that redirects to one already seen (e.g.
    the sign-in page for a signed-out visitor) is seen once."""
    seen = set()
    for path in paths:
        response = page.context.request.get(base + path, max_redirects=0)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        response = page.goto(base + path)
        final = page.url.removeprefix(base)
        # The sign-in page is the same page whatever ?next= it carries.
        key = (final if final == path else final.split("?")[0], response.status if response else None)
        if key in seen:
            continue
        seen.add(key)
        settle(page)
        yield path if final == path else f"{path} -> {final}"
    for label, action in ACTIONS.get(role, []):
        action(page, base, site)
        if not page.evaluate("navigator.onLine"):
            page.evaluate(SETTLE)
        else:
            settle(page)
        yield f"{label} ({page.url.removeprefix(base)})"
        page.context.set_offline(False)
