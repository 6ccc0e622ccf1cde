"""Signing out ends the session on the server: a copy of the cookie taken before opens nothing."""
import pytest
from sqlalchemy import func, select

from kultialogo.accounts.models import WebSession
from kultialogo.extensions import db
from tests import factories as f
from tests.people.helpers import Fresh


@pytest.fixture
def people(app):
    f.community("a")
    return {"amina": f.account("amina", community_slug="a"), "yusuf": f.account("yusuf", community_slug="a")}


def _copy(app, browser) -> Fresh:
    """Another browser holding the same cookie (copied off a shared phone)."""
    thief = Fresh(app)
    cookie = browser.client.get_cookie("session")
    thief.client.set_cookie("session", cookie.value)
    return thief


def _sessions(account) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.account_id == account.id))


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    copy = _copy(app, browser)
    assert copy.get("/account").status_code == 200
    assert _sessions(people["amina"]) == 1
    browser.form("/signout", {}, page="/account")
    assert _sessions(people["amina"]) == 0
    response = copy.get("/account")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_signing_out_one_browser_keeps_the_others_and_other_people(app, people):
    phone, laptop, other = Fresh(app), Fresh(app), Fresh(app)
    phone.sign_in("amina")
    laptop.sign_in("amina")
    other.sign_in("yusuf")
    phone.form("/signout", {}, page="/account")
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200
    assert other.get("/account").status_code == 200


def test_a_reset_signs_every_browser_out(app, people):
    from kultialogo.accounts import codes
    phone = Fresh(app)
    phone.sign_in("amina")
    copy = _copy(app, phone)
    fac = f.account("fac", community_slug="a", role="facilitator")
    raw, _record = codes.issue_reset_code(fac, people["amina"])
    codes.reset_with_code("amina", raw, "a new password 123")
    assert _sessions(people["amina"]) == 0
    assert phone.get("/account").status_code == 302
    assert copy.get("/account").status_code == 302


def test_deleting_the_account_deletes_its_sessions(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    copy = _copy(app, browser)
    response = browser.form("/account/delete", {"password": f.PASSWORD, "stories": "delete", "confirm": "y"},
                            page="/account")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert copy.get("/account").status_code == 302
