"""The sync engine: push and pull for every registered record kind (kultialogo.records).

It knows no kind by name. Push checks each item's envelope, lets its kind check the data,
then applies the whole batch in one write transaction, each item on its own (a bad item never
spoils the others), and answers per item. Pull asks every requested kind for its changes after
the cursor and merges them in revision order: revisions come from one counter shared by every
kind, so one cursor covers them all.
"""
from .. import limits, records
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..observability import metrics
from ..revisions import RevisionBlock, current_revision

ENVELOPE_KEYS = frozenset({"type", "op", "id", "base_etag", "data"})
DEFAULT_TYPE = "story"  # phones whose cached shell predates record kinds send no "type"
# Clients of version 3 and older send no "protocol" in a push and read a story's answer as
# "story"; from version 4 on they say their version and read "record" only (docs/sync.md).
UNSTATED_PROTOCOL = 3
STORY_COPY_UNTIL = 3


def read_push(body) -> tuple[list, int]:
    """A push body's items and the contract version its client speaks (``protocol``, a whole
    number from 1; 3 when absent), for a phone's push and a node's alike. Anything else
    refuses the whole push (400 bad_request, naming the field)."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise Problem("bad_request", status=400, field="items")
    protocol = body.get("protocol", UNSTATED_PROTOCOL)
    if type(protocol) is not int or protocol < 1:  # not bool, float or text
        raise Problem("bad_request", status=400, field="protocol")
    return body["items"], protocol


def parse_item(index: int, raw, *, peer: bool = False) -> records.Item:
    """Check one item without touching the database; raise Problem. A camp node (``peer``)
    pushes replicas only, and only a node may."""
    if not isinstance(raw, dict):
        raise Problem("bad_item", field="item")
    unknown = set(raw) - ENVELOPE_KEYS
    if unknown:
        raise Problem("unknown_field", field=sorted(map(str, unknown))[0][:40])
    record_id = records.parse_uuid(raw.get("id"), "id")
    type_ = raw.get("type", DEFAULT_TYPE)
    kind = records.get(type_) if isinstance(type_, str) else None
    if kind is None:
        raise Problem("bad_type", field="type")
    op = raw.get("op", records.UPSERT)
    if op not in kind.ops or (op == records.REPLICATE) != peer:
        raise Problem("bad_op", field="op")
    base_etag = raw.get("base_etag")
    if base_etag is not None and not isinstance(base_etag, str):
        raise Problem("bad_type", field="base_etag")
    item = records.Item(index, kind.name, op, record_id, base_etag, raw.get("data"))
    item.parsed = kind.parse(item)
    return item


def push(actor, raw_items: list, *, max_items: int = limits.PUSH_MAX_ITEMS, keep_loaded: bool = False) -> list[tuple]:
    """Apply a batch in order, each item on its own; commit before answering.

    Returns (item, result) per item, in the order sent; answer() turns one into JSON. A
    rejected item's "item" is only what it said its type and id were. ``keep_loaded``: see
    database.write_transaction (the caller read only the actor so far).
    """
    if len(raw_items) > max_items:
        raise Problem("too_many_items", status=413, max=max_items)
    answers: list = [None] * len(raw_items)
    items: list[records.Item] = []
    peer = isinstance(actor, records.Peer)
    for index, raw in enumerate(raw_items):
        try:
            items.append(parse_item(index, raw, peer=peer))
        except Problem as problem:
            answers[index] = (_raw_envelope(raw), records.Result.rejected(problem))
    if items:
        names = list(dict.fromkeys(item.type for item in items))
        late = all(records.get(name).takes_lock_late for name in names)
        with write_transaction(keep_loaded=keep_loaded):
            revs = RevisionBlock(db.session, late=late)
            batches: dict[str, records.Batch] = {}
            current = None
            for name in names:
                batches[name] = records.get(name).batch(actor, revs)
                preload = getattr(batches[name], "preload", None)
                if preload is not None:  # one query for the whole push, where a kind can
                    preload([item for item in items if item.type == name])
            for item in items:
                if current is not None and current != item.type:
                    batches[current].flush()  # the next item may read what that kind buffered
                current = item.type
                try:
                    result = batches[item.type].apply(item)
                except Problem as problem:  # a kind may refuse before it writes (records.Batch)
                    result = records.Result.rejected(problem)
                answers[item.index] = (item, result)
            for batch in batches.values():
                batch.flush()
            for batch in batches.values():
                batch.finish()
            if peer:
                actor.pushed(revs.handed_out())
            revs.flush()
        for batch in batches.values():
            batch.after_commit()
    metrics.count_push(_outcome(item, result) for item, result in answers)
    return answers


def _outcome(item, result) -> tuple[str, str]:
    """(kind, result) for the metrics: a rejected item's kind only if it named a known one."""
    if isinstance(item, records.Item):
        return item.type, result.result
    type_ = item.get("type") if isinstance(item, dict) else None
    known = isinstance(type_, str) and records.get(type_) is not None
    return (type_ if known else metrics.UNKNOWN_KIND), result.result


def _raw_envelope(raw):
    """The type and id of a rejected item as sent, to answer with (never trusted further)."""
    if not isinstance(raw, dict):
        return None
    return {"type": raw.get("type", DEFAULT_TYPE), "id": raw.get("id")}


def answer(entry, protocol: int = UNSTATED_PROTOCOL) -> dict:
    """One item's answer, in the shape the client's ``protocol`` version reads."""
    item, result = entry
    if isinstance(item, records.Item):
        type_, record_id = item.type, str(item.id)
    else:
        sent = item or {}
        type_ = sent.get("type") if isinstance(sent.get("type"), str) and len(sent.get("type")) <= 32 else None
        record_id = sent.get("id") if isinstance(sent.get("id"), str) and len(sent.get("id")) <= 64 else None
    out = {"type": type_, "id": record_id, "result": result.result, "record": result.record,
           "error": result.problem.to_dict() if result.problem else None,
           "missing_media": list(result.missing_media)}
    if protocol > STORY_COPY_UNTIL:
        return out
    kind = records.get(type_) if type_ else None
    if kind is None:
        out["story"] = None  # refused before its kind was known: answered as the story contract did
    elif hasattr(kind, "legacy_answer"):
        out.update(kind.legacy_answer(item, result))
    return out


# --- Pull -----------------------------------------------------------------------------------

def parse_kinds(value) -> tuple[str, ...] | None:
    """?kinds=story,translation: which kinds to pull. None when absent: stories only, in the
    shape phones whose cached shell predates record kinds know (no "type")."""
    if value in (None, ""):
        return None
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not names or len(names) > 32 or any(records.get(name) is None for name in names):
        raise Problem("bad_kinds", field="kinds")
    return tuple(sorted(names))


def pull(viewer, since: int, limit: int, kinds: tuple[str, ...], head: int | None = None) -> tuple[list[dict], bool, int]:
    """The first ``limit`` changes after ``since`` of these kinds that the viewer may see, in
    revision order; whether there are more; and the revision of the last one (``since`` if none).

    Each kind returns its own first limit + 1 changes, so the merged first ``limit`` are the
    first ``limit`` overall, and one more tells that there is a next page.

    Only changes at or below ``head`` (the committed counter, read before any row; read here
    when not given) are returned. Every revision up to it is committed, so every kind's query
    sees all of them; above it, each kind's query may see a different set: on PostgreSQL each
    statement reads its own snapshot, so a push committing between two kinds' queries would
    show the later kind's rows without the earlier kind's, and a cursor past them would skip
    the earlier kind's for good.
    """
    if head is None:
        head = current_revision(db.session)
    peer = isinstance(viewer, records.Peer)
    changes = []
    for name in kinds or (DEFAULT_TYPE,):
        kind = records.get(name)
        if peer:  # a camp node gets the whole records of its scope
            found = kind.replicas(viewer, since, limit + 1) if kind.replicated else ()
        else:
            found = kind.changes(viewer, since, limit + 1)
        changes.extend(change for change in found if change[0] <= head)
    changes.sort(key=lambda change: change[0])
    more = len(changes) > limit
    page = changes[:limit]
    if peer:  # what the node itself pushed, it has: the cursor passes it, the page leaves it out
        echoed = viewer.echoed([revision for revision, _view in page])
        items = [view for revision, view in page if revision not in echoed]
        return items, more, (page[-1][0] if page else since)
    if kinds is None:
        items = [records.untyped(view) for _revision, view in page]
    else:
        items = [view for _revision, view in page]
    return items, more, (page[-1][0] if page else since)
