"""Personal data in a story or a reply, as the moderation queue shows it, and a moderator's
redaction.

disclosure.py finds the spans (phone numbers, e-mails, addresses, identity numbers, other
members' full names). A moderator of the story's community may replace one with a placeholder
in the reader's terms ("[phone number removed]", in the story's language): in the story, in
every translation and kept conflict that holds the same words. The story and each changed
translation get a new revision, so phones that pulled them receive the edit on their next pull.
A waiting reply is shown and redacted the same way (a reply has no translations; its text
takes the placeholder in its story's language, the language the reply answers in).
The audit log says that a span of a kind was removed, never what it said.
"""
import uuid
from dataclasses import dataclass

from .. import audit, disclosure, policy
from ..accounts.models import member_names
from ..disclosure import placeholder
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..replies import service as replies
from ..replies.models import Reply
from ..revisions import RevisionBlock
from ..stories.models import Story
from ..stories.service import stored_etag
from ..timeutil import utcnow
from .service import _story_to_moderate

FIELDS = ("title", "body")


kind_labels = disclosure.kind_labels
digest = disclosure.digest  # names a span's words in a form without them


@dataclass
class Found:
    field: str
    span: disclosure.Span

    @property
    def digest(self) -> str:
        return digest(self.span.text)


def found_in(story: Story) -> list[Found]:
    """The spans of personal data in the story's title and text, for the moderation queue."""
    names = member_names(story.community_id, story.author_id)
    return [Found(field, span) for field in FIELDS
            for span in disclosure.find(getattr(story, field) or "", story.language, names)]


def pieces(story: Story, field: str, found: list[Found]):
    return disclosure.pieces(getattr(story, field) or "", [f.span for f in found if f.field == field])


def found_in_reply(reply: Reply) -> list[Found]:
    """The spans of personal data in a reply's text (its story's language and community)."""
    story = reply.story
    names = member_names(story.community_id, reply.author_id)
    return [Found("body", span) for span in disclosure.find(reply.body or "", story.language, names)]


def redact_reply(actor, reply_id: uuid.UUID, start: int, end: int, kind: str, span_digest: str) -> Reply:
    """Replace one span of a reply's text, as redact() does for a story: the span must still be
    where the moderator saw it (409 stale_span otherwise); the reply gets a new revision, so
    phones that pulled it receive the edit."""
    if kind not in disclosure.KINDS:
        raise Problem("bad_span", status=400)
    with write_transaction():
        reply = replies.find_reply(reply_id)
        if reply is None or not policy.can_see_reply(actor, reply, reply.story):
            raise Problem("not_found", status=404)
        if not policy.can_moderate_reply(actor, reply.story):
            raise Problem("forbidden", status=403)
        text = reply.body or ""
        if not (0 <= start < end <= len(text)) or digest(text[start:end]) != span_digest:
            raise Problem("stale_span", status=409)
        revs = RevisionBlock(db.session)
        reply.body = text[:start] + placeholder(kind, reply.story.language) + text[end:]
        reply.updated_at = utcnow()
        reply.revision = revs.next()
        audit.record("reply.redact", actor, story_id=reply.story_id, community_id=reply.story.community_id,
                     kind=kind)
        revs.flush()
    return reply


def redact(actor, story_id: uuid.UUID, field: str, start: int, end: int, kind: str, span_digest: str) -> Story:
    """Replace one span of the story's ``field`` (and the same words wherever its translations
    and kept conflicts hold them). The span must still be where the moderator saw it:
    ``span_digest`` is its words' digest(); otherwise 409 stale_span and nothing changes."""
    if field not in FIELDS or kind not in disclosure.KINDS:
        raise Problem("bad_span", status=400)
    with write_transaction():
        story = _story_to_moderate(actor, story_id)
        text = getattr(story, field) or ""
        if not (0 <= start < end <= len(text)) or digest(text[start:end]) != span_digest:
            raise Problem("stale_span", status=409)
        words = text[start:end]
        revs = RevisionBlock(db.session)
        setattr(story, field, text[:start] + placeholder(kind, story.language) + text[end:])
        story.etag = stored_etag(story)
        story.updated_at = utcnow()
        story.revision = revs.next()
        changed = 0
        for translation in story.translations:
            hit = False
            for name in FIELDS:
                value = getattr(translation, name) or ""
                if words in value:
                    setattr(translation, name, value.replace(words, placeholder(kind, translation.language)))
                    hit = True
            if hit:
                translation.updated_at = utcnow()
                translation.revision = revs.next()
                changed += 1
        for conflict in story.conflicts:  # versions kept for the author hold the words too
            content = dict(conflict.content)
            for name in FIELDS:
                if isinstance(content.get(name), str) and words in content[name]:
                    content[name] = content[name].replace(words, placeholder(kind, story.language))
            conflict.content = content
        audit.record("story.redact", actor, story_id=story.id, community_id=story.community_id,
                     kind=kind, field=field, translations=changed)
        revs.flush()
    return story
