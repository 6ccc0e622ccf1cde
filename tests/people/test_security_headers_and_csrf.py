"""Every HTML response carries the strict CSP; every form carries a CSRF token and is refused
without one."""
import re
import uuid

import pytest
from sqlalchemy import select

from kultialogo.accounts.models import JoinCode
from kultialogo.extensions import db
from kultialogo.people import service as people_service
from tests import factories as f
from tests.people.helpers import Fresh, make_story

CSP_MUST = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
            "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'")


@pytest.fixture
def site(app):
    f.community("a")
    f.community("b")
    fac = f.account("fac", community_slug="a", role="facilitator")
    member = f.account("member", community_slug="a")
    f.account("root", is_admin=True)
    story = make_story(member, status="pending")
    person = people_service.create_managed(fac, f.community("a"), "Managed")
    from kultialogo.accounts import codes
    codes.create_join_code(fac, f.community("a"), days=3, max_uses=3)
    return {"story": story, "person": person, "code_id": db.session.scalar(select(JoinCode.id))}


def html_get_paths(site) -> list[str]:
    s, p = site["story"].id, site["person"].id
    return ["/", "/?page=2", "/signin", "/signup", "/join", "/join?code=AAAA-BBBB-CCCC", "/reset", "/account",
            "/write", f"/stories/{s}", f"/stories/{uuid.uuid4()}", "/review", "/communities", "/communities/a/people",
            "/communities/b/people", f"/communities/a/people/{p}/record", f"/communities/a/people/{p}/delete",
            "/offline", "/no-such-page", "/static/nothing.css"]


def check_csp(response, path):
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in CSP_MUST:
        assert directive in csp, (path, response.status_code, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"


def forms_of(html: str) -> list[tuple[str, str]]:
    """(action, whole form) for every POST form of a page; an empty action posts to the page."""
    out = []
    for match in re.finditer(r"<form\b([^>]*)>.*?</form>", html, re.S | re.I):
        attrs = match.group(1)
        if not re.search(r'method="post"', attrs, re.I):
            continue
        action = re.search(r'action="([^"]*)"', attrs)
        out.append(((action.group(1) if action else "").replace("&amp;", "&"), match.group(0)))
    return out


@pytest.mark.parametrize("who", [None, "member", "fac", "root"])
def test_every_html_page_has_the_csp_and_every_form_a_csrf_token(app, site, who):
    browser = Fresh(app)
    if who:
        browser.sign_in(who)
    seen_forms = 0
    for path in html_get_paths(site):
        response = browser.get(path)
        if response.mimetype != "text/html":
            continue
        check_csp(response, path)
        html = response.get_data(as_text=True)
        assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path  # no inline script
        assert not re.search(r"<style\b", html) and not re.search(r'\sstyle="', html), path  # no inline style
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers
        for action, form in forms_of(html):
            seen_forms += 1
            assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), (path, action)
    assert seen_forms > 0


def test_error_pages_and_refusals_have_the_csp_too(app, site):
    browser = Fresh(app)
    check_csp(browser.post("/write", data={}), "csrf refused")               # 400 (CSRF)
    check_csp(browser.open("/signin", method="PUT"), "405")
    check_csp(browser.get(f"/stories/{uuid.uuid4()}"), "404")
    for _ in range(11):
        last = browser.post("/signin", data={"csrf_token": browser.csrf("/signin"), "username": "x", "password": "y"})
    assert last.status_code == 429
    check_csp(last, "429")


def test_every_form_is_refused_without_its_csrf_token(app, site):
    """Each form found on the pages, posted without the token by a signed-in facilitator, is 400."""
    browser = Fresh(app)
    browser.sign_in("fac")
    actions = set()
    for path in html_get_paths(site):
        response = browser.get(path)
        if response.mimetype == "text/html":
            for action, _form in forms_of(response.get_data(as_text=True)):
                actions.add(action or path)
    assert {"/signout", "/language", "/communities/a/join-codes", "/communities/a/managed"} <= actions
    for action in sorted(actions):
        response = browser.post(action, data={"days": 1, "max_uses": 1, "display_name": "x", "stories": "delete",
                                              "confirm": "y", "title": "t", "body": "b"})
        assert response.status_code == 400, (action, response.status_code)
        assert "form expired or was sent from elsewhere" in response.get_data(as_text=True), action
    # Nothing happened: still signed in, no second join code, no new person.
    assert browser.get("/account").status_code == 200
    db.session.rollback()
    assert len(db.session.scalars(select(JoinCode)).all()) == 1


def test_session_writes_to_the_api_need_the_csrf_header(app, site):
    browser = Fresh(app)
    browser.sign_in("member")
    item = f.item(community="a")
    assert browser.post("/api/v1/sync/push", json={"items": [item]}).status_code == 403
    token = browser.csrf("/write")
    ok = browser.post("/api/v1/sync/push", json={"items": [item]}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.get_json()["results"][0]["result"] == "created"
