"""Translations of stories: adding, replacing, reviewing and removing them, and choosing the one
a reader sees. Shared by the HTML forms and the API; permission checks are in policy.py.

Every change to a published translation gives its story a new server revision (in the same
write transaction, under the revision counter lock), so phones get it on their next pull.
"""
import uuid
from functools import lru_cache

from flask_babel import get_locale
from sqlalchemy import and_, bindparam, exists, or_, select

from .. import audit, limits, policy, records
from ..accounts.models import as_account
from ..database import fetch_rows, write_transaction
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..stories.models import AUTHOR_DISPLAYS, STATUS_WITHDRAWN, Story
from ..stories.service import author_label
from ..timeutil import isoformat, utcnow
from ..userinput import clean_language, clean_text
from .forms import TranslationForm
from .models import TRANSLATION_PENDING, TRANSLATION_PUBLISHED, FeedLanguageCount, StoryTranslation

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
PUBLISH, REJECT = "publish", "reject"


# --- Validation ---------------------------------------------------------------------------

def clean_translation(data, story: Story) -> dict:
    """title, body and translator_display of a translation, validated like a story's."""
    if not isinstance(data, dict):
        raise Problem("bad_request", status=400)
    unknown = set(data) - {"title", "body", "translator_display", "language"}
    if unknown:
        raise Problem("unknown_field", field=sorted(unknown)[0])
    title = clean_text(data.get("title") or "", "title", limits.STORY_TITLE_MAX, multiline=False)
    body = clean_text(data.get("body") or "", "body", limits.STORY_BODY_MAX, multiline=True)
    if not body and story.body:
        raise Problem("missing_field", field="body")
    if not title and not body:
        raise Problem("missing_field", field="title")
    display = data.get("translator_display") or "pseudonym"
    if display not in AUTHOR_DISPLAYS:
        raise Problem("bad_type", field="translator_display")
    return {"title": title, "body": body, "translator_display": display}


def clean_translation_language(value, story: Story) -> str:
    language = clean_language(value)
    if language.lower() == (story.language or "").lower():
        raise Problem("translation_same_language", field="language")
    return language


# --- Reading ------------------------------------------------------------------------------

def translator_label(translation: StoryTranslation) -> str | None:
    """The translator as they chose to be shown; None for anonymous (or a deleted account).

    An author translating their own story is shown at most as the story shows them: naming
    them by their username beside an anonymous (or by name beside a pseudonymous) story would
    undo that choice.
    """
    person = translation.translator
    if translation.translator_display == "anonymous" or person is None:
        return None
    story = translation.story
    if story is not None and translation.translator_id == story.author_id:
        return author_label(story)
    if translation.translator_display == "name":
        return person.shown_name
    return person.username


def published(story) -> list[StoryTranslation]:
    return [t for t in getattr(story, "translations", None) or () if t.status == TRANSLATION_PUBLISHED]


def translations_view(story) -> list[dict]:
    """The published translations as the pull and the API carry them."""
    return [{"language": t.language, "title": t.title, "body": t.body, "translator": translator_label(t),
             "updated_at": isoformat(t.updated_at)} for t in published(story)]


@lru_cache(maxsize=1)
def _translator_table():
    """The accounts table as a translation's translator, made once (an alias builds its columns anew)."""
    from ..accounts.models import Account
    return Account.__table__.alias("translator")


def _plain_views_query(where):
    """Published translations of the stories matching ``where`` (a clause on the stories table),
    with their translators, each with its story's revision (a plain story's key: see below)."""
    table = StoryTranslation.__table__
    person = _translator_table()
    story = Story.__table__
    return (select(story.c.revision, table.c.language, table.c.title, table.c.body, table.c.translator_id,
                   table.c.translator_display, table.c.status, table.c.updated_at, person.c.username,
                   person.c.display_name)
            .select_from(table.join(story, story.c.id == table.c.story_id)
                         .outerjoin(person, person.c.id == table.c.translator_id))
            .where(where, table.c.status == TRANSLATION_PUBLISHED)
            .order_by(table.c.language))


# A page's stories mostly lie in a short range of revisions: that range is two plain
# parameters, where a list of the page's ids is expanded into the statement's text on every run
# (most of the statement's cost, and on PostgreSQL one parameter per story to send). A sparse
# page (a range over _DENSE times as long as the page: the reader sees little of what changed)
# names its revisions instead.
_DENSE = 4


@lru_cache(maxsize=1)
def _in_range_query():
    """Built once (building it cost more than running it), as _named_query()."""
    return _plain_views_query(Story.revision.between(bindparam("low"), bindparam("high")))


@lru_cache(maxsize=1)
def _named_query():
    return _plain_views_query(Story.revision.in_(bindparam("revisions", expanding=True)))


def preload_plain_views(stories: list) -> None:
    """The published translations of a page of plain stories (stories.service.PlainStory: a
    whole row, or the head the pull reads first), in one query, as translations_view() reads
    them (a stories/hooks.py view preload). Matched by revision, which a plain story's head
    holds as it is (its id is the driver's raw value there); so a story changed since its row
    was read (on PostgreSQL each statement reads its own snapshot) gets none of the new state's."""
    from types import SimpleNamespace

    from ..stories.service import PlainPerson
    by_revision = {}
    for story in stories:
        story.translations = []
        by_revision[story.revision] = story
    if not by_revision:
        return
    low, high = min(by_revision), max(by_revision)
    if high - low < _DENSE * len(by_revision):
        query, params = _in_range_query(), {"low": low, "high": high}
    else:
        query, params = _named_query(), {"revisions": list(by_revision)}
    for (revision, language, title, body, translator_id, translator_display, status, updated_at, username,
         display_name) in fetch_rows(db.session.connection(), query, params):
        story = by_revision.get(revision)
        if story is None:  # in the range, not on the page (the reader may not see it)
            continue
        translator = None
        if translator_id is not None and username is not None:
            translator = PlainPerson(id=translator_id, username=username, display_name=display_name)
        story.translations.append(SimpleNamespace(
            language=language, title=title, body=body, translator_id=translator_id,
            translator_display=translator_display, status=status, updated_at=updated_at,
            translator=translator, story=story))


def translators_key(story) -> tuple:
    """What translations_view() reads of a preloaded story that a new revision of the story
    would not tell: the translators' names (a stories/hooks.py view key)."""
    return tuple((t.translator_id, t.translator.username, t.translator.display_name)
                 if t.translator is not None else (t.translator_id,) for t in story.translations)


def add_to_story_view(story, viewer, view: dict) -> None:
    """The story's sync view carries its published translations (a stories/hooks.py view
    extender): a change to one gives the story a new revision."""
    view["translations"] = translations_view(story)


def reader_tag(locale=None) -> str:
    return str(locale or get_locale()).replace("_", "-")


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def same_language(a: str, b: str) -> bool:
    """Whether a reader of ``b`` reads ``a``: the same tag, or the same language ("sr" for "sr-Latn")."""
    return a.lower() == b.lower() or _primary(a) == _primary(b)


def for_reader(story, translations, tag: str | None = None) -> StoryTranslation | None:
    """The published translation to show a reader of ``tag`` (their interface language), or None
    when the story is in that language already or nobody translated it yet."""
    tag = tag or reader_tag()
    if same_language(story.language or "", tag):
        return None
    candidates = [t for t in translations if t.status == TRANSLATION_PUBLISHED]
    exact = [t for t in candidates if t.language.lower() == tag.lower()]
    if exact:
        return exact[0]
    near = [t for t in candidates if _primary(t.language) == _primary(tag)]
    return near[0] if near else None


def for_feed(stories, tag: str | None = None) -> dict:
    """{story id: translation in the reader's language} for one page of the feed, in one query."""
    tag = tag or reader_tag()
    ids = [s.id for s in stories if not same_language(s.language or "", tag)]
    if not ids:
        return {}
    rows = db.session.scalars(select(StoryTranslation).where(
        StoryTranslation.story_id.in_(ids), StoryTranslation.status == TRANSLATION_PUBLISHED,
        or_(StoryTranslation.language == tag, StoryTranslation.language.like(_primary(tag) + "%"))))
    by_story: dict = {}
    for row in rows:
        by_story.setdefault(row.story_id, []).append(row)
    out = {}
    for story in stories:
        chosen = for_reader(story, by_story.get(story.id, []), tag)
        if chosen is not None:
            out[story.id] = chosen
    return out


def language_clause(tag: str):
    """Stories whose original, or a published translation, is in this language."""
    return or_(Story.language == tag, exists(select(StoryTranslation.id).where(
        StoryTranslation.story_id == Story.id, StoryTranslation.language == tag,
        StoryTranslation.status == TRANSLATION_PUBLISHED)))


def feed_languages(viewer) -> list[str]:
    """Languages present among the stories this viewer may read: originals and published translations.

    Read from the counts the database keeps per audience (FeedLanguageCount, migration 0012): a
    few rows per community and language, however many stories there are.
    """
    scopes = []
    for audience, owner in policy.read_scopes(viewer):
        clause = FeedLanguageCount.audience == audience
        scopes.append(clause if owner is None else and_(clause, FeedLanguageCount.owner_id == owner))
    return sorted(set(db.session.scalars(select(FeedLanguageCount.language)
                                         .where(or_(*scopes), FeedLanguageCount.stories > 0).distinct())))


def feed_language(args) -> str | None:
    """The feed's ``?language=`` as a clean tag; None for none (an unknown tag filters nothing
    rather than failing the page)."""
    language = args.get("language") or None
    if language:
        try:
            return clean_language(language)
        except Problem:
            return None
    return None


def feed_filter(viewer, args) -> list:
    """The feed narrowed to ``?language=`` (a stories/hooks.py feed filter): the original or a
    published translation in that language."""
    language = feed_language(args)
    return [language_clause(language)] if language else []


def feed_context(viewer, stories, args) -> dict:
    """The feed page's language menu and, for each story, the translation in the language asked
    for or the reader's (a stories/hooks.py feed context)."""
    language = feed_language(args)
    return {"language": language, "languages": feed_languages(viewer), "translated": for_feed(stories, language)}


def find(story_id, language: str) -> StoryTranslation | None:
    return db.session.scalar(select(StoryTranslation).where(
        StoryTranslation.story_id == story_id, StoryTranslation.language == language))


def _readable_story(actor, story_id) -> Story:
    story = db.session.get(Story, story_id)
    if story is None or not policy.can_view_story(actor, story):
        raise Problem("not_found", status=404)  # never reveal that it exists
    return story


# --- Writing ------------------------------------------------------------------------------

def put(actor, story_id: uuid.UUID, language, data) -> tuple[str, StoryTranslation]:
    """Add or replace the translation of a story into ``language``; (result, translation).

    Published at once when the author or a facilitator of the story's community writes it,
    otherwise pending. Someone else's translation in that language may be replaced only by
    its translator and the story's facilitators (translation_exists otherwise).
    """
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    with write_transaction():
        story = _readable_story(actor, story_id)
        if not policy.can_translate_story(actor, story):
            raise Problem("forbidden", status=403)
        language = clean_translation_language(language, story)
        fields = clean_translation(data, story)
        revs = RevisionBlock(db.session)  # the counter lock serialises writers: no insert race
        translation = find(story.id, language)
        if translation is not None and not policy.can_change_translation(actor, translation, story):
            raise Problem("translation_exists", status=409, field="language")
        result = write(actor, story, language, fields, revs, translation)
        revs.flush()
    return result, translation if translation is not None else find(story.id, language)


def write(actor, story: Story, language: str, fields: dict, revs: RevisionBlock,
          translation: StoryTranslation | None = None, sync_id: uuid.UUID | None = None) -> str:
    """Create (``translation`` None) or replace a translation inside the caller's transaction,
    permissions checked by the caller. The form and the sync (records.py) both come here."""
    status = TRANSLATION_PUBLISHED if policy.translation_publishes_directly(actor, story) else TRANSLATION_PENDING
    now = utcnow()
    if translation is None:
        translation = StoryTranslation(story_id=story.id, language=language, translator_id=actor.id,
                                       status=status, created_at=now, updated_at=now,
                                       sync_id=sync_id or uuid.uuid4(), **fields)
        translation.translator = as_account(actor)
        story.translations.append(translation)
        result = CREATED
        was_published = False
    else:
        same = (all(getattr(translation, k) == v for k, v in fields.items())
                and translation.translator_id == actor.id and translation.status == status)
        if same:
            return UNCHANGED
        was_published = translation.status == TRANSLATION_PUBLISHED
        for key, value in fields.items():
            setattr(translation, key, value)
        translation.translator_id = actor.id
        translation.translator = as_account(actor)
        translation.status = status
        translation.updated_at = now
        result = UPDATED
    translation.revision = revs.next()  # its own pull (kind "translation") brings it
    if was_published or status == TRANSLATION_PUBLISHED:
        story.revision = revs.next()  # and the story's, which carries its published translations
    audit.record("translation.add" if result == CREATED else "translation.update", actor,
                 story_id=story.id, community_id=story.community_id, language=language, status=status)
    db.session.flush()
    return result


def bury(translation: StoryTranslation, story: Story, revs: RevisionBlock) -> None:
    """Delete a translation for real, leaving a tombstone for the phones that hold it: those
    who could read it (the story's audience if it was published, else its facilitators) and
    its translator."""
    audience = story.visibility if translation.status == TRANSLATION_PUBLISHED else "facilitators"
    records.bury("translation", translation.sync_id, revs, community_id=story.community_id,
                 owner_id=translation.translator_id, audience=audience)
    if translation in story.translations:
        story.translations.remove(translation)


def remove(actor, story_id: uuid.UUID, language) -> None:
    """Delete a translation (its translator or the story's facilitators)."""
    if not policy.signed_in(actor):
        raise Problem("unauthorized", status=401)
    with write_transaction():
        story = _readable_story(actor, story_id)
        translation = find(story.id, clean_language(language))
        if translation is None:
            raise Problem("not_found", status=404)
        if not policy.can_change_translation(actor, translation, story):
            raise Problem("forbidden", status=403)
        revs = RevisionBlock(db.session)
        if translation.status == TRANSLATION_PUBLISHED:
            story.revision = revs.next()
        audit.record("translation.remove", actor, story_id=story.id, community_id=story.community_id,
                     language=translation.language)
        bury(translation, story, revs)
        db.session.flush()
        revs.flush()


def review(actor, translation_id: int, action: str) -> StoryTranslation | None:
    """Publish a waiting translation, or reject it (a rejected translation is deleted, which
    frees its language for another translator). Repeating a publish changes nothing."""
    if action not in (PUBLISH, REJECT):
        raise Problem("bad_action", field="action")
    with write_transaction():
        translation = db.session.get(StoryTranslation, translation_id)
        if translation is None:
            raise Problem("not_found", status=404)
        story = translation.story
        if not policy.can_review_translation(actor, story):
            raise Problem("forbidden", status=403)
        revs = RevisionBlock(db.session)
        before = translation.status
        if action == PUBLISH:
            if before == TRANSLATION_PUBLISHED:
                return translation
            translation.status = TRANSLATION_PUBLISHED
            translation.updated_at = utcnow()
            translation.revision = revs.next()
            story.revision = revs.next()
        else:
            if before == TRANSLATION_PUBLISHED:
                story.revision = revs.next()
            bury(translation, story, revs)
        audit.record(f"translation.{action}", actor, story_id=story.id, community_id=story.community_id,
                     language=translation.language, **{"from": before})
        db.session.flush()
        revs.flush()
    return translation if action == PUBLISH else None


def review_queue(viewer, community_id: int | None = None) -> list[StoryTranslation]:
    """Waiting translations of stories in the communities this viewer reviews, oldest first."""
    ids = policy.managed_community_ids(viewer)
    query = (select(StoryTranslation).join(Story, Story.id == StoryTranslation.story_id)
             .where(StoryTranslation.status == TRANSLATION_PENDING, Story.status != STATUS_WITHDRAWN))
    if community_id is not None:
        if ids is not None and community_id not in ids:
            return []
        query = query.where(Story.community_id == community_id)
    elif ids is not None:
        if not ids:
            return []
        query = query.where(Story.community_id.in_(ids))
    return list(db.session.scalars(query.order_by(StoryTranslation.created_at, StoryTranslation.id)))


def delete_with_story(actor, story: Story, revs: RevisionBlock) -> None:
    """People's translations of a story go with its content (a stories/hooks.py withdrawal
    hook), each leaving a tombstone for the phones that hold it."""
    for translation in list(story.translations):
        bury(translation, story, revs)  # delete-orphan: deleted at the next flush


# --- A person's data ----------------------------------------------------------------------

def made_by(person) -> list[dict]:
    """The translations this person made, for their data download."""
    rows = db.session.scalars(select(StoryTranslation).where(StoryTranslation.translator_id == person.id)
                              .order_by(StoryTranslation.created_at, StoryTranslation.id))
    return [{"story": str(t.story_id), "language": t.language, "title": t.title, "body": t.body,
             "translator_display": t.translator_display, "status": t.status,
             "created_at": isoformat(t.created_at), "updated_at": isoformat(t.updated_at)} for t in rows]


def forget_translator(person, delete: bool, revs: RevisionBlock) -> None:
    """On account deletion: delete the person's translations, or keep them anonymous (as they
    chose for their stories). Stories whose published translations change get a new revision."""
    rows = list(db.session.scalars(select(StoryTranslation).where(StoryTranslation.translator_id == person.id)))
    for translation in rows:
        story = translation.story
        if translation.status == TRANSLATION_PUBLISHED and story.revision is not None:
            story.revision = revs.next()
        if delete:
            bury(translation, story, revs)
        else:
            translation.revision = revs.next()
            translation.translator_id = None
            translation.translator = None
            translation.translator_display = "anonymous"
    db.session.flush()


# --- The story page -----------------------------------------------------------------------

def story_page(viewer, story, args) -> dict:
    """What the story page shows about translations: the one in the reader's language (unless
    they asked for the original or another language), the others, and the form to add one."""
    everything = list(story.translations)
    shown_ones = [t for t in everything if t.status == TRANSLATION_PUBLISHED]
    chosen = None
    if not args.get("original"):
        asked = args.get("translation")
        if asked:
            chosen = next((t for t in shown_ones if t.language.lower() == asked.lower()), None)
        if chosen is None:
            chosen = for_reader(story, shown_ones)
    own_waiting = [t for t in everything if t.status == TRANSLATION_PENDING and policy.signed_in(viewer)
                   and t.translator_id == viewer.id]
    form = None
    if policy.can_translate_story(viewer, story):
        form = TranslationForm(formdata=None)
        tag = reader_tag()
        codes = [c[0] if isinstance(c, tuple) else c.value for c in form.language.choices]
        default = next((c for c in codes if same_language(c, tag) and not same_language(c, story.language)), None)
        if default is None:
            default = next((c for c in codes if not same_language(c, story.language)), "")
        form.language.data = default
    return {"translation": chosen, "translations": shown_ones, "own_waiting_translations": own_waiting,
            "translation_form": form,
            "can_change_translation": bool(chosen and policy.can_change_translation(viewer, chosen, story))}
