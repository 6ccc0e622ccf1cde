"""Passwords, sessions and bearer tokens: who is making this request."""
import hashlib
import re
import secrets
import threading
import unicodedata
from datetime import timedelta
from functools import lru_cache
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, has_request_context, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from .. import limits
from ..database import fetch_rows, write_transaction
from ..errors import Problem
from ..extensions import csrf, db, login_manager
from ..observability.logs import note_role
from ..timeutil import as_utc, utcnow
from ..userinput import clean_text
from .models import Account, ApiToken, Membership, Roles, WebSession

USERNAME_RE = re.compile(r"^[\w.\-]+$")
# A real hash to compare against when the name is unknown, so timing does not tell.
_DUMMY_HASH: dict[str, str] = {}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["PASSWORD_TIME_COST"], memory_cost=cfg["PASSWORD_MEMORY_COST"])


# Each hash takes PASSWORD_MEMORY_COST of memory (64 MiB): a burst of sign-ins on every server
# thread at once would take eight times that. At most PASSWORD_CONCURRENCY run at once; the
# others wait their turn (a camp node, on 1 GB, runs them one at a time).
_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slot() -> threading.BoundedSemaphore:
    size = max(1, int(current_app.config.get("PASSWORD_CONCURRENCY") or 1))
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(size, threading.BoundedSemaphore(size))


def hash_password(password: str) -> str:
    with _slot():
        return _hasher().hash(password)


def verify_password(account: Account | None, password: str) -> bool:
    hasher = _hasher()
    if account is None:
        key = f"{hasher.time_cost}:{hasher.memory_cost}"
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(8))
        try:
            with _slot():
                hasher.verify(_DUMMY_HASH[key], password)
        except VerificationError:
            pass
        return False
    try:
        with _slot():
            hasher.verify(account.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(account.password_hash):
        new_hash = hash_password(password)
        # A write after this request's reads: take the write lock first (SQLite), see database.py.
        with write_transaction():
            account.password_hash = new_hash
    return True


def password_fingerprint(account) -> str:
    """Changes whenever the password (or PIN) does: kept in the session at sign-in."""
    return hashlib.sha256(f"{account.id}:{account.password_hash}".encode()).hexdigest()[:16]


def normalise_username(value) -> str:
    if not isinstance(value, str):
        raise Problem("bad_type", field="username")
    value = unicodedata.normalize("NFKC", value).strip().lower()
    if not (limits.USERNAME_MIN <= len(value) <= limits.USERNAME_MAX) or not USERNAME_RE.match(value):
        raise Problem("bad_username", field="username", min=limits.USERNAME_MIN, max=limits.USERNAME_MAX)
    return value


def check_password_rules(password) -> str:
    if not isinstance(password, str):
        raise Problem("bad_type", field="password")
    if len(password) < limits.PASSWORD_MIN:
        raise Problem("bad_password", field="password", min=limits.PASSWORD_MIN)
    if len(password) > limits.PASSWORD_MAX:
        raise Problem("too_long", field="password", max=limits.PASSWORD_MAX)
    return password


def create_account(username: str, password: str, display_name: str = "", *, is_admin: bool = False,
                   locale: str | None = None) -> Account:
    """Insert a new account; a taken name is caught by the unique constraint, not looked up first."""
    username = normalise_username(username)
    check_password_rules(password)
    display_name = clean_text(display_name or "", "display_name", limits.DISPLAY_NAME_MAX, multiline=False)
    account = Account(username=username, display_name=display_name, is_admin=is_admin,
                      password_hash=hash_password(password), locale=locale)
    try:
        with write_transaction():
            db.session.add(account)
    except IntegrityError:
        raise Problem("username_taken", status=409, field="username") from None
    return account


def authenticate(username, password) -> Account:
    try:
        name = normalise_username(username)
    except Problem:
        name = None
    if not isinstance(password, str):
        raise Problem("bad_credentials", status=401)
    account = db.session.scalar(select(Account).where(Account.username == name)) if name else None
    if account is not None and account.is_managed:
        account = None  # a managed participant cannot sign in until they claim the account
    if not verify_password(account, password):
        raise Problem("bad_credentials", status=401)
    return account


@login_manager.user_loader
def _load_user(account_id: str):
    try:
        account = db.session.get(Account, int(account_id))
    except ValueError:
        return None
    account = None if account is None or account.is_managed else account
    note_role(account)  # the access log's role (never the account)
    return account


# --- Bearer tokens ----------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(account: Account, label: str = "") -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    days = current_app.config["TOKEN_LIFETIME_DAYS"]
    record = ApiToken(token_hash=_token_hash(token), account_id=account.id, label=label[:80],
                      expires_at=utcnow() + timedelta(days=days))
    with write_transaction():
        db.session.add(record)
    return token, record


def revoke_token(token: str) -> bool:
    with write_transaction():
        record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
        if record is None or record.revoked_at is not None:
            return False
        record.revoked_at = utcnow()
    _known_tokens().pop(record.token_hash, None)  # not usable for the rest of this request either
    _known_readers().pop(record.token_hash, None)
    return True


def bearer_token() -> str | None:
    return bearer_of(request.headers.get("Authorization"))


def bearer_of(header: str | None) -> str | None:
    """The token of an Authorization header ("Bearer <token>"); None without one, 401 bad_token
    for another scheme or an empty token."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("bad_token", status=401)
    return token.strip()


def _known_tokens() -> dict:
    """Tokens looked up by this request (in its WSGI environ: a test client's requests share one
    app context, and so one ``g``, but never a request)."""
    return request.environ.setdefault("kultialogo.token_accounts", {}) if has_request_context() else {}


def token_account(token: str) -> Account:
    """The account a bearer token stands for; Problem("bad_token") if none may use it.

    One indexed query for the token and its account together, once per request (the rate
    limit's key and the view both ask): the lookup was a quarter of an empty pull's time.
    """
    if len(token) > 200:
        raise Problem("bad_token", status=401)
    token_hash = _token_hash(token)
    known = _known_tokens()
    readers = _known_readers()
    if token_hash not in known and token_hash in readers:
        # Checked already in this request, as a Reader (the rate limit's key reads one):
        # the account by its key, from the session's identity map if it holds it.
        reader = readers[token_hash]
        known[token_hash] = db.session.get(Account, reader.id) if reader is not None else None
    if token_hash not in known:
        row = db.session.execute(
            select(Account, ApiToken.revoked_at, ApiToken.expires_at)
            .join(ApiToken, ApiToken.account_id == Account.id).where(ApiToken.token_hash == token_hash)).first()
        if row is None:
            known[token_hash] = None
        else:
            account, revoked_at, expires_at = row
            usable = revoked_at is None and as_utc(expires_at) > utcnow() and not account.is_managed
            known[token_hash] = account if usable else None
    account = known[token_hash]
    if account is None:
        raise Problem("bad_token", status=401)
    return account


class PlainMembership(NamedTuple):
    community_id: int
    role: str
    is_mediator: bool
    is_coach: bool


class Reader(Roles):
    """A bearer token's account as plain values, for requests that only read (the pull): what
    policy asks of a viewer (id, is_admin, memberships and the Roles built on them), from one
    Core query, without the ORM account and its memberships' second query (most of an empty
    pull's time, bench/hotpaths.py). Nothing is written through it."""
    __slots__ = ("id", "username", "display_name", "is_admin", "is_managed", "locale", "memberships")
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, id, username, display_name, is_admin, is_managed, locale, memberships):
        self.id, self.username, self.display_name = id, username, display_name
        self.is_admin, self.is_managed, self.locale = bool(is_admin), bool(is_managed), locale
        self.memberships = memberships

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<Reader {self.id}>"


@lru_cache(maxsize=4)
def _reader_query(also=None):
    """The token, its account and the account's memberships (one row each, or one row with
    NULLs for none), built once: building a select costs more than running this one. ``also``,
    a scalar select, is read in the same statement (the pull's revision head): one round trip."""
    token, account, member = ApiToken.__table__, Account.__table__, Membership.__table__
    columns = [account.c.id, account.c.username, account.c.display_name, account.c.is_admin,
               account.c.is_managed, account.c.locale, token.c.revoked_at, token.c.expires_at,
               member.c.community_id, member.c.role, member.c.is_mediator, member.c.is_coach]
    if also is not None:
        columns.append(also.scalar_subquery())
    return (select(*columns)
            .select_from(token.join(account, account.c.id == token.c.account_id)
                         .outerjoin(member, member.c.account_id == account.c.id))
            .where(token.c.token_hash == bindparam("token_hash")))


def _known_readers() -> dict:
    return request.environ.setdefault("kultialogo.token_readers", {}) if has_request_context() else {}


def token_reader(token: str, conn=None) -> Reader:
    """token_account() for a request that only reads: the account as a Reader. The token is
    checked against the database on every request (revoked or expired: refused at once), and
    the memberships are the ones standing now. Read on ``conn`` (a Core connection) when given,
    else on the request's session."""
    return _token_reader(token, conn, None)[0]


def token_reader_and(token: str, conn, also) -> tuple[Reader, object]:
    """token_reader() on ``conn``, and the value of ``also`` (a scalar select) read in the same
    statement; for a request answered in front of the app (sync.checkin), with no request context."""
    return _token_reader(token, conn, also)


def _token_reader(token: str, conn, also) -> tuple[Reader, object]:
    if len(token) > 200:
        raise Problem("bad_token", status=401)
    token_hash = _token_hash(token)
    known = _known_readers()
    extra = None
    if token_hash not in known or also is not None:
        if conn is None:
            conn = db.session.connection()
        rows = fetch_rows(conn, _reader_query(also), {"token_hash": token_hash})
        reader = None
        if rows:
            id_, username, display_name, is_admin, is_managed, locale, revoked_at, expires_at = rows[0][:8]
            if revoked_at is None and as_utc(expires_at) > utcnow() and not is_managed:
                memberships = tuple(PlainMembership(row[8], row[9], bool(row[10]), bool(row[11]))
                                    for row in rows if row[8] is not None)
                reader = Reader(id_, username, display_name, is_admin, is_managed, locale, memberships)
            if also is not None:
                extra = rows[0][12]
        known[token_hash] = reader
    reader = known[token_hash]
    if reader is None:
        raise Problem("bad_token", status=401)
    return reader, extra


def api_reader(conn=None) -> Account | Reader | None:
    """api_requester(required=False) for a GET that only reads: a bearer token's account as a
    Reader (one query, on ``conn`` when given), a browser session's as the signed-in Account."""
    return api_reader_and(conn)[0]


def api_reader_and(conn=None, also=None) -> tuple[Account | Reader | None, object]:
    """api_reader(), and the value of ``also`` (a scalar select) read in the same statement as a
    bearer token (one round trip for both); None for a browser session's, whose caller reads it."""
    if "api_reader" in g:
        return g.api_reader, None
    token = bearer_token()
    extra = None
    if token is None:
        reader = api_requester(required=False)
    else:
        reader, extra = _token_reader(token, conn, also)
        g.auth_kind = "token"
        note_role(reader)  # the access log's role (never the account)
    g.api_reader = reader
    return reader, extra


def api_actor(*, required: bool) -> Account | Reader | None:
    """api_requester() for a request whose work reads the person as plain values (the sync
    push: ids, roles, names): a bearer token's account as a Reader, already read for the rate
    limit's key, with no ORM account and memberships loaded (a twelfth of a push's CPU,
    bench/ingest.py). A browser session's is the signed-in Account, its CSRF header checked.
    Code that hangs a new row on the person through a relationship takes
    models.as_account(actor)."""
    if bearer_token() is None:
        return api_requester(required=required)
    return api_reader()  # a token's: its Reader, refused (401) if the token is not usable


def api_requester(*, required: bool) -> Account | None:
    """The account behind an API request: bearer token, else the browser session.

    A session-authenticated unsafe request must carry the CSRF token header; a bearer
    token is not sent automatically by browsers, so it needs none.
    """
    if "api_requester" in g:
        account = g.api_requester
    else:
        token = bearer_token()
        if token is not None:
            account = token_account(token)
            g.auth_kind = "token"
        elif current_user.is_authenticated:
            account = current_user._get_current_object()
            g.auth_kind = "session"
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                try:
                    csrf.protect()
                except CSRFError:
                    raise Problem("csrf_failed", status=403) from None
        else:
            account = None
        g.api_requester = account
        note_role(account)  # the access log's role (never the account)
    if required and account is None:
        problem = Problem("unauthorized", status=401)
        problem.headers["WWW-Authenticate"] = 'Bearer realm="kultialogo"'
        raise problem
    return account


def rate_limit_key() -> str:
    """Limit per token or account when known, else per address.

    Only a token that is valid earns its own bucket: any other Authorization header would
    otherwise buy a fresh budget with each random value.
    """
    token = request.headers.get("Authorization", "")
    if token:
        try:
            token = bearer_token()
            if token is not None:
                token_reader(token)  # plain values: the view reads the same (api_actor, token_account)
                return "t:" + _token_hash(token)[:24]
        except Problem:
            pass
    if current_user and current_user.is_authenticated:
        return f"u:{current_user.id}"
    return "a:" + (request.remote_addr or "unknown")


# --- Browser sessions kept on the server ---------------------------------------------------

# last_seen_at is written at most this often: not a write on every page a phone opens.
SESSION_SEEN_EVERY = timedelta(hours=12)


def open_web_session(account) -> str:
    """A new server-side record for a signed-in browser; returns the id its cookie carries.

    Also prunes this account's sessions idle for the whole lifetime (their cookies have
    expired too), so the table holds only sessions that can still be used.
    """
    raw = secrets.token_urlsafe(32)
    idle_since = utcnow() - current_app.permanent_session_lifetime
    with write_transaction() as session:
        session.execute(delete(WebSession).where(WebSession.account_id == account.id,
                                                 WebSession.last_seen_at < idle_since))
        session.add(WebSession(id_hash=_token_hash(raw), account_id=account.id))
    return raw


def web_session_open(raw, account_id: int) -> bool:
    """One primary-key lookup per signed-in request (and a write at most every 12 hours)."""
    if not isinstance(raw, str) or len(raw) > 100:
        return False
    record = db.session.get(WebSession, _token_hash(raw))
    if record is None or record.account_id != account_id:
        return False
    now = utcnow()
    seen = as_utc(record.last_seen_at)
    if seen < now - current_app.permanent_session_lifetime:
        return False  # idle longer than a cookie lives: a kept copy of it opens nothing
    if seen < now - SESSION_SEEN_EVERY:
        with write_transaction() as session:
            session.execute(WebSession.__table__.update().where(WebSession.id_hash == record.id_hash)
                            .values(last_seen_at=now))
    return True


def close_web_session(raw) -> None:
    if not isinstance(raw, str) or len(raw) > 100:
        return
    with write_transaction():
        db.session.execute(delete(WebSession).where(WebSession.id_hash == _token_hash(raw)))


def close_all_web_sessions(account) -> None:
    """Sign every browser of this account out (inside the caller's write transaction)."""
    db.session.execute(delete(WebSession).where(WebSession.account_id == account.id))


def end_every_session(account) -> None:
    """"Sign out everywhere": every browser session and every API token of this account end.

    For a phone that was lost, lent or shared: whatever it holds (a session cookie, the token
    of an app or a camp node) opens nothing after this.
    """
    with write_transaction():
        close_all_web_sessions(account)
        db.session.execute(ApiToken.__table__.update()
                           .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
