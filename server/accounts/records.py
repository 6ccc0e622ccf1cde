"""Accounts as a record kind, for camp nodes only (docs/sync.md, Camp nodes).

Phones never push or pull accounts. A node pushes the accounts made or changed at the camp,
and takes central's accounts of its community as a whole list (accounts carry no revision; a
community has hundreds, not thousands). A person keeps their uid everywhere.

Rules: a new account keeps its uid; a username already taken there by someone else gets a
visible, reversible rename (``amina`` becomes ``amina-2``, listed as a conflict). A node
never makes a facilitator: an account from a node joins the community as a participant, and
roles come from central, and so does who mediates or coaches (``helps``: the help requests a
node shows them). Password hashes travel only where needed: central sends those of
the community's facilitators (so they sign in at the camp) and of accounts made at a node;
a node sends the hashes of accounts whose secret changed there.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from .. import records
from ..errors import Problem
from ..extensions import db
from ..timeutil import isoformat, utcnow
from .auth import normalise_username
from .models import MEMBERSHIP_ROLES, ROLE_FACILITATOR, ROLE_PARTICIPANT, Account, Membership

UNUSABLE = "!"  # a hash no password matches (argon2 hashes start with "$")


@dataclass
class AccountReplica:
    username: str
    display_name: str
    locale: str | None
    password_hash: str
    is_managed: bool
    created_at: datetime | None
    role: str | None
    helps: tuple[bool, bool] = (False, False)  # (mediator, coach) in the community, central's word


def replica_of(account: Account, community_id: int, *, with_secret: bool) -> dict:
    membership = next((m for m in account.memberships if m.community_id == community_id), None)
    return {"type": "account", "id": str(account.uid), "username": account.username,
            "display_name": account.display_name or "", "locale": account.locale,
            "password_hash": account.password_hash if with_secret else "",
            "is_managed": bool(account.is_managed), "created_at": isoformat(account.created_at),
            "role": membership.role if membership else None,
            "mediator": bool(membership and membership.is_mediator), "coach": bool(membership and membership.is_coach)}


def members(community_id: int) -> list[Account]:
    """The community's people, and the site admins (not members: ``role`` None), who may have
    moderated its stories or reviewed its translations: every record names someone known."""
    in_community = select(Membership.account_id).where(Membership.community_id == community_id)
    return list(db.session.scalars(
        select(Account).where(or_(Account.id.in_(in_community), Account.is_admin.is_(True))).order_by(Account.id)))


def _parse(data: dict) -> AccountReplica:
    username = normalise_username(data.get("username"))
    display_name, locale, secret = data.get("display_name") or "", data.get("locale"), data.get("password_hash") or ""
    role = data.get("role")
    if not isinstance(display_name, str) or len(display_name) > 80:
        raise Problem("bad_request", field="data.display_name")
    if locale is not None and (not isinstance(locale, str) or len(locale) > 16):
        raise Problem("bad_request", field="data.locale")
    if not isinstance(secret, str) or len(secret) > 255:
        raise Problem("bad_request", field="data.password_hash")
    if role is not None and role not in MEMBERSHIP_ROLES:
        raise Problem("bad_request", field="data.role")
    created = data.get("created_at")
    try:
        created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if isinstance(created, str) else None
    except ValueError:
        raise Problem("bad_date", field="data.created_at") from None
    helps = (data.get("mediator") is True, data.get("coach") is True)
    return AccountReplica(username, display_name, locale, secret, bool(data.get("is_managed")), created_at, role, helps)


def free_username(name: str) -> str:
    """``name-2``, ``name-3``, ... : the first not taken (within the length limit)."""
    taken = set(db.session.scalars(select(Account.username).where(Account.username.like(f"{name[:34]}-%"))))
    number = 2
    while f"{name[:34]}-{number}" in taken:
        number += 1
    return f"{name[:34]}-{number}"


def _ensure_membership(account: Account, community_id: int, role: str, helps=(False, False)) -> bool:
    for m in account.memberships:
        if m.community_id == community_id:
            if (m.role, m.is_mediator, m.is_coach) != (role, *helps):
                m.role, (m.is_mediator, m.is_coach) = role, helps
                return True
            return False
    account.memberships.append(Membership(community_id=community_id, role=role, is_mediator=helps[0], is_coach=helps[1]))
    return True


def apply(peer, uid: uuid.UUID, r: AccountReplica) -> tuple[str, Account]:
    account = db.session.scalar(select(Account).where(Account.uid == uid))
    # Central decides roles; a node's account is a participant until central says otherwise.
    # From central, no role means a site admin named by records, not a member here.
    role = r.role if peer.from_central else (ROLE_PARTICIPANT if r.role is not None else None)
    if account is None:
        name = r.username
        holder = db.session.scalar(select(Account).where(Account.username == name))
        if holder is not None:
            if peer.from_central and holder.uid is not None:
                # Central owns the name: the camp's own (not yet sent) account gives way.
                new = free_username(name)
                peer.note_conflict("account", holder.uid, "username_renamed",
                                   **{"from": name, "to": new, "account": str(holder.uid)})
                holder.username = new
                db.session.flush()
            else:
                new = free_username(name)
                peer.note_conflict("account", uid, "username_renamed", **{"from": name, "to": new, "account": str(uid)})
                name = new
        account = Account(uid=uid, username=name, display_name=r.display_name, locale=r.locale,
                          password_hash=r.password_hash or UNUSABLE, is_managed=r.is_managed,
                          created_at=r.created_at or utcnow())
        if role is not None:
            helps = r.helps if peer.from_central else (False, False)  # a node never makes a mediator
            account.memberships.append(Membership(community_id=peer.community_id, role=role,
                                                  is_mediator=helps[0], is_coach=helps[1]))
        db.session.add(account)
        db.session.flush()
        return records.CREATED, account
    changed = False
    if peer.from_central and account.username != r.username:
        account.username = r.username  # renamed on central (a conflict's rename, or undone)
        changed = True
    for key in ("display_name", "locale"):
        if getattr(account, key) != getattr(r, key):
            setattr(account, key, getattr(r, key))
            changed = True
    if r.password_hash and r.password_hash != account.password_hash:
        account.password_hash = r.password_hash
        changed = True
    if peer.from_central and r.role is not None:
        changed = _ensure_membership(account, peer.community_id, r.role, r.helps) or changed
    elif not peer.from_central and r.role is not None and not any(
            m.community_id == peer.community_id for m in account.memberships):
        changed = _ensure_membership(account, peer.community_id, ROLE_PARTICIPANT) or changed
    if changed:
        db.session.flush()
    return (records.UPDATED if changed else records.UNCHANGED), account


class AccountBatch(records.SavepointBatch):
    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self.results: list[tuple[records.Result, Account]] = []

    def _apply(self, item: records.Item) -> records.Result:
        outcome, account = apply(self.actor, item.id, item.parsed)
        result = records.Result(outcome)
        self.results.append((result, account))
        return result

    def finish(self) -> None:
        for result, account in self.results:
            # Only what the node sent back may carry a secret: its own, possibly renamed, account.
            result.record = replica_of(account, self.actor.community_id, with_secret=False)


class AccountKind(records.Kind):
    name = "account"
    ops = (records.REPLICATE,)  # nodes only: phones manage accounts through the account pages
    replicated = True
    data_schema = {"type": "object", "description": "A person's account, from or to a camp node.",
                   "properties": {
                       "username": {"type": "string"}, "display_name": {"type": "string"},
                       "locale": {"type": "string", "nullable": True},
                       "password_hash": {"type": "string", "description": "empty unless the secret travels"},
                       "is_managed": {"type": "boolean"}, "created_at": {"type": "string", "nullable": True},
                       "role": {"type": "string", "nullable": True, "enum": [*MEMBERSHIP_ROLES, None]},
                       "mediator": {"type": "boolean", "description": "central's word only"},
                       "coach": {"type": "boolean", "description": "central's word only"}}}
    view_schema = {"type": "object", "properties": {"type": {"type": "string", "enum": ["account"]}, "id": {"type": "string"},
                                                    **data_schema["properties"]}}

    def parse(self, item: records.Item):
        return _parse(records.data_of(item))

    def batch(self, actor, revs) -> AccountBatch:
        return AccountBatch(self, actor, revs)

    def changes(self, viewer, since: int, limit: int) -> list:
        return []

    def replicas(self, peer, since: int, limit: int) -> list:
        return []  # accounts go as a whole list (nodes.replication), not by revision

    def base_of(self, replica: dict) -> dict:
        return {}


def replica_list(community_id: int, *, secrets_for=lambda account: False) -> list[dict]:
    """Every account of the community; a hash only where ``secrets_for(account)`` says."""
    return [replica_of(a, community_id, with_secret=secrets_for(a)) for a in members(community_id)]


def is_facilitator_of(community_id: int):
    return lambda account: account.role_in(community_id) == ROLE_FACILITATOR


KIND = AccountKind()
