"""Password guessing: one budget per address and one per account name, across every way in.

The review found 60 wrong guesses for one account from one address in 6.3 s: a random bearer
header bought a fresh "per address" bucket, NFKC-equal spellings of the name fresh "per account"
buckets, and /signin, the token API and /reset each counted alone.
"""
import uuid

import pytest

from kultialogo import limits
from tests import factories as f
from tests.people.helpers import Fresh

WRONG = "wrong password!"


@pytest.fixture
def layla(app):
    f.community("a")
    return f.account("layla", community_slug="a")


def _signin(browser, username, *, address="10.1.0.1", headers=None):
    token = browser.csrf("/signin")
    return browser.post("/signin", data={"csrf_token": token, "username": username, "password": WRONG},
                        headers=headers or {}, environ_base={"REMOTE_ADDR": address})


def _token(browser, username, *, address="10.1.0.1", headers=None):
    return browser.post("/api/v1/auth/token", json={"username": username, "password": WRONG},
                        headers=headers or {}, environ_base={"REMOTE_ADDR": address})


def _reset(browser, username, *, address="10.1.0.1"):
    token = browser.csrf("/reset")
    return browser.post("/reset", data={"csrf_token": token, "username": username, "code": "AAAA-BBBB-CCCC",
                                        "password": "x" * 12, "confirm": "x" * 12},
                        environ_base={"REMOTE_ADDR": address})


def test_a_random_bearer_header_buys_no_fresh_address_budget(app, layla):
    browser = Fresh(app)
    # Each try from one address under a different account name and a different random token.
    statuses = [_signin(browser, f"name{n}", headers={"Authorization": f"Bearer {uuid.uuid4().hex}"}).status_code
                for n in range(limits.SIGNIN_PER_MINUTE + 2)]
    assert 429 not in statuses[:limits.SIGNIN_PER_MINUTE]
    assert statuses[limits.SIGNIN_PER_MINUTE:] == [429, 429]
    assert _token(browser, "other").status_code == 429


def test_compatibility_spellings_of_a_name_share_its_budget(app, layla):
    browser = Fresh(app)
    spellings = ["layla", "LAYLA", "ｌayla", "𝐥ayla", " Layla "]
    # From many addresses, so only the per-account budget can refuse.
    statuses = [_signin(browser, spellings[n % len(spellings)], address=f"10.2.0.{n}").status_code
                for n in range(limits.SIGNIN_PER_MINUTE + 1)]
    assert 429 not in statuses[:limits.SIGNIN_PER_MINUTE]
    assert statuses[-1] == 429
    # Even the right password, spelt another way, waits: the account's budget is spent.
    right = browser.post("/signin", data={"csrf_token": browser.csrf("/signin"), "username": "ｌayla",
                                          "password": f.PASSWORD}, environ_base={"REMOTE_ADDR": "10.3.0.1"})
    assert right.status_code == 429
    # Another account is not affected.
    f.account("amina", community_slug="a")
    assert _signin(browser, "amina", address="10.3.0.2").status_code == 401


def test_signin_token_and_reset_spend_one_budget(app, layla):
    browser = Fresh(app)
    tries = [_signin, _token, _reset]
    statuses = [tries[n % 3](browser, "layla", address=f"10.4.0.{n}").status_code
                for n in range(limits.SIGNIN_PER_MINUTE)]
    assert 429 not in statuses
    for attempt in tries:
        assert attempt(browser, "layla", address="10.4.1.1").status_code == 429, attempt.__name__


def test_one_address_has_one_budget_across_the_three(app, layla):
    browser = Fresh(app)
    tries = [_signin, _token, _reset]
    statuses = [tries[n % 3](browser, f"someone{n}").status_code for n in range(limits.SIGNIN_PER_MINUTE)]
    assert 429 not in statuses
    refused = _token(browser, "someone-else")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited"
    # Said in the person's language.
    arabic = browser.post("/api/v1/auth/token", json={"username": "x", "password": WRONG},
                          headers={"Accept-Language": "ar"}, environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert arabic.status_code == 429
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic.get_json()["message"])


def test_a_pin_cannot_be_found_in_a_day():
    # Expected tries to find a 6-digit PIN: half the space. At the daily cap that takes years.
    per_day = limits.SIGNIN_PER_ACCOUNT_PER_DAY
    assert per_day / 10 ** 6 <= 0.001
    assert (10 ** 6 / 2) / per_day > 365


def test_the_daily_account_budget_is_enforced(app, layla, monkeypatch):
    # Lift the per-minute budget (read at each request) so only the day's window can refuse,
    # as for an attacker who spreads the tries over the day from many addresses.
    monkeypatch.setattr(limits, "SIGNIN_PER_MINUTE", 10 ** 6)
    browser = Fresh(app)
    statuses = [_signin(browser, "layla", address=f"10.5.{n // 200}.{n % 200}").status_code
                for n in range(limits.SIGNIN_PER_ACCOUNT_PER_DAY + 1)]
    assert 429 not in statuses[:-1]
    assert statuses[-1] == 429
