"""Join codes and reset codes: short, readable aloud, stored only as a keyed hash.

A code is 12 characters in three groups of four (``K7QM-3XHD-9WTA``) from an alphabet
without look-alikes or sound-alikes (no 0/O, 1/I/L, U/V); typed input is forgiving about
case, spaces and dashes. 30^12 (about 5e17) codes, so guessing one is hopeless even before
the per-address rate limit.

Only HMAC-SHA256(secret key, normalised code) is stored and looked up by equality on that
hash: the database never sees a code, and a timing difference in the lookup reveals nothing
about the code itself.
"""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from . import policy
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..timeutil import as_utc, utcnow
from ..userinput import clean_text
from .auth import check_password_rules, close_all_web_sessions, hash_password, normalise_username
from .models import ROLE_PARTICIPANT, Account, ApiToken, JoinCode, Membership, ResetCode

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
GROUPS, GROUP_LEN = 3, 4
CODE_LEN = GROUPS * GROUP_LEN
_STRIP = re.compile(r"[\s\-_.]+")

JOIN_CODE_MAX_DAYS = 90
JOIN_CODE_MAX_USES = 500
RESET_CODE_HOURS = 72
PIN_RE = re.compile(r"^[0-9]{6}$")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i:i + GROUP_LEN] for i in range(0, CODE_LEN, GROUP_LEN))


def normalise_code(value) -> str | None:
    """The code's canonical form, or None when it cannot be a code at all."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    raw = _STRIP.sub("", value).upper()
    if len(raw) != CODE_LEN or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_hash(kind: str, raw: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{kind}:{raw}".encode(), hashlib.sha256).hexdigest()


def check_secret(secret) -> str:
    """A password (the usual rules) or a 6-digit PIN, for people who find digits easier."""
    if isinstance(secret, str) and PIN_RE.match(secret):
        return secret
    return check_password_rules(secret)


# --- Join codes --------------------------------------------------------------------------

def create_join_code(actor, community, *, days: int, max_uses: int, label: str = "") -> tuple[str, JoinCode]:
    """Make a join code for a community this actor manages; returns (code, record)."""
    if not policy.can_manage_community(actor, community.id):
        raise Problem("forbidden", status=403)
    if not isinstance(days, int) or not 1 <= days <= JOIN_CODE_MAX_DAYS:
        raise Problem("bad_code_settings", field="days", max=JOIN_CODE_MAX_DAYS)
    if not isinstance(max_uses, int) or not 1 <= max_uses <= JOIN_CODE_MAX_USES:
        raise Problem("bad_code_settings", field="max_uses", max=JOIN_CODE_MAX_USES)
    label = clean_text(label or "", "label", 80, multiline=False)
    code = new_code()
    now = utcnow()
    record = JoinCode(code_hash=code_hash("join", normalise_code(code)), community_id=community.id,
                      label=label, created_by_id=actor.id, created_at=now,
                      expires_at=now + timedelta(days=days), max_uses=max_uses, uses=0)
    with write_transaction():
        db.session.add(record)
        db.session.flush()
        audit.record("join_code.create", actor, community_id=community.id, join_code=record.id,
                     days=days, max_uses=max_uses)
    return code, record


def revoke_join_code(actor, code_id: int) -> JoinCode:
    with write_transaction():
        record = db.session.get(JoinCode, code_id)
        if record is None or not policy.can_manage_community(actor, record.community_id):
            raise Problem("not_found", status=404)
        if record.revoked_at is None:
            record.revoked_at = utcnow()
            audit.record("join_code.revoke", actor, community_id=record.community_id, join_code=record.id)
    return record


def join_codes_for(actor, community) -> list[JoinCode]:
    if not policy.can_manage_community(actor, community.id):
        raise Problem("forbidden", status=403)
    return list(db.session.scalars(select(JoinCode).where(JoinCode.community_id == community.id)
                                   .order_by(JoinCode.created_at.desc())))


def _claim_join_code(raw_code, community_slug: str | None) -> JoinCode:
    """Use one of the code's uses, atomically, or refuse; inside the caller's transaction.

    Every refusal (unknown, expired, used up, revoked, another community's) is the same
    ``bad_join_code``, so trying codes tells an attacker nothing.
    """
    raw = normalise_code(raw_code)
    if raw is None:
        raise Problem("bad_join_code", field="code")
    now = utcnow()
    record = db.session.scalar(select(JoinCode).where(JoinCode.code_hash == code_hash("join", raw)))
    if record is None or (community_slug and record.community.slug != community_slug):
        raise Problem("bad_join_code", field="code")
    # Conditional increment: two people using the last use at once cannot both get it.
    claimed = db.session.execute(
        update(JoinCode).where(JoinCode.id == record.id, JoinCode.uses < JoinCode.max_uses,
                               JoinCode.revoked_at.is_(None), JoinCode.expires_at > now)
        .values(uses=JoinCode.uses + 1).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Problem("bad_join_code", field="code")
    return record


def join_with_code(code, username, secret, display_name: str = "", *, community_slug=None,
                   locale=None) -> Account:
    """Create an account and its membership with a join code; all or nothing."""
    username = normalise_username(username)
    secret = check_secret(secret)
    display_name = clean_text(display_name or "", "display_name", 80, multiline=False)
    password_hash = hash_password(secret)  # slow on purpose: before taking the write lock
    try:
        with write_transaction():
            record = _claim_join_code(code, community_slug)
            account = Account(username=username, display_name=display_name, password_hash=password_hash,
                              locale=locale)
            db.session.add(account)
            db.session.flush()
            db.session.add(Membership(account_id=account.id, community_id=record.community_id,
                                      role=ROLE_PARTICIPANT))
            audit.record("account.join", account, community_id=record.community_id, join_code=record.id)
    except IntegrityError:
        raise Problem("username_taken", status=409, field="username") from None
    return account


def join_existing(account, code, *, community_slug=None) -> Membership | None:
    """A signed-in person joins another community with its code (no new account)."""
    with write_transaction():
        record = _claim_join_code(code, community_slug)
        if record.community_id in account.member_community_ids():
            return None  # already a member; the use is counted anyway (no oracle)
        membership = Membership(account_id=account.id, community_id=record.community_id, role=ROLE_PARTICIPANT)
        db.session.add(membership)
        audit.record("account.join", account, community_id=record.community_id, join_code=record.id)
    db.session.refresh(account)
    return membership


# --- Reset codes -------------------------------------------------------------------------

def issue_reset_code(actor, account: Account) -> tuple[str, ResetCode]:
    """A one-time code for this person to set a new password or PIN (or claim a managed account).

    Earlier unused codes for the same person stop working.
    """
    if not policy.can_reset_password(actor, account):
        raise Problem("forbidden", status=403)
    code = new_code()
    now = utcnow()
    record = ResetCode(code_hash=code_hash("reset", normalise_code(code)), account_id=account.id,
                       created_by_id=actor.id, created_at=now,
                       expires_at=now + timedelta(hours=RESET_CODE_HOURS))
    with write_transaction():
        db.session.execute(update(ResetCode).where(ResetCode.account_id == account.id, ResetCode.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
        db.session.add(record)
        audit.record("reset_code.issue", actor, subject=account.id)
    return code, record


def reset_with_code(username, code, secret) -> Account:
    """Set a new password or PIN with a reset code; revokes every token of the account.

    A managed participant who does this has claimed their account and can sign in from now on.
    """
    try:
        name = normalise_username(username)
    except Problem:
        name = None
    raw = normalise_code(code)
    secret = check_secret(secret)
    password_hash = hash_password(secret)
    now = utcnow()
    with write_transaction():
        record = None
        if raw is not None and name is not None:
            record = db.session.scalar(select(ResetCode).where(ResetCode.code_hash == code_hash("reset", raw)))
        if (record is None or record.account.username != name or record.used_at is not None
                or as_utc(record.expires_at) <= now):
            raise Problem("bad_reset_code", field="code")
        used = db.session.execute(update(ResetCode).where(ResetCode.id == record.id, ResetCode.used_at.is_(None))
                                  .values(used_at=now).execution_options(synchronize_session=False)).rowcount
        if used != 1:
            raise Problem("bad_reset_code", field="code")
        account = record.account
        account.password_hash = password_hash
        claimed = account.is_managed
        account.is_managed = False
        db.session.execute(update(ApiToken).where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now).execution_options(synchronize_session=False))
        close_all_web_sessions(account)  # every browser signed in before the reset is signed out
        audit.record("account.claim" if claimed else "account.reset", account)
    return account
