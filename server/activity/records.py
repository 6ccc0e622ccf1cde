"""Follows as a record kind of the sync (kultialogo.records): a phone can follow a community or
a story offline, and learns its follows (and unfollows, as tombstones) from its pull. Only the
account's own follows ever reach it.

data: {"community": slug} or {"story": uuid}, exactly one. Following what the account already
follows (another id, two tabs) is answered "unchanged" with the follow that stands.
"""
import uuid

from sqlalchemy import select

from .. import policy, records
from ..errors import Problem
from ..extensions import db
from . import service
from .models import Follow
from .service import NAME


class FollowBatch(records.SavepointBatch):
    def _apply(self, item) -> records.Result:
        actor = self.actor
        if not policy.signed_in(actor):
            raise Problem("unauthorized", status=401)
        found = db.session.scalar(select(Follow).where(Follow.sync_id == item.id))
        if item.op == records.DELETE:
            if found is None:
                return records.Result(records.UNCHANGED, records.tombstone_view(NAME, item.id, 0))
            if found.account_id != actor.id:
                raise Problem("forbidden", status=403, field="id")
            revision = service.remove(found, self.revs)
            return records.Result(records.UPDATED, records.tombstone_view(NAME, item.id, revision))
        target = item.parsed(actor)
        if found is not None:
            if found.account_id != actor.id:
                raise Problem("forbidden", status=403, field="id")
            if service.find(actor.id, target) is not found:
                raise Problem("id_mismatch", field="id")  # one id, one target
            return records.Result(records.UNCHANGED, service.view(found))
        if records.is_buried(NAME, item.id):
            raise Problem("deleted", status=409, field="id")  # a late replay must not follow again
        created, follow = service.add(actor, target, self.revs, sync_id=item.id)
        return records.Result(records.CREATED if created else records.UNCHANGED, service.view(follow))


class FollowKind(records.Kind):
    name = NAME
    data_keys = frozenset(("community", "story", "id", "type", "created_at", "revision"))
    data_schema = {"type": "object", "properties": {
        "community": {"type": "string", "description": "a community's slug"},
        "story": {"type": "string", "format": "uuid"}}}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [NAME]}, "id": {"type": "string", "format": "uuid"},
        "community": {"type": "string", "nullable": True}, "story": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"}, "revision": {"type": "integer"}}}

    def parse(self, item: records.Item):
        data = super().parse(item)
        if data is None:
            return None
        community, story = data.get("community"), data.get("story")
        if (community is None) == (story is None):
            raise Problem("missing_field", field="community")  # exactly one target
        if story is not None:
            story_id = records.parse_uuid(story, "story")
            return lambda actor: service.story_target(actor, story_id)
        return lambda actor: service.community_target(actor, community)

    def batch(self, actor, revs) -> FollowBatch:
        return FollowBatch(self, actor, revs)

    def bury_again(self, record_id: str, revs) -> bool:
        found = db.session.scalar(select(Follow).where(Follow.sync_id == uuid.UUID(record_id)))
        if found is not None:
            service.remove(found, revs)
        return found is not None

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """The viewer's own follows, and tombstones of their own unfollows; nothing for others."""
        if not policy.signed_in(viewer):
            return []
        rows = db.session.scalars(select(Follow).where(Follow.account_id == viewer.id, Follow.revision > since)
                                  .order_by(Follow.revision).limit(limit))
        out = [(f.revision, service.view(f)) for f in rows]
        out += records.tombstones(NAME, since, limit, records.Tombstone.owner_id == viewer.id)
        return sorted(out, key=lambda change: change[0])[:limit]


KIND = FollowKind()
