from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

ROLE_PARTICIPANT = "participant"
ROLE_FACILITATOR = "facilitator"
ROLE_ADMIN = "admin"  # site-wide, on the account, not a membership
MEMBERSHIP_ROLES = (ROLE_PARTICIPANT, ROLE_FACILITATOR)


class Account(UserMixin, db.Model):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased: "Amina" and "amina" are the same person.
    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin")

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

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("account_id", "community_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default=ROLE_PARTICIPANT)
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
