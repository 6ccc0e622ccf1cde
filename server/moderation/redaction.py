"""Personal data in a story, as the moderation queue shows it, and a moderator's redaction.

disclosure.py finds the spans (phone numbers, e-mails, addresses, identity numbers, other
members' full names). A moderator of the story's community may replace one with a placeholder
in the reader's terms ("[phone number removed]", in the story's language): in the story, in
every translation and kept conflict that holds the same words. The story and each changed
translation get a new revision, so phones that pulled them receive the edit on their next pull.
The audit log says that a span of a kind was removed, never what it said.
"""
import hashlib
import uuid
from dataclasses import dataclass

from flask_babel import force_locale, gettext
from sqlalchemy import select

from .. import audit, disclosure
from ..accounts.models import Account, Membership
from ..database import write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories.models import Story
from ..stories.service import stored_etag
from ..timeutil import utcnow
from .service import _story_to_moderate

FIELDS = ("title", "body")


def placeholder(kind: str, language: str) -> str:
    """What replaces a span, in the language of the text it stands in."""
    with force_locale((language or "en").replace("-", "_")):
        return {disclosure.PHONE: gettext("[phone number removed]"),
                disclosure.EMAIL: gettext("[e-mail removed]"),
                disclosure.ADDRESS: gettext("[address removed]"),
                disclosure.ID_NUMBER: gettext("[document number removed]"),
                disclosure.NAME: gettext("[name removed]")}[kind]


def kind_labels() -> dict:
    """The kinds as the moderation queue names them, in the moderator's language."""
    return {disclosure.PHONE: gettext("Phone number"), disclosure.EMAIL: gettext("E-mail address"),
            disclosure.ADDRESS: gettext("Street address"), disclosure.ID_NUMBER: gettext("Document number"),
            disclosure.NAME: gettext("Full name of someone in the community")}


def digest(text: str) -> str:
    """Names a span's words in a form without them (the redaction form carries it back)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def member_names(community_id, except_account_id=None) -> list[str]:
    """Full names (two words or more) of the community's members, the author excluded."""
    if community_id is None:
        return []
    rows = db.session.execute(select(Account.id, Account.display_name).join(
        Membership, Membership.account_id == Account.id).where(Membership.community_id == community_id))
    return [name for account_id, name in rows if account_id != except_account_id and len((name or "").split()) >= 2]


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
