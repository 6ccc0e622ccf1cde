"""Record kinds: what the sync moves, each declared by its own domain in one module.

A kind (stories, translations, event attendance, reports, ...) says how to check a pushed
item, how to apply it, who may push and pull it, and what a pull of it returns; it registers
here when its package is imported (``records.register(MyKind())``). The sync engine
(kultialogo.sync) goes through the registry and knows no kind by name, so a kind added later
is pushed and pulled without editing the engine. A person's data download and deletion have
their own registry beside this one (personal_data.py).

Shared plumbing: it imports no domain. It also keeps the tombstones of records that are
deleted for real (a translation removed, a report that went with its story): a phone that
holds a copy learns of the deletion from them on its next pull.
"""
import os
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .errors import Problem
from .extensions import db

# Push results (the contract's names, docs/sync.md).
CREATED, UPDATED, UNCHANGED, CONFLICT, REJECTED, MEDIA_MISSING = (
    "created", "updated", "unchanged", "conflict", "rejected", "media_missing")
ACKNOWLEDGED = (CREATED, UPDATED, UNCHANGED)

UPSERT, DELETE = "upsert", "delete"
# A camp node's op, and only a node's (docs/sync.md, Camp nodes): the item's data is the full
# record as the other side holds it (its replica), applied by the rules for replication.
REPLICATE = "replicate"


@dataclass
class Item:
    """One pushed item whose envelope the engine has checked (its data is the kind's business)."""
    index: int
    type: str
    op: str
    id: uuid.UUID
    base_etag: str | None = None
    data: dict | None = None
    parsed: object = None  # what Kind.parse() made of the data


@dataclass
class Result:
    """What became of one item. ``record`` is the record as the pusher may now see it (its view
    or a tombstone), set by the kind's batch before the commit."""
    result: str
    record: dict | None = None
    problem: Problem | None = None
    missing_media: tuple = ()

    @classmethod
    def rejected(cls, problem: Problem) -> "Result":
        return cls(REJECTED, problem=problem)


class Batch:
    """One push's items of one kind, applied inside the push's one write transaction (which
    holds the revision counter lock, so ids looked up are not taken by anyone else meanwhile).

    apply() handles one item and must leave the others untouched when it fails: run its writes
    in a savepoint (db.session.begin_nested()) or raise Problem before writing. A batch may
    buffer writes; flush() writes them, and the engine calls it before an item of another kind
    (which may read them) and at the end. A buffered item's Result may still change in flush().
    finish() runs once, last, before the commit: fill in each Result.record there, or in
    after_commit(), which runs once the commit is done and the write lock let go, for records
    that need no more reads under the lock (what the batch has just inserted, as plain values).
    """

    def __init__(self, kind: "Kind", actor, revs):
        self.kind, self.actor, self.revs = kind, actor, revs

    def apply(self, item: Item) -> Result:
        raise NotImplementedError

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def after_commit(self) -> None:
        pass


class Kind:
    """A kind of record. Subclass it in the domain that owns the records, and register one
    instance. ``ops``: what a push may ask (``upsert`` and ``delete``; a kind may name others).
    ``owner_of``: the story a record hangs on, for the docs and the tests (None if none).
    """
    name: str = ""
    ops: tuple = (UPSERT, DELETE)
    data_keys: frozenset = frozenset()
    # OpenAPI schemas (api/openapi.py describes every registered kind from these): what a push's
    # "data" holds, and the record as push answers and pulls show it.
    data_schema: dict = {"type": "object"}
    view_schema: dict = {"type": "object"}
    # Whether this kind's batch takes the revision counter lock itself (revs.take()) before it
    # reads anything that decides a write, reading such things again if it read them before
    # (revisions.py). A push whose kinds all do starts without the lock, so on PostgreSQL two
    # pushes check their items side by side. False: the batch is made under the lock.
    takes_lock_late: bool = False

    def parse(self, item: Item) -> object:
        """Check item.data without the database; raise Problem, or return what apply() needs."""
        if item.op == DELETE:
            return None
        data = data_of(item)
        unknown = set(data) - set(self.data_keys)
        if unknown:
            raise Problem("unknown_field", field=sorted(map(str, unknown))[0][:40])
        return data

    def batch(self, actor, revs) -> Batch:
        raise NotImplementedError

    def bury_again(self, record_id: str, revs) -> bool:
        """Delete for real, as this kind's own deletion does (leaving its tombstone), the record
        a tombstone of this kind names, if it is here: a restore over newer data applies the
        deletions that data made after the backup again (backup/service.py). False when there was
        nothing to delete, or the kind's records are never deleted for real."""
        return False

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """Up to ``limit`` (revision, view or tombstone) with revision > since that this viewer
        may see, in revision order. Views carry "type": self.name."""
        raise NotImplementedError

    # Camp nodes. A replicated kind lists REPLICATE in ``ops``, answers replicas() and applies
    # a REPLICATE item in its batch; the batch's actor is then a Peer (below), not a person.
    replicated: bool = False

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        """Up to ``limit`` (revision, replica) of records in the peer's scope changed after
        ``since``, in revision order: the whole record as stored here, people named by their
        uid, with "type" and "id"; a record deleted for real as {"type", "id", "deleted": True}."""
        raise NotImplementedError

    def base_of(self, replica: dict) -> dict:
        """What a node remembers of a replica it and central agreed on, to send as the base of
        its next change of that record (an etag, a moderation time)."""
        return {}


class KeptView(dict):
    """A view a kind keeps and hands out to many pulls (stories.service.reader_view): a dict as
    any other, never changed once made, so what is made of it is kept beside it: the view with
    its "type" (typed()), and its JSON text (sync.service.page_response; writing it was a tenth
    of a pull's page)."""

    def __init__(self, view: dict, untyped: "KeptView | None" = None):
        super().__init__(view)
        self.untyped_twin = untyped  # the view without "type", of a typed one
        self._typed: KeptView | None = None
        self._texts: dict = {}

    def json_text(self, dumps, settings) -> str:
        """``dumps(self)``, made once for each ``settings`` (what the text depends on besides the view)."""
        text = self._texts.get(settings)
        if text is None:
            text = self._texts[settings] = dumps(self)
        return text


def typed(view: dict, kind: str) -> dict:
    """The view with its kind's "type", as pulls carry it (Kind.changes): a kept one's made once,
    any other's a new dict."""
    if isinstance(view, KeptView):
        if view._typed is None:
            view._typed = KeptView({"type": kind, **view}, untyped=view)
        return view._typed
    return {"type": kind, **view}


def untyped(view: dict) -> dict:
    """The view without "type", as phones whose cached shell predates record kinds read stories:
    a kept view is shared, so its own untyped twin; any other loses the key."""
    if isinstance(view, KeptView) and view.untyped_twin is not None:
        return view.untyped_twin
    del view["type"]
    return view


def same_replica(item: Item, replica: dict | None) -> bool:
    """Whether a pushed replica is exactly what now stands here: then the answer need not
    carry it back (the peer keeps what it sent), which keeps the wire to the payload."""
    if replica is None or not isinstance(item.data, dict):
        return False
    sent = {k: v for k, v in item.data.items() if k != "base"}
    return sent == {k: v for k, v in replica.items() if k not in ("type", "id")}


class Peer:
    """The other side of a replication, as a batch and replicas() see it: on central, a camp
    node pushing (``from_central`` False); on a node, central's records being applied
    (``from_central`` True). ``community_id``/``event_id``: the scope replicated.
    ``note_conflict`` records a conflict decided by rule (nodes/ keeps and shows them)."""
    is_node = True
    id = None

    def __init__(self, *, community_id: int, event_id: int | None = None, from_central: bool,
                 node_id: int | None = None, note_conflict=None):
        self.community_id, self.event_id, self.from_central = community_id, event_id, from_central
        self.node_id = node_id
        self._note_conflict = note_conflict

    def note_conflict(self, kind: str, record_id, rule: str, **detail) -> None:
        if self._note_conflict is not None:
            self._note_conflict(kind, str(record_id), rule, detail)

    def pushed(self, revisions: range) -> None:
        """The revisions this peer's push made here (central keeps them: see echoed)."""

    def echoed(self, revisions: list[int]) -> set[int]:
        """Which of these revisions this peer's own pushes made (not sent back to it)."""
        return set()


def data_of(item: Item) -> dict:
    """An upsert's data: an object, or the item is refused."""
    if item.data is None:
        raise Problem("missing_field", field="data")
    if not isinstance(item.data, dict):
        raise Problem("bad_type", field="data")
    return item.data


class SavepointBatch(Batch):
    """A batch whose items each run in their own savepoint: _apply() may write and then raise
    Problem, and only that item's writes are undone (it is answered rejected)."""

    def apply(self, item: Item) -> Result:
        try:
            with db.session.begin_nested():
                return self._apply(item)
        except Problem as problem:
            return Result.rejected(problem)

    def _apply(self, item: Item) -> Result:
        raise NotImplementedError


def uuid7() -> uuid.UUID:
    """A new UUID version 7 (RFC 9562): the time in milliseconds, then 74 random bits. Ids made
    this way sort by when they were made, so a table's index of them grows at its end instead
    of at a random page for every new row (docs/sync.md, Ids). Made for stories only: a story's
    view shows when it was written (created_at) anyway, and the server never reads a time out
    of an id. Python 3.14's uuid.uuid7() does the same."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # the version, 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the variant, RFC 9562's
    return uuid.UUID(int=value)


def parse_uuid(value, field: str) -> uuid.UUID:
    """A record's id, or an id it names (data.story): a UUID in canonical text only, so one
    record cannot hide behind two spellings."""
    if not isinstance(value, str) or len(value) != 36:
        raise Problem("bad_id" if field == "id" else "bad_type", field=field)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != value.lower():
        raise Problem("bad_id" if field == "id" else "bad_type", field=field)
    return parsed


def strip_etag(value) -> str | None:
    """An ETag as sent ('"abc"', 'W/"abc"' or 'abc') without its quotes; None if absent."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if not kind.name:
        raise ValueError("a record kind needs a name")
    if kind.name in _kinds and _kinds[kind.name] is not kind:
        raise ValueError(f"a record kind named {kind.name!r} is already registered")
    _kinds[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _kinds.pop(name, None)


def get(name: str) -> Kind | None:
    return _kinds.get(name)


def names() -> list[str]:
    return sorted(_kinds)


# --- Tombstones of records deleted for real ---------------------------------------------------

class Tombstone(db.Model):
    """A deleted record of some kind: only its id and revision stay, for the phones' pulls.

    Who may receive it is decided by the kind from ``community_id``, ``owner_id`` and
    ``audience`` (a word the kind chooses, such as "public" or "facilitators"): the tombstone
    tells nothing but the id, yet nobody gets ids of records they could never see.
    Stories keep their own tombstone row (the withdrawn story); these are for the other kinds.
    """
    __tablename__ = "record_tombstones"
    __table_args__ = (Index("ix_record_tombstones_kind_revision", "kind", "revision"),)

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
    community_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audience: Mapped[str] = mapped_column(String(16), nullable=False, default="")


def bury(kind: str, record_id, revs, *, community_id=None, owner_id=None, audience: str = "") -> int:
    """Record that ``record_id`` of ``kind`` is gone; returns the tombstone's revision.

    Idempotent: burying again gives the tombstone a new revision (phones that saw the record
    come back, say a re-created translation, learn of the second deletion too).
    """
    revision = revs.next()
    key = str(record_id)
    db.session.execute(delete(Tombstone).where(Tombstone.kind == kind, Tombstone.record_id == key)
                       .execution_options(synchronize_session=False))
    db.session.add(Tombstone(kind=kind, record_id=key, revision=revision, community_id=community_id,
                             owner_id=owner_id, audience=audience))
    return revision


def is_buried(kind: str, record_id) -> bool:
    return db.session.get(Tombstone, (kind, str(record_id))) is not None


def unbury(kind: str, record_id) -> None:
    """The record exists again (same id re-created): its tombstone goes."""
    db.session.execute(delete(Tombstone).where(Tombstone.kind == kind, Tombstone.record_id == str(record_id))
                       .execution_options(synchronize_session=False))


def tombstones(kind: str, since: int, limit: int, visible) -> list[tuple[int, dict]]:
    """(revision, tombstone) of ``kind`` after ``since`` for which the SQL clause ``visible``
    (over Tombstone's columns) holds, oldest first."""
    rows = db.session.execute(
        select(Tombstone.record_id, Tombstone.revision)
        .where(Tombstone.kind == kind, Tombstone.revision > since, visible)
        .order_by(Tombstone.revision).limit(limit))
    return [(row.revision, tombstone_view(kind, row.record_id, row.revision)) for row in rows]


def tombstone_view(kind: str, record_id, revision: int) -> dict:
    return {"type": kind, "id": str(record_id), "deleted": True, "revision": revision}


# --- Replicas of deleted records (camp nodes) ---------------------------------------------------

def deleted_replica(kind: str, record_id) -> dict:
    """A record deleted for real, as a replica: no revision (each side numbers its own), so both
    sides compute the same one and a node's digest of it matches central's."""
    return {"type": kind, "id": str(record_id), "deleted": True}


def is_deleted_replica(data) -> bool:
    return isinstance(data, dict) and data.get("deleted") is True


def with_tombstones(kind: str, changes: list[tuple[int, dict]], since: int, limit: int,
                    community_id: int) -> list[tuple[int, dict]]:
    """A kind's replicas() of live rows, merged with its tombstones in the community after
    ``since``: the first ``limit`` of both, in revision order."""
    merged = changes + tombstone_replicas(kind, since, limit, community_id)
    return sorted(merged, key=lambda change: change[0])[:limit]


def replica_base(data: dict) -> dict:
    """A pushed replica's "base" (what both sides last agreed on): an object, or refused."""
    base = data.get("base") or {}
    if not isinstance(base, dict):
        raise Problem("bad_type", field="data.base")
    return base


def tombstone_replicas(kind: str, since: int, limit: int, community_id: int) -> list[tuple[int, dict]]:
    """(revision, deleted replica) of ``kind``'s tombstones in this community after ``since``."""
    rows = db.session.execute(
        select(Tombstone.record_id, Tombstone.revision)
        .where(Tombstone.kind == kind, Tombstone.revision > since, Tombstone.community_id == community_id)
        .order_by(Tombstone.revision).limit(limit))
    return [(row.revision, deleted_replica(kind, row.record_id)) for row in rows]
