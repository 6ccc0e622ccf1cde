"""Replies and reactions as record kinds of the sync (kultialogo.records, docs/sync.md).

reply: {"story": UUID, "body": str}; the id is made by the phone. Upsert creates it (the same id
again with the same content: unchanged; other content: id_mismatch, a reply is not edited);
delete removes it (its author, the story's moderators) and leaves a tombstone.

reaction: {"story": UUID, "kind": "thanks" | "me_too" | "learned"}; one per person, story and
kind (a database constraint). Another id for a reaction the person already has (a second tab)
is answered unchanged with the stored one; the phone then keeps that id.

The rules are the forms' (service.py): the same functions write for both. Camp nodes replicate
both kinds with the REPLICATE op (replication.py).
"""
import dataclasses
import re
import uuid

from .. import attachments, limits, policy, records
from ..errors import Problem
from ..extensions import db
from . import replication, service
from .models import REACTION_KINDS, Reaction, Reply

_STORY = {"type": "string", "format": "uuid"}
# A voice reply's recording: at most one SHA-256 (lowercase hex), uploaded first.
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEDIA = {"type": "array", "maxItems": 1, "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


def _strip(data, server_keys):
    return {k: v for k, v in data.items() if k not in server_keys} if isinstance(data, dict) else data


class _Batch(records.SavepointBatch):
    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self._answered: list[tuple[records.Result, object]] = []
        self._replicated: list[tuple[records.Item, records.Result]] = []

    def apply(self, item: records.Item) -> records.Result:
        if item.op != records.REPLICATE:
            return super().apply(item)
        try:  # a camp node's replica, or on a node central's
            with db.session.begin_nested():
                result = records.Result(replication.apply(self.kind.name, self.actor, item.id, item.parsed,
                                                          self.revs))
        except Problem as problem:
            return records.Result.rejected(problem)
        self._replicated.append((item, result))
        return result

    def _answer(self, result: records.Result, record) -> records.Result:
        self._answered.append((result, record))
        return result

    def _signed_in(self):
        if not policy.signed_in(self.actor) or getattr(self.actor, "is_node", False):
            raise Problem("forbidden", status=403)

    def finish(self) -> None:
        # A peer's answer is each record as it now stands here, whole: it applies that in turn.
        stand = replication.as_they_stand(self.kind.name, [item.id for item, _result in self._replicated])
        for item, result in self._replicated:
            result.record = stand[str(item.id)]
        # After every item: a record made and then deleted in the same push answers its tombstone.
        for result, record in self._answered:
            if isinstance(record, (Reply, Reaction)):
                record = self._view(record) if record in db.session else self._gone(record)
            result.record = record

    def _gone(self, record) -> dict | None:
        stone = db.session.get(records.Tombstone, (self.kind.name, str(record.sync_id)))
        return records.tombstone_view(self.kind.name, record.sync_id, stone.revision) if stone else None


class ReplyBatch(_Batch):
    def _view(self, reply):
        return service.reply_view(reply)

    def _apply(self, item: records.Item) -> records.Result:
        self._signed_in()
        found = service.find_reply(item.id)
        if item.op == records.DELETE:
            if found is None:
                return records.Result(records.UNCHANGED, records.tombstone_view(service.REPLY, item.id, 0))
            if not policy.can_see_reply(self.actor, found, found.story):
                raise Problem("not_found", status=404, field="id")
            if not policy.can_delete_reply(self.actor, found, found.story):
                raise Problem("forbidden", status=403, field="id")
            revision = service.bury_reply(found, found.story, self.revs)
            db.session.flush()
            return records.Result(records.UPDATED, records.tombstone_view(service.REPLY, item.id, revision))
        data = item.parsed
        story = service.readable_story(self.actor, data["story"])
        media = list(data.get("media") or [])
        body = service.clean_body(data["body"], bool(media))
        if found is not None:
            if (found.story_id != story.id or found.author_id != self.actor.id or found.body != body
                    or not attachments.same_recordings(self.actor, found.media, media)):
                raise Problem("record_id_taken", status=409, field="id")
            if list(found.media or []) != media:
                attachments.release(media)  # its voice disguised anew: the stored reply keeps the first
            return self._answer(records.Result(records.UNCHANGED), found)  # a replay
        if records.is_buried(service.REPLY, item.id):
            raise Problem("deleted", status=409, field="id")  # a late replay must not bring it back
        service.check_may_reply(self.actor, story)
        # A voice reply: its recording is uploaded first (tus), as a story's files are.
        missing = attachments.missing(self.actor, media)
        if missing:
            return records.Result(records.MEDIA_MISSING, missing_media=missing)
        reply = service.write_reply(self.actor, story, body, self.revs, item.id, media)
        return self._answer(records.Result(records.CREATED), reply)


class ReactionBatch(_Batch):
    def _view(self, reaction):
        return service.reaction_view(reaction, self.actor)

    def _apply(self, item: records.Item) -> records.Result:
        self._signed_in()
        found = service.find_reaction(item.id)
        if item.op == records.DELETE:
            if found is None:
                return records.Result(records.UNCHANGED, records.tombstone_view(service.REACTION, item.id, 0))
            if found.account_id != self.actor.id:
                raise Problem("forbidden", status=403, field="id")
            revision = service.bury_reaction(found, found.story, self.revs)
            db.session.flush()
            return records.Result(records.UPDATED, records.tombstone_view(service.REACTION, item.id, revision))
        data = item.parsed
        story = service.readable_story(self.actor, data["story"])
        if found is not None:
            if found.story_id != story.id or found.account_id != self.actor.id or found.kind != data["kind"]:
                raise Problem("record_id_taken", status=409, field="id")
            return self._answer(records.Result(records.UNCHANGED), found)
        if records.is_buried(service.REACTION, item.id):
            raise Problem("deleted", status=409, field="id")
        service.check_may_react(self.actor, story)
        result, reaction = service.insert_reaction(self.actor, story, data["kind"], self.revs, item.id)
        return self._answer(records.Result(result), reaction)


class _Kind(records.Kind):
    ops = (records.UPSERT, records.DELETE, records.REPLICATE)
    replicated = True
    server_keys: frozenset = frozenset()

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.replicas(self.name, peer, since, limit)

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse(self.name, records.data_of(item))
        if isinstance(item.data, dict):
            item = dataclasses.replace(item, data=_strip(item.data, self.server_keys))
        data = super().parse(item)
        if data is None:
            return None
        if data.get("story") is None:
            raise Problem("missing_field", field="story")
        return {**data, "story": records.parse_uuid(data["story"], "story")}


class ReplyKind(_Kind):
    name = service.REPLY
    data_keys = frozenset({"story", "body", "media"})
    server_keys = frozenset({"type", "id", "author", "status", "created_at", "revision"})
    data_schema = {"type": "object", "required": ["story", "body"], "properties": {
        "story": _STORY, "body": {"type": "string", "maxLength": limits.REPLY_BODY_MAX},
        "media": _MEDIA}}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [service.REPLY]}, "id": {"type": "string", "format": "uuid"},
        "story": _STORY, "body": {"type": "string"}, "media": _MEDIA, "author": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["published", "pending", "hidden"]},
        "created_at": {"type": "string", "format": "date-time"}, "revision": {"type": "integer"}}}

    def base_of(self, replica: dict) -> dict:
        return {"status": replica.get("status")}

    def parse(self, item: records.Item):
        data = super().parse(item)
        if item.op == records.REPLICATE:
            return data
        if data is not None and "body" not in data:
            raise Problem("missing_field", field="body")
        if data is not None and data.get("media") is not None:
            media = data["media"]
            # A list of at most one recording's SHA-256.
            if (not isinstance(media, list) or len(media) > 1
                    or not all(isinstance(h, str) and _SHA256.match(h) for h in media)):
                raise Problem("bad_type", field="media")
        return data

    def batch(self, actor, revs) -> ReplyBatch:
        return ReplyBatch(self, actor, revs)

    def bury_again(self, record_id: str, revs) -> bool:
        found = service.find_reply(uuid.UUID(record_id))
        if found is not None:
            service.bury_reply(found, found.story, revs)
        return found is not None

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """Replies of stories this viewer may read: published ones, and their own and (for the
        story's moderators) waiting and hidden ones; others' that became hidden as tombstones."""
        return service.reply_changes(viewer, since, limit)


class ReactionKind(_Kind):
    name = service.REACTION
    data_keys = frozenset({"story", "kind"})
    server_keys = frozenset({"type", "id", "mine", "created_at", "revision"})
    data_schema = {"type": "object", "required": ["story", "kind"], "properties": {
        "story": _STORY, "kind": {"type": "string", "enum": list(REACTION_KINDS)}}}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [service.REACTION]}, "id": {"type": "string", "format": "uuid"},
        "story": _STORY, "kind": {"type": "string", "enum": list(REACTION_KINDS)},
        "mine": {"type": "boolean", "description": "whether it is the viewer's own"},
        "created_at": {"type": "string", "format": "date-time"}, "revision": {"type": "integer"}}}

    def parse(self, item: records.Item):
        data = super().parse(item)
        if data is not None and item.op != records.REPLICATE:
            data["kind"] = service.clean_kind(data.get("kind"))
        return data

    def batch(self, actor, revs) -> ReactionBatch:
        return ReactionBatch(self, actor, revs)

    def bury_again(self, record_id: str, revs) -> bool:
        found = service.find_reaction(uuid.UUID(record_id))
        if found is not None:
            service.bury_reaction(found, found.story, revs)
        return found is not None

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """Reactions to stories this viewer may read (whose they are only for their own)."""
        return service.reaction_changes(viewer, since, limit)


REPLY_KIND = ReplyKind()
REACTION_KIND = ReactionKind()
