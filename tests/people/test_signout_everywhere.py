"""Sign out everywhere: for a phone lost, lent or shared, every session and token of the account end.

Also: a session idle longer than a cookie lives ends on the server, and such rows are pruned.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kultialogo import limits
from kultialogo.accounts.models import WebSession
from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.timeutil import as_utc, utcnow
from tests import factories as f
from tests.people.helpers import Fresh


@pytest.fixture
def people(app):
    f.community("a")
    return {"amina": f.account("amina", community_slug="a"), "yusuf": f.account("yusuf", community_slug="a")}


def _token(browser, username):
    response = browser.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD},
                            environ_base=f.address_of(username))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _sessions(account) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.account_id == account.id))


def test_the_account_page_offers_it_and_it_ends_every_session_and_token(app, people):
    phone, laptop, other = Fresh(app), Fresh(app), Fresh(app)
    phone.sign_in("amina")
    laptop.sign_in("amina")
    other.sign_in("yusuf")
    token = _token(Fresh(app), "amina")
    yusuf_token = _token(Fresh(app), "yusuf")
    page = laptop.get("/account").get_data(as_text=True)
    assert 'action="/signout/everywhere"' in page and "Sign out everywhere" in page

    response = laptop.form("/signout/everywhere", {}, page="/account")
    assert response.status_code == 302
    after = laptop.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are signed out on every phone and computer." in after

    assert _sessions(people["amina"]) == 0
    for browser in (phone, laptop):
        assert browser.get("/account").status_code == 302
    bearer = {"Authorization": f"Bearer {token}"}
    assert Fresh(app).get("/api/v1/communities", headers=bearer).status_code == 401
    # Nobody else is touched.
    assert other.get("/account").status_code == 200
    assert Fresh(app).get("/api/v1/communities",
                          headers={"Authorization": f"Bearer {yusuf_token}"}).status_code == 200


def test_it_needs_a_csrf_token_and_a_signed_in_person(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    assert browser.post("/signout/everywhere", data={}).status_code == 400
    assert _sessions(people["amina"]) == 1
    assert Fresh(app).form("/signout/everywhere", {}, page="/signin").status_code == 302
    assert _sessions(people["amina"]) == 1


def test_it_is_offered_in_arabic(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    page = browser.get("/account?lang=ar").get_data(as_text=True)
    assert 'action="/signout/everywhere"' in page
    assert "Sign out everywhere" not in page


def _age_sessions(account, days):
    with write_transaction():
        db.session.execute(update(WebSession).where(WebSession.account_id == account.id)
                           .values(last_seen_at=utcnow() - timedelta(days=days)))


def test_a_session_idle_longer_than_a_cookie_lives_opens_nothing(app, people):
    lifetime_days = app.permanent_session_lifetime.days
    browser = Fresh(app)
    browser.sign_in("amina")
    _age_sessions(people["amina"], lifetime_days - 1)
    assert browser.get("/account").status_code == 200
    # Seen again: the day it was last seen moved on.
    db.session.rollback()
    seen = db.session.scalar(select(WebSession.last_seen_at).where(WebSession.account_id == people["amina"].id))
    assert as_utc(seen) > utcnow() - timedelta(hours=1)
    _age_sessions(people["amina"], lifetime_days + 1)
    assert browser.get("/account").status_code == 302


def test_signing_in_prunes_the_accounts_expired_sessions_only(app, people):
    days = app.permanent_session_lifetime.days
    old, fresh_one = Fresh(app), Fresh(app)
    old.sign_in("amina")
    _age_sessions(people["amina"], days + 1)
    Fresh(app).sign_in("yusuf")
    _age_sessions(people["yusuf"], days + 1)
    fresh_one.sign_in("amina")
    assert _sessions(people["amina"]) == 1  # the expired one went, the new one is there
    assert _sessions(people["yusuf"]) == 1  # another account's rows are its own business


def test_a_page_view_does_not_write_every_time(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    db.session.rollback()
    before = db.session.scalar(select(WebSession.last_seen_at).where(WebSession.account_id == people["amina"].id))
    browser.get("/account")
    db.session.rollback()
    after = db.session.scalar(select(WebSession.last_seen_at).where(WebSession.account_id == people["amina"].id))
    assert after == before


def test_the_delete_form_spends_the_sign_in_budget(app, people):
    browser = Fresh(app)
    browser.sign_in("amina")
    statuses = []
    for _ in range(limits.SIGNIN_PER_MINUTE + 1):
        statuses.append(browser.form("/account/delete", {"password": "not the password", "stories": "delete",
                                                         "confirm": "y"}, page="/account").status_code)
    assert 429 not in statuses[:limits.SIGNIN_PER_MINUTE - 1]
    assert statuses[-1] == 429
    # The account's budget is spent: a sign-in with the right password from elsewhere waits too.
    other = Fresh(app)
    token = other.csrf("/signin")
    response = other.post("/signin", data={"csrf_token": token, "username": "amina", "password": f.PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 429
