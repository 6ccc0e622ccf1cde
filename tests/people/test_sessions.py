"""A new password (from a facilitator's reset code) signs out every other browser."""
from sqlalchemy import select

from kultialogo.accounts import codes
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from tests import factories as f
from tests.people.helpers import Fresh


def test_a_reset_signs_out_other_browsers(app):
    f.community("a")
    fac = f.account("fac", community_slug="a", role="facilitator")
    member = f.account("member", community_slug="a")
    old_phone = Fresh(app)
    old_phone.sign_in("member")
    assert old_phone.get("/account").status_code == 200
    code, _ = codes.issue_reset_code(fac, member)
    new_phone = Fresh(app)
    assert new_phone.form("/reset", {"username": "member", "code": code, "password": "592653",
                                     "confirm": "592653"}).status_code == 302
    assert new_phone.get("/account").status_code == 200
    assert old_phone.get("/account").status_code == 302  # back to sign-in
    db.session.rollback()
    assert db.session.scalar(select(Account).where(Account.username == "member")) is not None
