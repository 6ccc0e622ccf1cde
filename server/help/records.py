"""Help requests and their messages as record kinds of the sync (kultialogo.records).

A phone writes them offline and sends them with its other records; the ids are made by the
phone. The rules are the pages' (service.py): who may ask, on whose behalf, who answers, one
budget per person. A request or message is never edited: the same id again is "unchanged" with
the same content, "conflict" with other content. Claiming and closing are done on the pages.
Pulled only by the asker and the community's mediators and coaches: nobody else ever gets one,
not even its tombstone. Both replicate between a camp node and central (replication.py).
"""
import re

from sqlalchemy import select

from .. import attachments, limits, policy, records
from ..accounts.models import Account
from ..communities.models import Community
from ..errors import Problem
from ..extensions import db
from . import replication, service
from .models import CONSENT_KINDS, OUTCOMES, STATES, TOPICS

REQUEST = "help_request"
MESSAGE = "help_message"
REQUEST_SERVER_KEYS = ("id", "type", "state", "outcome", "asker", "claimed_by", "created_at",
                       "first_answer_at", "closed_at", "revision")
MESSAGE_SERVER_KEYS = ("id", "type", "author", "from_asker", "created_at", "revision")
# Asked or answered by voice: at most one recording's SHA-256 (lowercase hex), uploaded first.
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEDIA = {"type": "array", "maxItems": 1, "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


def _media(data) -> list[str]:
    media = data.get("media")
    if media is None:
        return []
    if not isinstance(media, list) or len(media) > 1 or not all(isinstance(h, str) and _SHA256.match(h) for h in media):
        raise Problem("bad_type", field="media")
    return list(media)


def _missing(actor, media) -> records.Result | None:
    """A recording is uploaded first, over tus, by the pusher, as a recording (a hash alone never
    attaches someone else's file): until then the answer is media_missing, as for a reply."""
    missing = attachments.missing(actor, media)
    return records.Result(records.MEDIA_MISSING, missing_media=missing) if missing else None


class _ReplicatingBatch(records.SavepointBatch):
    """Answers a peer's replicas with each record as it now stands here, whole."""

    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self.replicated: list[tuple[records.Item, records.Result]] = []

    def _replicate(self, item, apply) -> records.Result:
        result = records.Result(apply(self.actor, item.id, item.parsed, self.revs))
        self.replicated.append((item, result))
        return result

    def finish(self) -> None:
        stand = replication.as_they_stand(self.kind.name, [item.id for item, _result in self.replicated])
        for item, result in self.replicated:
            result.record = stand[str(item.id)]


class RequestBatch(_ReplicatingBatch):
    def _apply(self, item) -> records.Result:
        if item.op == records.REPLICATE:  # a camp node's, or on a node central's
            return self._replicate(item, replication.apply_request)
        data = item.parsed
        community = db.session.scalar(select(Community).where(Community.slug == data["community"]))
        if community is None:
            raise Problem("unknown_community", field="community")
        asker = None
        if data["on_behalf_of"] is not None:
            asker = db.session.scalar(select(Account).where(Account.uid == data["on_behalf_of"]))
            if asker is None:
                raise Problem("no_such_account", status=404, field="on_behalf_of")
        if records.is_buried(REQUEST, item.id):
            raise Problem("deleted", status=409, field="id")  # its asker's account was deleted
        if (missing := _missing(self.actor, data["media"])) is not None:
            return missing
        outcome = service.ask(self.actor, community.id, data["topic"], data["language"], data["body"], self.revs,
                              sync_id=item.id, asker=asker, consent_kind=data["consent_kind"], media=data["media"])
        shown = service.request_view(outcome.request) if policy.can_see_help_request(self.actor, outcome.request) else None
        return records.Result(outcome.result, shown)


class MessageBatch(_ReplicatingBatch):
    def _apply(self, item) -> records.Result:
        if item.op == records.REPLICATE:
            return self._replicate(item, replication.apply_message)
        request_id, body, media = item.parsed
        found = service.find(request_id)
        if found is None or not policy.can_see_help_request(self.actor, found):
            raise Problem("not_found", status=404, field="request")  # never reveal that it exists
        if records.is_buried(MESSAGE, item.id):
            raise Problem("deleted", status=409, field="id")
        if (missing := _missing(self.actor, media)) is not None:
            return missing
        outcome = service.answer(self.actor, found, body, self.revs, sync_id=item.id, media=media)
        return records.Result(outcome.result, service.message_view(outcome.message))


_REQUEST_DATA = {
    "community": {"type": "string", "description": "the community's short name"},
    "topic": {"type": "string", "enum": list(TOPICS)},
    "language": {"type": "string", "description": "BCP 47 tag"},
    "body": {"type": "string", "maxLength": limits.HELP_BODY_MAX},
    "on_behalf_of": {"type": "string", "format": "uuid", "nullable": True,
                     "description": "a facilitator opening it for a member: that person's uid"},
    "consent": {"type": "object", "properties": {"kind": {"type": "string", "enum": list(CONSENT_KINDS)}}},
    "media": _MEDIA,
}
_MESSAGE_DATA = {"request": {"type": "string", "format": "uuid"},
                 "body": {"type": "string", "maxLength": limits.HELP_MESSAGE_MAX}, "media": _MEDIA}


class HelpRequestKind(records.Kind):
    name = REQUEST
    ops = (records.UPSERT, records.REPLICATE)  # closed on the pages, never deleted but with the asker's account
    replicated = True
    data_keys = frozenset(tuple(_REQUEST_DATA) + REQUEST_SERVER_KEYS)
    data_schema = {"type": "object", "required": ["community", "topic", "language", "body"],
                   "properties": _REQUEST_DATA}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [REQUEST]}, "id": {"type": "string", "format": "uuid"},
        **{k: v for k, v in _REQUEST_DATA.items() if k != "on_behalf_of"},
        "state": {"type": "string", "enum": list(STATES)},
        "outcome": {"type": "string", "enum": list(OUTCOMES), "nullable": True},
        "asker": {"type": "string", "nullable": True}, "claimed_by": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "first_answer_at": {"type": "string", "format": "date-time", "nullable": True},
        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
        "revision": {"type": "integer"}}}

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse_request(records.data_of(item))
        data = super().parse(item)
        if data.get("community") is None:
            raise Problem("missing_field", field="community")
        if not isinstance(data["community"], str):
            raise Problem("bad_type", field="community")
        media = _media(data)
        topic, language, body = service.clean_request(data.get("topic"), data.get("language"), data.get("body"),
                                                      bool(media))
        behalf = data.get("on_behalf_of")
        consent = data.get("consent") or {}
        if not isinstance(consent, dict):
            raise Problem("bad_type", field="consent")
        kind = consent.get("kind", "self")
        if behalf is not None:
            behalf = records.parse_uuid(behalf, "on_behalf_of")
        elif kind != "self":
            raise Problem("bad_consent", field="consent.kind")
        return {"community": data["community"], "topic": topic, "language": language, "body": body,
                "on_behalf_of": behalf, "consent_kind": kind, "media": media}

    def batch(self, actor, revs) -> RequestBatch:
        return RequestBatch(self, actor, revs)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """The viewer's own requests, and those of the communities they help in."""
        return service.request_changes(viewer, since, limit)

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.request_replicas(peer, since, limit)


class HelpMessageKind(records.Kind):
    name = MESSAGE
    ops = (records.UPSERT, records.REPLICATE)
    replicated = True
    data_keys = frozenset(tuple(_MESSAGE_DATA) + MESSAGE_SERVER_KEYS)
    data_schema = {"type": "object", "required": ["request", "body"], "properties": _MESSAGE_DATA}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [MESSAGE]}, "id": {"type": "string", "format": "uuid"}, **_MESSAGE_DATA,
        "author": {"type": "string", "nullable": True}, "from_asker": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"}, "revision": {"type": "integer"}}}

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse_message(records.data_of(item))
        data = super().parse(item)
        if data.get("request") is None:
            raise Problem("missing_field", field="request")
        media = _media(data)
        return (records.parse_uuid(data["request"], "request"), service.clean_message(data.get("body"), bool(media)),
                media)

    def batch(self, actor, revs) -> MessageBatch:
        return MessageBatch(self, actor, revs)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """The messages in requests the viewer may see (their own, and those they help with)."""
        return service.message_changes(viewer, since, limit)

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.message_replicas(peer, since, limit)


REQUEST_KIND = HelpRequestKind()
MESSAGE_KIND = HelpMessageKind()
