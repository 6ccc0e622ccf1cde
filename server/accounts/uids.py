"""People by uid: replicas between a camp node and central name accounts by ``Account.uid``
(integer ids are each side's own), so every replicated kind maps ids to uids and back here."""
import uuid

from sqlalchemy import select

from ..errors import Problem
from ..extensions import db
from .models import Account


def uids_of(ids) -> dict[int, uuid.UUID]:
    """{account id: uid} for these ids (None and unknown ids left out)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Account.id, Account.uid).where(Account.id.in_(ids))).all())


def accounts_by_uid(uids) -> dict[uuid.UUID, Account]:
    wanted = {u for u in uids if u is not None}
    if not wanted:
        return {}
    return {a.uid: a for a in db.session.scalars(select(Account).where(Account.uid.in_(wanted)))}


def parse_uid(value, field: str) -> uuid.UUID | None:
    """A uid in a replica (None for nobody: a deleted account, an anonymous line)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 36:
        raise Problem("bad_type", field=field)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise Problem("bad_type", field=field) from None
    if str(parsed) != value.lower():
        raise Problem("bad_type", field=field)
    return parsed


def account_id(uid: uuid.UUID | None, people: dict, field: str) -> int | None:
    """The local id of the person a replica names; refused when this side does not know them
    (accounts travel first: a node pushes its own, central's come with the bootstrap)."""
    if uid is None:
        return None
    account = people.get(uid)
    if account is None:
        raise Problem("no_such_account", status=409, field=field)
    return account.id


def as_text(uid: uuid.UUID | None) -> str | None:
    return str(uid) if uid is not None else None
