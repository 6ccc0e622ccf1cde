"""Push and pull, as plain functions over the story service (the API routes stay thin)."""
import base64
import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from .. import limits, policy
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock, current_revision
from ..stories import service as stories
from ..stories.models import Story
from ..stories.schema import parse_story_id, parse_time, validate_content

ITEM_KEYS = {"type", "op", "id", "base_etag", "data"}


@dataclass
class ItemResult:
    id: object
    result: str
    story: Story | None = None
    problem: Problem | None = None
    missing_media: tuple = ()
    tomb: bool = False
    _view: dict | None = None

    def render(self, viewer) -> dict:
        """Build the answer now, while the story's attributes are loaded.

        push() renders inside its transaction, just before the commit: the view is exactly
        what is being committed, and nothing is reloaded row by row after the commit expired it.
        """
        self._view = self._build(viewer)
        return self._view

    def to_dict(self, viewer) -> dict:
        return self._view if self._view is not None else self._build(viewer)

    def _build(self, viewer) -> dict:
        if self.story is None:
            view = None
        elif self.tomb or self.story.status == "withdrawn":
            view = stories.tombstone(self.story)
        else:
            view = stories.story_view(self.story, viewer)
        return {"id": self.id, "result": self.result, "story": view,
                "error": self.problem.to_dict() if self.problem else None,
                "missing_media": list(self.missing_media)}


@dataclass
class _Parsed:
    index: int
    op: str
    story_id: uuid.UUID
    content: object = None
    base_etag: object = None
    created_at: object = None


def _parse_item(item) -> _Parsed:
    """Validate one item without touching the database."""
    if not isinstance(item, dict):
        raise Problem("bad_item", field="item")
    unknown = set(item) - ITEM_KEYS
    if unknown:
        raise Problem("unknown_field", field=sorted(map(str, unknown))[0][:40])
    story_id = parse_story_id(item.get("id"))
    if item.get("type", "story") != "story":
        raise Problem("bad_type", field="type")
    op = item.get("op", "upsert")
    if op not in ("upsert", "withdraw"):
        raise Problem("bad_op", field="op")
    base_etag = item.get("base_etag")
    if base_etag is not None and not isinstance(base_etag, str):
        raise Problem("bad_type", field="base_etag")
    if op == "withdraw":
        return _Parsed(0, op, story_id)
    data = item.get("data")
    if data is None:
        raise Problem("missing_field", field="data")
    if not isinstance(data, dict):
        raise Problem("bad_type", field="data")
    if "id" in data:
        if not isinstance(data["id"], str):
            raise Problem("id_mismatch", field="data.id")
        try:
            if uuid.UUID(data["id"]) != story_id:
                raise Problem("id_mismatch", field="data.id")
        except ValueError:
            raise Problem("id_mismatch", field="data.id") from None
    content = validate_content(data)
    created_at = parse_time(data.get("created_at"), "created_at")
    return _Parsed(0, op, story_id, content, base_etag, created_at)


def push(actor, items: list) -> list[ItemResult]:
    """Apply a batch in order, each item on its own; commit before answering."""
    if len(items) > limits.PUSH_MAX_ITEMS:
        raise Problem("too_many_items", status=413, max=limits.PUSH_MAX_ITEMS)
    results: list[ItemResult | None] = [None] * len(items)
    parsed: list[_Parsed] = []
    for index, item in enumerate(items):
        raw_id = item.get("id") if isinstance(item, dict) else None
        try:
            p = _parse_item(item)
        except Problem as problem:
            results[index] = ItemResult(raw_id if isinstance(raw_id, str) else None, stories.REJECTED,
                                        problem=problem)
            continue
        p.index = index
        parsed.append(p)

    if parsed:
        with write_transaction():
            revs = RevisionBlock(db.session)
            communities = stories.Communities()
            # One query for every story the batch names. We hold the counter lock, so no other
            # writer can store one of these ids before we commit: an id absent here is new.
            existing = _load_existing({p.story_id for p in parsed})
            inserts = stories.PendingInserts()
            by_id = {}
            for p in parsed:
                if p.story_id in inserts:  # this item reads a story still in the buffer
                    _flush(inserts, actor, revs, communities, existing, by_id, results)
                results[p.index] = _apply(actor, p, revs, communities, existing, inserts)
                by_id[p.story_id] = p
            _flush(inserts, actor, revs, communities, existing, by_id, results)
            # Consent records of the stories this push created, once each (after the batch
            # INSERT, which may have redone some items one by one).
            for p in parsed:
                result = results[p.index]
                if p.op == "upsert" and result.result == stories.CREATED:
                    stories.audit_consent(actor, p.story_id, result.story.community_id, p.content, "sync")
            revs.flush()
            for result in results:
                result.render(actor)
    return results  # type: ignore[return-value]


def _load_existing(ids) -> dict:
    return {s.id: s for s in db.session.scalars(
        select(Story).where(Story.id.in_(list(ids))).options(selectinload(Story.conflicts)))}


def _flush(inserts, actor, revs, communities, existing, by_id, results) -> None:
    """Write the buffered new stories; redo, each on its own, any the batch INSERT refused."""
    for story_id in inserts.flush():
        existing[story_id] = stories.LOOKUP  # maybe stored by someone else: compare with it
        p = by_id[story_id]
        results[p.index] = _apply(actor, p, revs, communities, existing)


def _apply(actor, p: _Parsed, revs, communities, existing, inserts=None) -> ItemResult:
    sid = str(p.story_id)
    found = existing.get(p.story_id)
    if isinstance(found, stories.NewStory):
        found = stories.LOOKUP  # inserted earlier in this batch: load the real row to change it
    try:
        if p.op == "withdraw":
            with db.session.begin_nested():
                outcome = stories.withdraw(actor, p.story_id, revs=revs, existing=found)
        else:
            outcome = stories.upsert_in_savepoint(
                actor, p.story_id, p.content, base_etag=p.base_etag, created_at=p.created_at,
                revs=revs, communities=communities, existing=found, inserts=inserts)
    except Problem as problem:
        return ItemResult(sid, stories.REJECTED, problem=problem)
    if outcome.story is not None:
        existing[p.story_id] = outcome.story
    story = outcome.story if outcome.result != stories.REJECTED or outcome.problem.code == "withdrawn" else None
    return ItemResult(sid, outcome.result, story, outcome.problem, outcome.missing_media)


# --- Pull -------------------------------------------------------------------------------

MAX_REVISION = 2**63 - 1  # revisions are BIGINT


def _plain_int(text: str) -> int:
    """ASCII digits only: int() also takes " 5", "1_0", "+5" and Arabic-Indic digits."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError(text)
    return int(text)


def encode_cursor(revision: int) -> str:
    return base64.urlsafe_b64encode(f"r{revision}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if cursor in (None, ""):
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError
        value = _plain_int(raw[1:])
        if value > MAX_REVISION:  # a forged cursor: SQLite cannot even bind it (OverflowError)
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError):
        raise Problem("bad_cursor", field="cursor") from None


def parse_limit(value) -> int:
    if value in (None, ""):
        return limits.PULL_DEFAULT_LIMIT
    try:
        number = _plain_int(value)
    except ValueError:
        raise Problem("bad_limit", field="limit", max=limits.PULL_MAX_LIMIT) from None
    if not 1 <= number <= limits.PULL_MAX_LIMIT:
        raise Problem("bad_limit", field="limit", max=limits.PULL_MAX_LIMIT)
    return number


@dataclass
class PullPage:
    items: list = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    etag: str = ""


# The version of the contract in docs/sync.md that push and pull speak; both report it, so a
# client (a phone's cached shell, a camp node) can tell what the server understands.
# 1: the original story contract; 2: with media, moderation, reports and translations.
PROTOCOL_VERSION = 2


def feed_etag(viewer, since: int, limit: int, head: int) -> str:
    # The protocol is part of it: a page cached under another version is never reused (304).
    key = f"{PROTOCOL_VERSION}|{policy.scope_key(viewer)}|{since}|{limit}|{head}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return digest


def pull_head(viewer, since: int, limit: int) -> tuple[int, str]:
    head = current_revision(db.session)
    return head, feed_etag(viewer, since, limit, head)


def pull(viewer, since: int, limit: int, head: int | None = None) -> PullPage:
    """Stories this viewer may see that changed after ``since``, oldest change first.

    Read the head (the committed counter) before the rows: every revision at or below it is
    committed, so when the page is the last one the cursor may jump to the head safely.
    """
    if head is None:
        head = current_revision(db.session)
    readable = policy.readable_stories_clause(viewer)
    # Devices may hold copies of stories once published (or their own): those get tombstones.
    may_hold = Story.ever_published.is_(True)
    if policy.signed_in(viewer):
        may_hold = or_(may_hold, Story.author_id == viewer.id)
    query = (select(Story).where(and_(Story.revision > since, or_(readable, may_hold)))
             .order_by(Story.revision).limit(limit + 1)
             .options(selectinload(Story.translations)))  # published ones ride along with each story
    if policy.signed_in(viewer):
        # Authors get their stories' conflicts: one query for the page, not one per story.
        query = query.options(selectinload(Story.conflicts))
    rows = db.session.scalars(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [stories.story_view(s, viewer) if policy.can_read_in_feed(viewer, s) else stories.tombstone(s)
             for s in rows]
    last = rows[-1].revision if rows else since
    cursor_rev = last if more else max(last, head, since)
    return PullPage(items=items, cursor=encode_cursor(cursor_rev), more=more,
                    etag=feed_etag(viewer, since, limit, head))
