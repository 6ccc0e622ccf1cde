"""Stories as a record kind of the sync (kultialogo.records): push and pull of stories.

The rules are the contract's (docs/sync.md, Stories): the author owns the content, a replay
is "unchanged", an edit on a stale base keeps the losing text as a conflict, a withdrawal
leaves a tombstone. The work itself is stories.service's; this module batches it for a push.
"""
import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, and_, bindparam, or_, select
from sqlalchemy.orm import selectinload

from .. import policy, records
from ..database import id_in, stored_ids
from ..errors import Problem
from ..extensions import db
from . import hooks, replication, service
from .models import Story
from .schema import parse_time, validate_content

WITHDRAW = "withdraw"


@dataclass
class StoryResult(records.Result):
    story: object = None  # the stored story (or the values just inserted), to render the answer


class StoryBatch(records.Batch):
    """One push's stories: new ones are INSERTed together (service.PendingInserts), so a batch
    of 100 new stories is one statement; an item that reads a buffered story flushes first."""

    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self.communities = service.Communities()
        self.existing: dict = {}
        self.inserts = service.PendingInserts(revs)
        self.pending: dict[uuid.UUID, tuple[records.Item, StoryResult]] = {}
        self.applied: list[tuple[records.Item, StoryResult]] = []
        self.replicated: list[tuple[records.Item, StoryResult]] = []

    def preload(self, items) -> None:
        """One query for every story the push names, read before the counter lock is taken
        (StoryKind.takes_lock_late): what decides a write is read again under it (_lock). An id
        absent here may still be stored by another push before ours writes: our INSERT of it
        then fails, and flush() redoes it as a comparison with that story."""
        ids = [item.id for item in items if item.id not in self.existing]
        if ids:
            # Which exist, as plain ids first: a push is mostly new stories, and loading none
            # through the ORM still cost a millisecond.
            stored = _stored_ids(ids)
            found = {s.id: s for s in _stories_to_change(stored)} if stored else {}
            for story_id in ids:
                self.existing[story_id] = found.get(story_id)

    def apply(self, item: records.Item) -> records.Result:
        if item.op == records.REPLICATE:
            return self._replicate(item)
        if item.id not in self.existing:
            self.preload([item])
        if item.id in self.pending:  # this item reads a story still in the buffer
            self.flush()
        if item.op == WITHDRAW or self.existing.get(item.id) is not None:
            self._lock()  # a change to a stored story is decided under the lock; a new one waits for flush()
        result = StoryResult(records.REJECTED)
        self._apply(item, result, self.inserts)
        self.applied.append((item, result))
        if item.op != WITHDRAW and item.id in self.inserts:
            self.pending[item.id] = (item, result)
        return result

    def _apply(self, item, result: StoryResult, inserts=None) -> None:
        found = self.existing.get(item.id, service.LOOKUP)
        if isinstance(found, service.NewStory):
            found = service.LOOKUP  # inserted earlier in this push: load the real row to change it
        try:
            if item.op == WITHDRAW:
                with db.session.begin_nested():
                    outcome = service.withdraw(self.actor, item.id, revs=self.revs, existing=found)
            else:
                content, created_at = item.parsed
                outcome = service.upsert_in_savepoint(
                    self.actor, item.id, content, base_etag=item.base_etag, created_at=created_at,
                    revs=self.revs, communities=self.communities, existing=found, inserts=inserts)
        except Problem as problem:
            result.result, result.problem, result.story = records.REJECTED, problem, None
            return
        if outcome.story is not None:
            self.existing[item.id] = outcome.story
        keep = outcome.result != records.REJECTED or outcome.problem.code == "withdrawn"
        result.result, result.problem = outcome.result, outcome.problem
        result.missing_media = outcome.missing_media
        result.story = outcome.story if keep else None

    def _lock(self, reserve: int = 0) -> None:
        """Take the counter lock if this push has not yet, and read again under it what was
        read before: another push may have changed those stories, or stored new ones, since.
        Ids already buffered are left to flush(), whose INSERT tells. ``reserve``: see
        RevisionBlock.take."""
        if not self.revs.take(reserve):
            return
        stored = [story_id for story_id, story in self.existing.items() if isinstance(story, Story)]
        if stored:  # refreshed in place: the objects in self.existing stay the ones to change
            _stories_to_change(stored, again=True)
        absent = [story_id for story_id, story in self.existing.items()
                  if story is None and story_id not in self.inserts]
        if absent:
            for story_id in _stored_ids(absent):
                self.existing[story_id] = service.LOOKUP  # stored since: applied as a change to it

    def _replicate(self, item: records.Item) -> records.Result:
        """A camp node's replica (or, on a node, central's): stories.replication's rules."""
        self._lock()
        self.flush()
        result = StoryResult(records.REJECTED)
        try:
            with db.session.begin_nested():
                result.result, result.story = replication.apply(self.actor, item.id, item.parsed, self.revs)
        except Problem as problem:
            result.problem = problem
            return result
        self.existing.pop(item.id, None)  # changed outside the buffer: look it up again if named later
        if result.result == records.MEDIA_MISSING:
            result.missing_media = service.missing_media(item.parsed.content.media)
        self.replicated.append((item, result))
        return result

    def flush(self) -> None:
        """Write the buffered new stories; redo, each on its own, any the batch INSERT refused."""
        if self.pending:
            self._lock(reserve=len(self.pending))  # the buffered rows' revisions
        for story_id in self.inserts.flush():
            self.existing[story_id] = service.LOOKUP  # maybe stored by someone else: compare with it
            item, result = self.pending[story_id]
            self._apply(item, result)
        self.pending.clear()

    def finish(self) -> None:
        # A peer's answer is the record as it now stands here, whole: it applies that in turn.
        # None when it is exactly what the peer sent (records.same_replica).
        stories = [r.story for _i, r in self.replicated if r.story is not None]
        uids = replication.uids_of([s.author_id for s in stories] + [s.recorded_by_id for s in stories]
                                   + [s.moderated_by_id for s in stories])
        for item, result in self.replicated:
            record = replication.replica_of(result.story, uids) if result.story is not None else None
            result.record = None if records.same_replica(item, record) else record
        # Consent records of the stories this push created, once each (after the batch INSERT,
        # which may have redone some items one by one).
        for item, result in self.applied:
            if item.op != WITHDRAW and result.result == records.CREATED:
                service.audit_consent(self.actor, item.id, result.story.community_id, item.parsed[0], "sync")
        # The answer of a stored story is built now, inside the transaction: exactly what is
        # being committed, and nothing is reloaded row by row after the commit expired it.
        # A story this push inserted is the plain values inserted, which no commit changes:
        # its answer waits for after_commit(), outside the write lock (a tenth of a push's
        # time under it, bench/ingest.py).
        for _item, result in self.applied:
            if not isinstance(result.story, service.NewStory):
                result.record = _record_of(result.story, self.actor)

    def after_commit(self) -> None:
        for _item, result in self.applied:
            if isinstance(result.story, service.NewStory):
                result.record = _record_of(result.story, self.actor)


def _stored_ids(ids: list) -> list:
    """Which of these story ids are stored, as plain ids."""
    return stored_ids(db.session, Story.__table__.c.id, ids)


def _stories_to_change(ids: list, *, again: bool = False) -> list[Story]:
    """These stories as a change to them reads them, with their kept conflicts; ``again``:
    read once more, refreshing the objects the session already holds."""
    query = select(Story).where(id_in(Story.id, ids)).options(selectinload(Story.conflicts))
    if again:
        query = query.execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def _record_of(story, actor) -> dict | None:
    """A pushed story as its answer carries it: the view, a tombstone, or None (refused)."""
    if story is None:
        return None
    if story.status == "withdrawn":
        return service.tombstone(story)
    return service.story_view(story, actor)


class StoryKind(records.Kind):
    name = "story"
    ops = (records.UPSERT, WITHDRAW, records.REPLICATE)  # withdrawn (consent taken back), never "deleted"
    replicated = True
    # A push of new stories is checked without the counter lock and takes it to INSERT them
    # (StoryBatch._lock): two pushes' per-item work runs side by side on PostgreSQL, about
    # half of a push's time (bench/ingest.py).
    takes_lock_late = True

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse(records.data_of(item))
        if item.id.version not in (4, 7):  # client-made ids only (stories never get server-made ones)
            raise Problem("bad_id", field="id")
        if item.op == WITHDRAW:
            return None
        data = records.data_of(item)
        if "id" in data:
            if not isinstance(data["id"], str):
                raise Problem("id_mismatch", field="data.id")
            try:
                if uuid.UUID(data["id"]) != item.id:
                    raise Problem("id_mismatch", field="data.id")
            except ValueError:
                raise Problem("id_mismatch", field="data.id") from None
        if "type" in data:  # a pulled view sent back as it came
            data = {k: v for k, v in data.items() if k != "type"}
        content = validate_content(data)
        service.etag_of(content)  # here, not under the write lock
        return content, parse_time(data.get("created_at"), "created_at")

    def batch(self, actor, revs) -> StoryBatch:
        return StoryBatch(self, actor, revs)

    def legacy_answer(self, item: records.Item, result: records.Result) -> dict:
        """Clients of protocol 3 and older (a phone's cached shell) read the story as "story"."""
        return {"story": result.record}

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.replicas(peer, since, limit)

    def base_of(self, replica: dict) -> dict:
        return replication.base_of(replica)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        params = {"since": since}
        managed = policy.managed_community_ids(viewer)
        if managed is None or managed:
            # A moderator sees the consent record of their communities' stories, and such views
            # are never kept (service.reader_view): read whole rows at once.
            return self._whole_page(viewer, params, limit)
        page = service.reader_page(viewer, _changes_query(viewer, heads=True), params, limit)
        if page is None:  # a story changed between the page's two reads: read it again, in one
            return self._whole_page(viewer, params, limit)
        return [(revision, records.typed(view, self.name)) for revision, view in page]

    def _whole_page(self, viewer, params: dict, limit: int) -> list[tuple[int, dict]]:
        # Plain rows, not ORM objects: building those (and their relationships) was most of a
        # pull's time (bench/hotpaths.py). The checks below read the same values.
        stories = service.plain_stories(_changes_query(viewer), limit, params=params,
                                        conflicts_of=viewer if policy.signed_in(viewer) else None)
        shown = [policy.can_read_in_feed(viewer, story) for story in stories]
        hooks.preload_views([story for story, full in zip(stories, shown) if full])
        views = service.reader_views()
        return [(story.revision, records.typed(service.reader_view(story, viewer, views) if full
                                               else service.tombstone(story), self.name))
                for story, full in zip(stories, shown)]


# The pull's stories query per policy.read_key() (and whether of heads or whole rows): built once
# for each reader's scope and run with the cursor as a parameter (building it was a tenth of a
# pull). Bounded: cleared when full.
_CHANGES_QUERIES: dict = {}
_CHANGES_QUERIES_MAX = 1024


def _changes_query(viewer, heads: bool = False):
    key = (policy.read_key(viewer), heads)
    query = _CHANGES_QUERIES.get(key)
    if query is None:
        readable = policy.readable_stories_clause(viewer)
        # Devices may hold copies of stories once published (or their own): those get tombstones.
        may_hold = Story.ever_published.is_(True)
        if policy.signed_in(viewer):
            may_hold = or_(may_hold, Story.author_id == viewer.id)
        where = and_(Story.revision > bindparam("since", type_=BigInteger), or_(readable, may_hold))
        query = service.story_heads_query(where) if heads else service.plain_stories_query(where)
        if len(_CHANGES_QUERIES) >= _CHANGES_QUERIES_MAX:
            _CHANGES_QUERIES.clear()
        _CHANGES_QUERIES[key] = query
    return query


KIND = StoryKind()
