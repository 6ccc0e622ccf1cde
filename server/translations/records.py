"""People's translations of stories as a record kind of the sync (kultialogo.records).

A phone can write a translation offline and send it with its other records. The id is the
translation's ``sync_id``, made by the phone (or printed on the form when it edits one). The
rules are those of the form (service.put): who may translate, who publishes at once, and a
language slot that belongs to one translation per story.
"""
import uuid

from sqlalchemy import and_, or_, select

from .. import limits, policy, records
from ..errors import Problem
from ..extensions import db
from ..stories.models import Story
from ..stories.service import content_etag
from ..userinput import clean_language
from . import replication, service
from .replication import etag
from .models import TRANSLATION_PUBLISHED, StoryTranslation

NAME = "translation"
# What a pushed translation holds, and the server's fields a phone may send back as they came.
CONTENT_KEYS = ("story", "language", "title", "body", "translator_display")
SERVER_KEYS = ("id", "type", "translator", "status", "revision", "etag")


def view(translation: StoryTranslation) -> dict:
    return {"type": NAME, "id": str(translation.sync_id), "story": str(translation.story_id),
            "language": translation.language, "title": translation.title, "body": translation.body,
            "translator_display": translation.translator_display,
            "translator": service.translator_label(translation), "status": translation.status,
            "revision": translation.revision, "etag": f'"{etag(translation)}"'}


class TranslationBatch(records.SavepointBatch):
    def __init__(self, kind, actor, revs):
        super().__init__(kind, actor, revs)
        self.replicated: list[tuple[records.Item, records.Result]] = []

    def _apply(self, item) -> records.Result:
        if item.op == records.REPLICATE:  # a camp node's replica, or on a node central's
            result = records.Result(replication.apply(self.actor, item.id, item.parsed, self.revs))
            self.replicated.append((item, result))
            return result
        actor = self.actor
        found = db.session.scalar(select(StoryTranslation).where(StoryTranslation.sync_id == item.id))
        if item.op == records.DELETE:
            if found is None:
                return records.Result(records.UNCHANGED, records.tombstone_view(NAME, item.id, 0))
            story = found.story
            if not policy.can_change_translation(actor, found, story):
                raise Problem("forbidden", status=403, field="id")
            if found.status == TRANSLATION_PUBLISHED:
                story.revision = self.revs.next()
            service.bury(found, story, self.revs)
            db.session.flush()
            return records.Result(records.UPDATED, records.tombstone_view(NAME, item.id, story.revision))
        data = item.parsed
        story = db.session.get(Story, data["story"])
        if story is None or not policy.can_view_story(actor, story):
            raise Problem("not_found", status=404, field="story")  # never reveal that it exists
        if not policy.can_translate_story(actor, story):
            raise Problem("forbidden", status=403, field="story")
        language = service.clean_translation_language(data["language"], story)
        fields = service.clean_translation({k: data.get(k) for k in ("title", "body", "translator_display")}, story)
        if found is not None:
            if found.story_id != story.id or found.language != language:
                raise Problem("id_mismatch", field="id")  # one id, one story and language
            proposed = content_etag({"story": str(story.id), "language": language, **fields})
            if proposed == etag(found):
                return records.Result(records.UNCHANGED, view(found))  # a replay
            if not policy.can_change_translation(actor, found, story):
                raise Problem("forbidden", status=403, field="id")
            if records.strip_etag(item.base_etag) != etag(found):
                return records.Result(records.CONFLICT, view(found))  # changed elsewhere: nothing changed here
            result = service.write(actor, story, language, fields, self.revs, found)
            return records.Result(result, view(found))
        if records.is_buried(NAME, item.id):
            raise Problem("deleted", status=409, field="id")  # a late replay must not bring it back
        other = service.find(story.id, language)
        if other is not None:  # the language slot is taken by another translation
            shown = view(other) if _may_pull(actor, other) else None
            return records.Result(records.CONFLICT, shown,
                                  Problem("translation_exists", status=409, field="language"))
        service.write(actor, story, language, fields, self.revs, sync_id=item.id)
        created = service.find(story.id, language)
        return records.Result(records.CREATED, view(created))

    def finish(self) -> None:
        # A peer's answer is each translation as it now stands here, whole: it applies that in turn.
        stand = replication.as_they_stand([item.id for item, _result in self.replicated])
        for item, result in self.replicated:
            result.record = stand[str(item.id)]


def _may_pull(viewer, translation) -> bool:
    if policy.signed_in(viewer) and translation.translator_id == viewer.id:
        return True
    return translation.status == TRANSLATION_PUBLISHED and policy.can_read_in_feed(viewer, translation.story)


_TEXT = {"title": {"type": "string", "maxLength": limits.STORY_TITLE_MAX},
         "body": {"type": "string", "maxLength": limits.STORY_BODY_MAX}}
_DATA = {"story": {"type": "string", "format": "uuid"},
         "language": {"type": "string", "description": "BCP 47 tag, never the story's own language"},
         **_TEXT, "translator_display": {"type": "string", "enum": ["pseudonym", "name", "anonymous"]}}


class TranslationKind(records.Kind):
    name = NAME
    ops = (records.UPSERT, records.DELETE, records.REPLICATE)
    replicated = True
    data_keys = frozenset(CONTENT_KEYS + SERVER_KEYS)
    data_schema = {"type": "object", "required": ["story", "language", "title", "body"], "properties": _DATA}
    view_schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": [NAME]}, "id": {"type": "string", "format": "uuid"}, **_DATA,
        "translator": {"type": "string", "nullable": True}, "status": {"type": "string", "enum": ["published", "pending"]},
        "revision": {"type": "integer"}, "etag": {"type": "string"}}}

    def parse(self, item: records.Item):
        if item.op == records.REPLICATE:
            return replication.parse(records.data_of(item))
        data = super().parse(item)
        if data is None:
            return None
        for key in ("story", "language"):
            if data.get(key) is None:
                raise Problem("missing_field", field=key)
        return {**data, "story": records.parse_uuid(data["story"], "story"),
                "language": clean_language(data["language"])}

    def batch(self, actor, revs) -> TranslationBatch:
        return TranslationBatch(self, actor, revs)

    def bury_again(self, record_id: str, revs) -> bool:
        found = db.session.scalar(select(StoryTranslation).where(StoryTranslation.sync_id == uuid.UUID(record_id)))
        if found is None:
            return False
        story = found.story
        if found.status == TRANSLATION_PUBLISHED:  # the story's view lists its translations
            story.revision = revs.next()
        service.bury(found, story, revs)
        db.session.flush()
        return True

    def replicas(self, peer, since: int, limit: int) -> list[tuple[int, dict]]:
        return replication.replicas(peer, since, limit)

    def base_of(self, replica: dict) -> dict:
        return replication.base_of(replica)

    def changes(self, viewer, since: int, limit: int) -> list[tuple[int, dict]]:
        """Published translations of stories this viewer may read, and their own (any status)."""
        visible = and_(StoryTranslation.status == TRANSLATION_PUBLISHED, policy.readable_stories_clause(viewer))
        if policy.signed_in(viewer):
            visible = or_(visible, StoryTranslation.translator_id == viewer.id)
        rows = db.session.scalars(
            select(StoryTranslation).join(Story, Story.id == StoryTranslation.story_id)
            .where(StoryTranslation.revision > since, visible)
            .order_by(StoryTranslation.revision).limit(limit))
        out = [(t.revision, view(t)) for t in rows]
        out += records.tombstones(NAME, since, limit, policy.tombstone_clause(viewer, records.Tombstone))
        return sorted(out, key=lambda change: change[0])[:limit]


KIND = TranslationKind()
