"""Small helpers that build test data through the real services."""
import re
import uuid
import zlib
from contextlib import nullcontext

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kultialogo.accounts.auth import create_account
from kultialogo.accounts.models import Membership
from kultialogo.communities.models import Community
from kultialogo.extensions import db
from kultialogo.stories import service as stories_service

PASSWORD = "correct horse battery"

_DIGITS_AS_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def letters_of(story_id: uuid.UUID, length: int = 8) -> str:
    """Part of an id in letters only, for titles and texts that must be unique: hex digits can
    read as a phone or document number to the personal-data check (moderation/redaction.py),
    "Story 40219387" did, and a test then found a span it did not write."""
    return story_id.hex[:length].translate(_DIGITS_AS_LETTERS)


def community(slug="siena", names=None, moderation="review") -> Community:
    existing = db.session.query(Community).filter_by(slug=slug).one_or_none()
    if existing:
        return existing
    c = Community(slug=slug, names=names or {"en": slug.title()}, default_language="en", moderation=moderation)
    db.session.add(c)
    db.session.commit()
    return c


def account(username, *, community_slug=None, role="participant", is_admin=False, password=PASSWORD):
    a = create_account(username, password, username.title(), is_admin=is_admin)
    if community_slug:
        c = community(community_slug)
        db.session.add(Membership(account_id=a.id, community_id=c.id, role=role))
        db.session.commit()
        db.session.refresh(a)
    return a


def helps(account_obj, slug="siena", *, mediator=False, coach=False) -> None:
    """Mark a facilitator of the community as mediator and/or coach (help requests)."""
    membership = db.session.scalar(select(Membership).where(
        Membership.account_id == account_obj.id, Membership.community_id == community(slug).id))
    membership.is_mediator, membership.is_coach = mediator, coach
    db.session.commit()


def story_data(**overrides) -> dict:
    data = {"title": "A walk by the river", "body": "We walked by the river and talked.",
            "language": "en", "community": "siena", "visibility": "public",
            "author_display": "pseudonym", "consent": {"kind": "self", "recorded_by": None, "at": None},
            "media": [], "created_at": "2026-07-14T10:02:00Z"}
    data.update(overrides)
    return data


def item(story_id=None, op="upsert", base_etag=None, **data_overrides) -> dict:
    out = {"type": "story", "op": op, "id": str(story_id or uuid.uuid4()), "base_etag": base_etag}
    if op == "upsert":
        out["data"] = story_data(**data_overrides)
    return out


def address_of(username: str) -> dict:
    """Each person signs in from their own phone: sign-in budgets are per address (and per name,
    across /signin, the token API and /reset), so tests that sign many people in do it as they would."""
    n = zlib.crc32(username.encode())
    return {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255 or 1}"}


def token(client, username, password=PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password},
                           environ_base=address_of(username))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def bearer(tok: str) -> dict:
    return {"Authorization": f"Bearer {tok}"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def sign_in(client, username, password=PASSWORD):
    page = client.get("/signin")
    return client.post("/signin", data={"username": username, "password": password,
                                        "csrf_token": csrf_from(page.get_data(as_text=True))},
                       environ_base=address_of(username))


def fail_first_batch_insert(monkeypatch) -> list:
    """Make the first batch INSERT of a push (stories.service.PendingInserts) write its rows and
    then be refused, as if another writer got there first; later ones go through. Returns the
    list that receives the refused batch's size.

    Written, then refused: on SQLite the batch's savepoint must take back the rows and the counts
    it adds after them; on PostgreSQL the statement triggers count inside the one COPY, whose own
    savepoint takes both back (as this one does)."""
    real = stories_service.insert_many_in_savepoint
    failed: list = []

    def insert_then_fail(session, table, rows):
        if failed:
            return real(session, table, rows)
        failed.append(len(rows))
        connection = session.connection()
        with connection.begin_nested() if connection.dialect.name == "postgresql" else nullcontext():
            real(session, table, rows)
            raise IntegrityError("INSERT", {}, Exception("as if another writer got there first"))

    monkeypatch.setattr(stories_service, "insert_many_in_savepoint", insert_then_fail)
    return failed
