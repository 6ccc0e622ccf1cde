from datetime import datetime

from flask_login import UserMixin
import uuid

from sqlalchemy import select
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

ROLE_PARTICIPANT = "participant"
ROLE_FACILITATOR = "facilitator"
ROLE_ADMIN = "admin"  # site-wide, on the account, not a membership
MEMBERSHIP_ROLES = (ROLE_PARTICIPANT, ROLE_FACILITATOR)


class Roles:
    """What an account may do where, read from its ``memberships`` (each with community_id,
    role, is_mediator, is_coach): shared by the Account model and the plain Reader a pull reads
    from one Core query (accounts/auth.py), so both answer policy's questions alike."""

    @property
    def role(self) -> str:
        if self.is_admin:
            return ROLE_ADMIN
        roles = {m.role for m in self.memberships}
        return ROLE_FACILITATOR if ROLE_FACILITATOR in roles else ROLE_PARTICIPANT

    def role_in(self, community_id: int) -> str | None:
        """participant / facilitator / admin in that community, or None."""
        if self.is_admin:
            return ROLE_ADMIN
        for m in self.memberships:
            if m.community_id == community_id:
                return m.role
        return None

    def member_community_ids(self) -> set[int]:
        return {m.community_id for m in self.memberships}

    def facilitated_community_ids(self) -> set[int]:
        return {m.community_id for m in self.memberships if m.role == ROLE_FACILITATOR}

    def helped_community_ids(self) -> set[int]:
        """Communities where this person answers help requests: a facilitator marked as
        mediator or coach there (admins too only when so marked: help requests are private)."""
        return {m.community_id for m in self.memberships
                if m.role == ROLE_FACILITATOR and (m.is_mediator or m.is_coach)}

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class Account(UserMixin, Roles, db.Model):
    __tablename__ = "accounts"
    # Never reuse a deleted account's id on SQLite: the audit log names people by id (0008).
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The person's id everywhere: a camp node and the central server number accounts each on
    # their own, so replication names a person by this (migration 0015), never by ``id``.
    uid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, index=True, nullable=False, default=uuid.uuid4)
    # Stored lower-cased: "Amina" and "amina" are the same person.
    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # A managed participant (Decidim's term): made by a facilitator for someone who tells a
    # story without an account of their own. No usable password, cannot sign in, until the
    # person claims it with a reset code.
    is_managed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    managed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin")


def as_account(person) -> "Account":
    """The ORM Account of a person given as an Account or as plain values (auth.Reader, a
    push's actor): a relationship takes only the mapped object. Read once per session, whose
    identity map then keeps it."""
    return person if isinstance(person, Account) else db.session.get(Account, person.id)


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("account_id", "community_id"),
                      Index("ix_memberships_created_at", "created_at", "community_id"))  # the dashboard
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=ROLE_PARTICIPANT)
    # A facilitator who answers help requests (help/) as a mediator, a coach or both; an admin
    # marks them. Only a facilitator's marks count (policy: help_community_ids).
    is_mediator: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_coach: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="memberships")
    community = relationship("Community", lazy="joined")


class ApiToken(db.Model):
    """Bearer tokens for API clients and camp nodes. Only a hash of the token is stored."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    account: Mapped[Account] = relationship(lazy="joined")


class JoinCode(db.Model):
    """A code a facilitator hands out (aloud or as a QR on a camp's wall) to join a community.

    Only a keyed hash of the code is stored; a code is shown once, when it is made.
    """
    __tablename__ = "join_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    max_uses: Mapped[int] = mapped_column(Integer, nullable=False)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    community = relationship("Community", lazy="joined")


class ResetCode(db.Model):
    """A one-time code a facilitator gives a person to set a new password or PIN (no email).

    Also how a managed participant claims their account. Only a keyed hash is stored.
    """
    __tablename__ = "reset_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    account: Mapped[Account] = relationship(foreign_keys=[account_id], lazy="joined")


class WebSession(db.Model):
    """A signed-in browser session, kept on the server so signing out really ends it.

    The session cookie is signed but lives on the phone: a copy taken before sign-out would
    otherwise keep working for the whole sliding lifetime. The cookie holds a random id; only
    its hash is stored, and sign-out deletes the row.
    """
    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # When the browser was last seen, to the day (SESSION_SEEN_EVERY): a session idle for the
    # whole lifetime ends on the server even if its cookie is kept, and old rows are pruned.
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


def member_names(community_id, except_account_id=None) -> list[str]:
    """Full names (two words or more) of a community's members, one account (the writer's)
    left out: what disclosure.find looks for in a text (moderation, the name hashes, forms)."""
    if community_id is None:
        return []
    rows = db.session.execute(select(Account.id, Account.display_name).join(
        Membership, Membership.account_id == Account.id).where(Membership.community_id == community_id))
    return [name for account_id, name in rows if account_id != except_account_id and len((name or "").split()) >= 2]


def names_seen_by(account, community_id) -> list[str]:
    """member_names() for someone writing in a community: only when they are a member of it, so a
    form's warnings cannot tell a non-member who belongs there."""
    if community_id is None or not account.role_in(community_id):
        return []
    return member_names(community_id, account.id)
