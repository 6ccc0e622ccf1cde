"""Join codes and reset codes: joining without email, and getting back in without email."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kultialogo.accounts import codes
from kultialogo.accounts.models import Account, JoinCode, ResetCode
from kultialogo.extensions import db
from kultialogo.timeutil import utcnow
from tests import factories as f
from tests.people.helpers import Fresh, all_rows_text, code_from


@pytest.fixture
def people(app):
    f.community("a")
    f.community("b")
    return {"fac_a": f.account("fac_a", community_slug="a", role="facilitator"),
            "fac_b": f.account("fac_b", community_slug="b", role="facilitator"),
            "member_a": f.account("member_a", community_slug="a")}


def make_code(app, who="fac_a", slug="a", days=7, uses=5) -> str:
    browser = Fresh(app)
    browser.sign_in(who)
    response = browser.form(f"/communities/{slug}/join-codes", {"days": days, "max_uses": uses, "label": "wall"},
                            page=f"/communities/{slug}/people")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert re.search(r"<svg[^>]*>", html) and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    assert "style=" not in html and "<style" not in html  # the QR renders under style-src 'self'
    assert re.search(rf'Valid until <time datetime="[\d-]+">[^<]+</time> · for {uses} {"person" if uses == 1 else "people"}</p>', html)
    return code_from(html)


def join(app, code, username, secret="correct horse battery", path="/join"):
    browser = Fresh(app)
    response = browser.form(path, {"code": code, "username": username, "password": secret, "confirm": secret},
                            page="/join")
    return browser, response


def test_code_is_readable_aloud_and_stored_only_as_a_keyed_hash(app, people):
    code = make_code(app)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}(-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}){2}", code)
    raw = code.replace("-", "")
    rows = all_rows_text()
    assert code not in rows and raw not in rows and raw.lower() not in rows


def test_joining_with_a_code_and_a_pin_makes_a_participant_of_that_community(app, people):
    code = make_code(app)
    # Typed loosely: lower case, spaces instead of dashes.
    browser, response = join(app, code.lower().replace("-", " "), "newcomer", secret="482913")
    assert response.status_code == 302
    db.session.rollback()
    account = db.session.scalar(select(Account).where(Account.username == "newcomer"))
    assert account.role_in(f.community("a").id) == "participant"
    assert account.role_in(f.community("b").id) is None
    assert browser.get("/write").status_code == 200
    assert Fresh(app).form("/signin", {"username": "newcomer", "password": "482913"}).status_code == 302


def test_a_short_password_that_is_not_a_six_digit_pin_is_refused(app, people):
    code = make_code(app)
    _, response = join(app, code, "newcomer", secret="12345")
    assert response.status_code == 400
    assert "PIN of exactly 6 digits" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(JoinCode.uses)) == 0  # a refused join does not use the code


def test_an_expired_code_is_refused(app, people):
    code = make_code(app)
    db.session.rollback()
    db.session.execute(update(JoinCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    _, response = join(app, code, "late")
    assert response.status_code == 400
    assert "does not work" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(Account).where(Account.username == "late")) is None


def test_a_used_up_code_is_refused(app, people):
    code = make_code(app, uses=2)
    assert join(app, code, "first")[1].status_code == 302
    assert join(app, code, "second")[1].status_code == 302
    _, third = join(app, code, "third")
    assert third.status_code == 400
    db.session.rollback()
    assert db.session.scalar(select(JoinCode.uses)) == 2
    assert db.session.scalar(select(Account).where(Account.username == "third")) is None


def test_a_taken_username_does_not_use_up_the_code(app, people):
    code = make_code(app, uses=1)
    _, response = join(app, code, "member_a")
    assert response.status_code == 409
    assert join(app, code, "someone")[1].status_code == 302


def test_a_code_of_another_community_is_refused(app, people):
    code_a = make_code(app)
    # The QR of community B's wall (with ?community=b) cannot be used with A's code...
    _, response = join(app, code_a, "wanderer", path="/join?community=b")
    assert response.status_code == 400
    # ...and a facilitator of B can neither make nor stop codes of A, nor see A's people.
    fac_b = Fresh(app)
    fac_b.sign_in("fac_b")
    assert fac_b.get("/communities/a/people").status_code == 404
    token = fac_b.csrf("/communities/b/people")
    assert fac_b.post("/communities/a/join-codes", data={"csrf_token": token, "days": 1, "max_uses": 1}).status_code == 404
    db.session.rollback()
    code_id = db.session.scalar(select(JoinCode.id))
    assert fac_b.post(f"/communities/b/join-codes/{code_id}/revoke", data={"csrf_token": token}).status_code == 404
    assert fac_b.post(f"/communities/a/join-codes/{code_id}/revoke", data={"csrf_token": token}).status_code == 404
    # A participant of A cannot make codes either.
    member = Fresh(app)
    member.sign_in("member_a")
    assert member.get("/communities/a/people").status_code == 404


def test_a_stopped_code_is_refused(app, people):
    code = make_code(app)
    fac = Fresh(app)
    fac.sign_in("fac_a")
    db.session.rollback()
    code_id = db.session.scalar(select(JoinCode.id))
    assert fac.form(f"/communities/a/join-codes/{code_id}/revoke", {}, page="/communities/a/people").status_code == 302
    assert join(app, code, "after")[1].status_code == 400


def test_a_member_joins_another_community_with_its_code(app, people):
    code_b = make_code(app, who="fac_b", slug="b")
    member = Fresh(app)
    member.sign_in("member_a")
    response = member.form("/join", {"code": code_b}, page="/account")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Account, people["member_a"].id).role_in(f.community("b").id) == "participant"


def test_guessing_join_codes_is_rate_limited_per_address(app, people):
    make_code(app)
    browser = Fresh(app)
    token = browser.csrf("/join")
    statuses = []
    for n in range(12):
        statuses.append(browser.post("/join", data={"csrf_token": token, "code": f"AAAA-BBBB-{n:04d}".replace("0", "2"),
                                                    "username": f"guess{n}", "password": "x" * 10,
                                                    "confirm": "x" * 10}).status_code)
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    # Even the right code is refused from that address until the window passes.
    code = codes.new_code()  # any code: the limiter answers before the code is looked at
    assert browser.post("/join", data={"csrf_token": token, "code": code, "username": "x" * 5,
                                       "password": "x" * 10, "confirm": "x" * 10}).status_code == 429
    # Another address is not affected.
    other = Fresh(app)
    assert other.open("/join", method="GET", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_guessing_reset_codes_is_rate_limited(app, people):
    browser = Fresh(app)
    token = browser.csrf("/reset")
    statuses = [browser.post("/reset", data={"csrf_token": token, "username": "member_a", "code": codes.new_code(),
                                             "password": "123456", "confirm": "123456"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]


# --- Reset codes ---------------------------------------------------------------------------

def issue_reset(app, who, slug, account_id):
    fac = Fresh(app)
    fac.sign_in(who)
    return fac.form(f"/communities/{slug}/people/{account_id}/reset-code", {}, page=f"/communities/{slug}/people")


def test_a_facilitator_gives_a_one_time_reset_code(app, people):
    member = people["member_a"]
    old_token = f.token(Fresh(app), "member_a")
    response = issue_reset(app, "fac_a", "a", member.id)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    code = code_from(page)
    # The date sits inside the translated sentence (word order differs by language), as markup.
    assert re.search(r'It works once, until <time datetime="\d{4}-\d\d-\d\d">[^<]+</time>\.</p>', page), page
    browser = Fresh(app)
    reset = browser.form("/reset", {"username": "member_a", "code": code, "password": "271828", "confirm": "271828"})
    assert reset.status_code == 302
    assert Fresh(app).form("/signin", {"username": "member_a", "password": f.PASSWORD}).status_code == 401
    assert Fresh(app).form("/signin", {"username": "member_a", "password": "271828"}).status_code == 302
    # Devices signed in with the old password are signed out.
    assert Fresh(app).get("/api/v1/sync/pull", headers=f.bearer(old_token)).status_code == 401
    # One time only.
    again = Fresh(app).form("/reset", {"username": "member_a", "code": code, "password": "314159", "confirm": "314159"})
    assert again.status_code == 400


def test_a_reset_code_works_only_for_its_person_and_until_it_expires(app, people):
    code = code_from(issue_reset(app, "fac_a", "a", people["member_a"].id).get_data(as_text=True))
    wrong_person = Fresh(app).form("/reset", {"username": "fac_a", "code": code, "password": "123456", "confirm": "123456"})
    assert wrong_person.status_code == 400
    db.session.rollback()
    db.session.execute(update(ResetCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    late = Fresh(app).form("/reset", {"username": "member_a", "code": code, "password": "123456", "confirm": "123456"})
    assert late.status_code == 400


def test_a_new_reset_code_cancels_the_previous_one(app, people):
    first = code_from(issue_reset(app, "fac_a", "a", people["member_a"].id).get_data(as_text=True))
    issue_reset(app, "fac_a", "a", people["member_a"].id)
    response = Fresh(app).form("/reset", {"username": "member_a", "code": first, "password": "123456", "confirm": "123456"})
    assert response.status_code == 400


def test_facilitators_give_reset_codes_only_to_participants_of_their_communities(app, people):
    # Another community's member: not found (their community is not B's facilitator's).
    assert issue_reset(app, "fac_b", "b", people["member_a"].id).status_code == 404
    assert issue_reset(app, "fac_b", "a", people["member_a"].id).status_code == 404
    # A fellow facilitator's account cannot be taken over by another facilitator.
    other_fac = f.account("fac_a2", community_slug="a", role="facilitator")
    assert issue_reset(app, "fac_a", "a", other_fac.id).status_code == 403
    # Admins may.
    f.account("root", is_admin=True)
    assert issue_reset(app, "root", "a", other_fac.id).status_code == 200


def test_a_managed_participant_cannot_sign_in_until_they_claim_the_account(app, people):
    fac = Fresh(app)
    fac.sign_in("fac_a")
    response = fac.form("/communities/a/managed", {"display_name": "Ahmad", "username": "ahmad"},
                        page="/communities/a/people")
    assert response.status_code == 302
    db.session.rollback()
    person = db.session.scalar(select(Account).where(Account.username == "ahmad"))
    assert person.is_managed
    for secret in ("", "!managed", f.PASSWORD):
        assert Fresh(app).form("/signin", {"username": "ahmad", "password": secret or "x"}).status_code in (400, 401)
    assert Fresh(app).post("/api/v1/auth/token", json={"username": "ahmad", "password": "!managed"}).status_code == 401
    code = code_from(issue_reset(app, "fac_a", "a", person.id).get_data(as_text=True))
    claim = Fresh(app).form("/reset", {"username": "ahmad", "code": code, "password": "161803", "confirm": "161803"})
    assert claim.status_code == 302
    db.session.rollback()
    assert not db.session.get(Account, person.id).is_managed
    assert Fresh(app).form("/signin", {"username": "ahmad", "password": "161803"}).status_code == 302
