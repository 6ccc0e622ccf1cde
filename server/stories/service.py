"""Story logic shared by the sync API and the HTML forms: one code path for both."""
import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Date, Integer, Select, String, bindparam, or_, select, text, type_coerce, union_all
from sqlalchemy.exc import DBAPIError, IntegrityError

from .. import audit, json_encoding, policy, records
from ..communities.models import Community
from ..database import (fetch_rows, forget_traces, insert_in_savepoint, insert_many_in_savepoint, select_keys,
                        write_transaction)
from ..errors import Problem
from ..extensions import db
from ..revisions import RevisionBlock
from ..timeutil import as_utc, isoformat, utcnow
from . import hooks
from .models import (COUNT_DIMENSIONS, STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED, STATUS_WITHDRAWN, Story,
                     StoryConflict)
from .schema import StoryContent, parse_time

# Push results (contract names).
CREATED, UPDATED, UNCHANGED, CONFLICT, REJECTED, MEDIA_MISSING = (
    "created", "updated", "unchanged", "conflict", "rejected", "media_missing")
ACKNOWLEDGED = (CREATED, UPDATED, UNCHANGED)


# ``existing=LOOKUP``: the caller has not looked the id up; ``None``: it looked and found nothing.
LOOKUP = object()


@dataclass
class Outcome:
    result: str
    story: Story | None = None
    problem: Problem | None = None
    missing_media: tuple[str, ...] = ()


def content_etag(content: dict) -> str:
    """Hash of the author-owned fields: equal content, equal etag, whatever the revision."""
    return hashlib.sha256(json_encoding.canonical(content)).hexdigest()[:32]


def etag_of(content: StoryContent) -> str:
    """content_etag() of validated content, computed once per content (the push computes it
    when it parses an item, before it takes the write lock)."""
    etag = content.__dict__.get("_etag")
    if etag is None:
        etag = content_etag(content.as_dict())
        object.__setattr__(content, "_etag", etag)  # frozen dataclass; not a field, so not compared
    return etag


def story_content(story: Story) -> dict:
    return {
        "title": story.title, "body": story.body, "language": story.language,
        "community": story.community.slug if story.community else None,
        "visibility": story.visibility, "author_display": story.author_display,
        "consent": {"kind": story.consent_kind, "recorded_by": story.consent_recorded_by,
                    "at": story.consent_at.strftime("%Y-%m-%dT%H:%M:%SZ") if story.consent_at else None,
                    "guardian": bool(story.consent_guardian)},
        "media": list(story.media or []),
        "place": story.place or "", "about_minor": bool(story.about_minor),
        "event": story.event_id,
    }


def author_label(story: Story) -> str | None:
    """The author as the story chose to show them; None for anonymous."""
    if story.author_display == "anonymous" or story.author is None:
        return None
    if story.author_display == "name":
        return story.author.shown_name
    return story.author.username


def tombstone(story: Story) -> dict:
    return {"id": str(story.id), "deleted": True, "revision": story.revision}


def story_view(story: Story, viewer=None) -> dict:
    """The server view of a story, as the contract exchanges it."""
    view = {"id": str(story.id), **story_content(story), "author": author_label(story),
            "created_at": isoformat(story.created_at), "status": story.status,
            "revision": story.revision, "received_at": isoformat(story.received_at),
            "etag": f'"{story.etag}"'}
    if not policy.can_see_consent(viewer, story):
        # Who recorded the consent, and when, is for the author and moderators only.
        view["consent"] = {**view["consent"], "recorded_by": None, "at": None}
    # What the domains built on stories add (hooks.py): the moderation reason for the author,
    # people's published translations.
    hooks.extend_view(story, viewer, view)
    if policy.is_author(viewer, story):
        view["conflicts"] = [
            {"etag": f'"{c.etag}"', **c.content, "received_at": isoformat(c.received_at)}
            for c in story.conflicts]
    return view


class _ReaderViews:
    """The views of stories as a reader who is neither their author nor their moderator sees
    them, kept by story id, revision and everything else they read that may change while the
    revision stays (the author's names, the community's slug, hooks.view_key()): most of a
    pull's page is the same few hundred recent stories for everyone. Bounded (least recently
    used go first); a view handed out is shared, so it is never changed after (a
    records.KeptView: its typed twin and JSON text are made once, beside it)."""

    def __init__(self, size: int):
        self.size = size
        self._views: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
            return view

    def put(self, key, view: dict) -> records.KeptView:
        """Keep the view; returns it as kept (shared from now on)."""
        kept = records.KeptView(view)
        with self._lock:
            self._views[key] = kept
            if len(self._views) > self.size:
                self._views.popitem(last=False)
        return kept



READER_VIEWS_SIZE = 4096  # views of about a kilobyte: a few megabytes per process


def reader_views() -> _ReaderViews:
    """This app's kept reader views (a test process makes many apps, each over its own database)."""
    views = current_app.extensions.get("kultialogo_reader_views")
    if views is None:
        views = current_app.extensions["kultialogo_reader_views"] = _ReaderViews(READER_VIEWS_SIZE)
    return views


def reader_view(story, viewer, views: _ReaderViews | None = None) -> dict:
    """story_view() of a preloaded plain story (the pull's page), kept for readers who are
    neither its author nor its moderator: what the author (conflicts, the moderation reason)
    and moderators (the consent record) see is never kept. The key holds the content's etag
    and the time of the change beside the revision, so a database restored under a running
    server cannot give an old view a revision number it reuses."""
    if policy.can_see_consent(viewer, story):
        return story_view(story, viewer)
    author = story.author
    key = (story.id, story.revision, story.etag, story.updated_at,
           (author.username, author.display_name) if author is not None else None,
           story.community.slug if story.community is not None else None, hooks.view_key(story))
    views = views or reader_views()
    view = views.get(key)
    if view is None:
        view = views.put(key, story_view(story, viewer))
    return view


class PlainPerson(SimpleNamespace):
    """An account as a story's view names it (username, display name), read as plain values."""

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class PlainStory(SimpleNamespace):
    """A story read as one row of plain values (a Core select), not an ORM object: what
    story_view(), tombstone() and policy's checks read, at a fraction of the ORM's cost (the
    pull's page). ``community`` and ``author`` are plain too; ``conflicts`` is filled for the
    viewer's own stories, and what the domains' view extenders read, by hooks.preload_views().
    """


@lru_cache(maxsize=1)
def _story_columns() -> tuple:
    """(attribute name, column) of every mapped Story column, in one fixed order."""
    return tuple((attr.key, attr.columns[0]) for attr in Story.__mapper__.column_attrs)


@lru_cache(maxsize=1)
def _author_table():
    """The accounts table as the story's author, made once (an alias builds its columns anew)."""
    from ..accounts.models import Account  # the story core's own dependency, as in the models
    return Account.__table__.alias("story_author")


def plain_stories_query(where):
    """The select plain_stories() runs for ``where`` (a clause on Story), its limit a bind
    parameter: a caller may keep it and run it again with other parameters (building it costs
    more than running it)."""
    author = _author_table()
    community = Community.__table__
    story = Story.__table__
    return (select(*(column for _key, column in _story_columns()), author.c.username, author.c.display_name,
                   community.c.slug)
            .select_from(story.outerjoin(author, author.c.id == story.c.author_id)
                         .outerjoin(community, community.c.id == story.c.community_id))
            .where(where).order_by(story.c.revision).limit(bindparam("plain_limit", type_=Integer)))


def plain_stories(where, limit: int, *, conflicts_of=None, params: dict | None = None) -> list[PlainStory]:
    """The first ``limit`` stories matching ``where`` (a clause on Story, or a select made by
    plain_stories_query() with its bind parameters in ``params``), oldest revision first, as
    PlainStory, with their community and author; the conflicts of the stories whose author is
    ``conflicts_of`` (an account, or None for none). Two queries at most."""
    columns = _story_columns()
    query = where if isinstance(where, Select) else plain_stories_query(where)
    keys = [key for key, _column in columns]
    width = len(keys)
    communities: dict = {}
    out = []
    for row in fetch_rows(db.session.connection(), query, {**(params or {}), "plain_limit": limit}):
        story = PlainStory(conflicts=[])
        values = story.__dict__
        values.update(zip(keys, row))  # the story's columns; the joined three follow them
        username, display_name, slug = row[width:]
        community_id = values["community_id"]
        place = None
        if community_id is not None and slug is not None:
            place = communities.get(community_id)
            if place is None:
                place = communities[community_id] = SimpleNamespace(id=community_id, slug=slug)
        person = None
        if values["author_id"] is not None and username is not None:
            person = PlainPerson(id=values["author_id"], username=username, display_name=display_name)
        story.community, story.author = place, person
        out.append(story)
    if conflicts_of is not None:
        own = {item.id: item for item in out if item.author_id == conflicts_of.id}
        if own:
            conflict = StoryConflict.__table__
            for story_id, etag, content, received_at in db.session.execute(
                    select(conflict.c.story_id, conflict.c.etag, conflict.c.content, conflict.c.received_at)
                    .where(conflict.c.story_id.in_(list(own))).order_by(conflict.c.id)):
                own[story_id].conflicts.append(SimpleNamespace(etag=etag, content=content, received_at=received_at))
    return out


# --- The pull's page ------------------------------------------------------------------------
# Most of a pull's page is the same few hundred recent stories, their views kept (reader_view).
# So the page first reads each story's head: what policy's checks and the kept view's key read,
# raw (on SQLite, converting the id, the JSON media and five dates of every row was most of
# reading it; on PostgreSQL the driver parses a third of the columns). Whole rows are read only
# for the views that must be built.

@lru_cache(maxsize=1)
def _head_columns() -> tuple:
    story = Story.__table__
    raw = (story.c.id, story.c.updated_at)  # the driver's values: a key's parts (a tombstone's id: _id_text)
    return (*(type_coerce(column, String).label(column.key) for column in raw), story.c.revision, story.c.status,
            story.c.author_id, story.c.community_id, story.c.visibility, story.c.etag)


def story_heads_query(where):
    """As plain_stories_query(), the heads of the stories matching ``where``: what
    reader_page() reads, with the author's names and the community's slug."""
    author = _author_table()
    community = Community.__table__
    story = Story.__table__
    return (select(*_head_columns(), author.c.username, author.c.display_name, community.c.slug)
            .select_from(story.outerjoin(author, author.c.id == story.c.author_id)
                         .outerjoin(community, community.c.id == story.c.community_id))
            .where(where).order_by(story.c.revision).limit(bindparam("plain_limit", type_=Integer)))


@lru_cache(maxsize=1)
def _by_revisions_query():
    """Whole rows by revision, built once (the revisions an expanding parameter). A revision is
    one state of one story: a story changed since its head was read is not found."""
    return plain_stories_query(Story.revision.in_(bindparam("revisions", expanding=True)))


def _id_text(raw) -> str:
    """The id of a head as the views write it: the driver's raw value is a UUID (PostgreSQL) or
    its 32 hex digits (SQLite, as SQLAlchemy's Uuid stores it)."""
    return str(raw) if isinstance(raw, uuid.UUID) else str(uuid.UUID(raw))


def _head_key(head) -> tuple:
    """The kept view's key (reader_view) from a head's raw values."""
    return (head.id, head.revision, head.etag, head.updated_at,
            (head.username, head.display_name) if head.username is not None else None, head.slug,
            hooks.view_key(head))


def reader_page(viewer, heads_query, params: dict, limit: int) -> list[tuple[int, dict]] | None:
    """(revision, view or tombstone) of the first ``limit`` stories of ``heads_query`` (made by
    story_heads_query(), its bind parameters in ``params``), in revision order, as the pull
    sends them: the story's view where the viewer may read it (policy.can_read_in_feed), a
    tombstone where not. None when a story changed between the heads and the whole rows read
    for its view: the caller then reads the page again in one statement."""
    conn = db.session.connection()
    keys = select_keys(conn, heads_query)
    heads = []
    for row in fetch_rows(conn, heads_query, {**params, "plain_limit": limit}):  # no mapping made per row
        head = PlainStory()
        head.__dict__.update(zip(keys, row))
        heads.append(head)
    shown = [policy.can_read_in_feed(viewer, head) for head in heads]
    full = [head for head, readable in zip(heads, shown) if readable]
    hooks.preload_views(full)
    views = reader_views()
    found: dict[int, dict] = {}
    build = []  # (head, key to keep its view under, or None: shown to its author or moderator)
    for head in full:
        if policy.can_see_consent(viewer, head):
            build.append((head, None))
            continue
        key = _head_key(head)
        view = views.get(key)
        if view is None:
            build.append((head, key))
        else:
            found[head.revision] = view
    if build:
        stories = {story.revision: story for story in plain_stories(
            _by_revisions_query(), len(build), params={"revisions": [head.revision for head, _key in build]},
            conflicts_of=viewer if policy.signed_in(viewer) else None)}
        for head, key in build:
            story = stories.get(head.revision)
            # The same revision is the same row; checked all the same, as a view shows what the
            # checks on the head allowed.
            if (story is None or not policy.can_read_in_feed(viewer, story)
                    or policy.can_see_consent(viewer, story) != (key is None)):
                return None
            # The head becomes the whole story, keeping what the view preloads set on it (and
            # what they set points to it).
            head.__dict__.update(story.__dict__)
            view = story_view(head, viewer)
            found[head.revision] = view if key is None else views.put(key, view)
    return [(head.revision, found[head.revision] if readable
             else tombstone(SimpleNamespace(id=_id_text(head.id), revision=head.revision)))
            for head, readable in zip(heads, shown)]


class Communities:
    """Community lookups memoised for one request (a push names the same few many times)."""

    def __init__(self):
        self._by_slug: dict[str, Community | None] = {}
        self._may_post: dict[tuple[int, int], bool] = {}
        self._allowed: dict[tuple[int, str], Community] = {}  # (id(actor), slug): checked already

    def allowed(self, actor, slug: str) -> Community | None:
        """The community if ``actor`` was already found to be allowed to post in it."""
        return self._allowed.get((id(actor), slug))

    def allow(self, actor, slug: str, community: Community) -> None:
        self._allowed[(id(actor), slug)] = community

    def may_post(self, actor, community: Community) -> bool:
        key = (actor.id, community.id)
        if key not in self._may_post:
            self._may_post[key] = policy.can_post_in(actor, community.id)
        return self._may_post[key]

    def get(self, slug: str) -> Community | None:
        if slug not in self._by_slug:
            self._by_slug[slug] = db.session.scalar(_community_by_slug(), {"slug": slug})
        return self._by_slug[slug]


@lru_cache(maxsize=1)
def _community_by_slug() -> Select:
    """Built once: building the select (and its cache key) cost as much as running it, once a push."""
    return select(Community).where(Community.slug == bindparam("slug"))


def check_community(actor, content: StoryContent, communities: Communities) -> Community:
    community = communities.allowed(actor, content.community)
    if community is None:
        community = communities.get(content.community)
        if community is None:
            raise Problem("unknown_community", field="community")
        if not communities.may_post(actor, community):
            raise Problem("forbidden", status=403, field="community")
        communities.allow(actor, content.community, community)
    hooks.check_content(actor, content, community)  # the event it names (events/), ...
    return community


def missing_media(hashes) -> tuple[str, ...]:
    """Media a story names that the server does not hold yet.

    The media store (media/, over tus) says which it holds; until a file is stored there,
    every referenced hash is missing, so the client knows to upload first.
    """
    if not hashes:
        return ()
    have = hooks.stored_media(hashes)
    return tuple(h for h in hashes if h not in have)


def content_columns(content: StoryContent, community: Community) -> dict:
    """The story columns that hold the author-owned content (one mapping for every writer)."""
    at = content.consent["at"]
    return {"title": content.title, "body": content.body, "language": content.language,
            "community_id": community.id, "visibility": content.visibility,
            "author_display": content.author_display, "consent_kind": content.consent["kind"],
            "consent_recorded_by": content.consent["recorded_by"],
            "consent_at": parse_time(at, "consent.at") if at else None, "media": list(content.media),
            "place": content.place, "about_minor": content.about_minor,
            "consent_guardian": bool(content.consent.get("guardian")), "event_id": content.event}


def stored_etag(story: Story) -> str:
    """The etag of the story's content as stored: for a change made on the server (a
    moderator's redaction), so the author's next edit on an older base is a conflict."""
    c = story_content(story)
    return content_etag(StoryContent(
        title=c["title"], body=c["body"], language=c["language"], community=c["community"],
        visibility=c["visibility"], author_display=c["author_display"], consent=dict(c["consent"]),
        media=tuple(c["media"]), place=c["place"], about_minor=c["about_minor"], event=c["event"]).as_dict())


def apply_content(story: Story, content: StoryContent, community: Community) -> None:
    for key, value in content_columns(content, community).items():
        setattr(story, key, value)
    story.community = community


def _initial_status(actor, community, content=None) -> str:
    if content is not None and policy.needs_second_look(content):
        return STATUS_PENDING  # a minor's public story waits for a facilitator's second look
    return STATUS_PUBLISHED if policy.publishes_directly(actor, community) else STATUS_PENDING


def upsert(actor, story_id: uuid.UUID, content: StoryContent, *, base_etag=None, created_at=None,
           revs: RevisionBlock, communities: Communities, existing=LOOKUP,
           inserts: "PendingInserts | None" = None) -> Outcome:
    """Create or update one story inside the caller's write transaction and savepoint.

    Idempotent on ``story_id``: the same content again is UNCHANGED; different content on a
    stale base is kept as a conflicting revision, never dropped. Call it through
    upsert_in_savepoint(), which turns a lost insert race into a comparison.
    """
    community = check_community(actor, content, communities)
    story = db.session.get(Story, story_id) if existing is LOOKUP else existing
    # Refusals that do not depend on media come first: a replay for a withdrawn story must
    # not make the phone upload that story's (deleted) photos again.
    if story is not None and story.author_id != actor.id:
        return Outcome(REJECTED, problem=Problem("forbidden", status=403, field="id"))
    if story is not None and story.status == STATUS_WITHDRAWN:
        return Outcome(REJECTED, story, problem=Problem("withdrawn", status=409, field="id"))
    missing = missing_media(content.media)
    if missing:
        return Outcome(MEDIA_MISSING, missing_media=missing)
    new_etag = etag_of(content)
    now = utcnow()
    if story is None:
        return Outcome(CREATED, _insert_new(actor, story_id, content, community, new_etag, created_at,
                                            now, revs, inserts))

    if story.etag == new_etag:
        return Outcome(UNCHANGED, story)
    if records.strip_etag(base_etag) != story.etag:
        if keep_conflict(story, content, new_etag, now):
            # The author's other devices must learn of the kept text: a new revision puts
            # the story (with its conflicts list) back in their pull, and changes the feed ETag.
            story.revision = revs.next()
            db.session.flush()
        return Outcome(CONFLICT, story)
    apply_content(story, content, community)
    story.etag = new_etag
    story.updated_at = now
    # An edit goes back to review where review applies; a hide stays a hide.
    if story.status in (STATUS_PUBLISHED, STATUS_REJECTED):
        story.status = _initial_status(actor, community, content)
    story.revision = revs.next()
    if story.status == STATUS_PUBLISHED and not story.ever_published:
        story.ever_published = True
        hooks.first_published(story)
    db.session.flush()
    return Outcome(UPDATED, story)


class NewStory(SimpleNamespace):
    """A story this transaction has just inserted, as the plain values inserted.

    Enough for story_view() and tombstone(); it is not in the session, so a later change in
    the same transaction loads the real row first (upsert_in_savepoint does).
    """


@lru_cache(maxsize=8)
def _other_columns(keys: tuple) -> tuple:
    """Story columns not in ``keys``, each with its Python-side default (None if it has none).

    Filled in by _insert_new so that the answer shows them too; this also covers columns
    added later without a change there.
    """
    out = []
    for column in Story.__table__.columns:
        if column.key not in keys:
            default = column.default
            usable = default is not None and (default.is_scalar or default.is_callable)
            out.append((column.key, default if usable else None))
    return tuple(out)


class PendingInserts:
    """New stories of one push, inserted together in one statement (and one savepoint).

    A savepoint per row was the floor of PostgreSQL ingest (about 870 rows/s on the 2-core
    box, against 10,000 for a 100-row INSERT). Items stay independent: if the batch INSERT
    fails, it is undone as a whole and the caller redoes each of those items on its own, in
    its own savepoint, so one bad row still affects only itself. Flush before anything in
    the transaction reads a buffered id (stories.records does).

    The rows get their revisions when they are written, not when they are buffered: a push
    that takes the counter lock late (revisions.py) takes it only here.
    """

    def __init__(self, revs: RevisionBlock):
        self.revs = revs
        self.rows: list[dict] = []
        self.stories: list[NewStory] = []  # what each row's item answers, given its revision too
        self.ids: set = set()  # asked once per item: a scan of the rows made a batch O(n^2)

    def __contains__(self, story_id) -> bool:
        return story_id in self.ids

    def add(self, row: dict, story: NewStory) -> None:
        self.rows.append(row)
        self.stories.append(story)
        self.ids.add(row["id"])

    def flush(self) -> list:
        """INSERT the buffered rows; return the ids to redo one by one ([] on success)."""
        rows, stories, self.rows, self.stories, self.ids = self.rows, self.stories, [], [], set()
        if not rows:
            return []
        for row, story in zip(rows, stories):
            row["revision"] = story.revision = self.revs.next()
        connection = db.session.connection()
        try:
            if connection.dialect.name == "postgresql":
                # One COPY, one statement: PostgreSQL's statement-level insert triggers count
                # its rows once, grouped (migrations 0024, 0025), as the lines below would in
                # five more statements and two dozen upserts.
                insert_many_in_savepoint(db.session, Story.__table__, rows)
                return []
            with connection.begin_nested():
                # The feed's language counts of these rows, added here once per group instead
                # of by SQLite's insert trigger once per row (migration 0024): the marker row
                # tells the trigger so, and is gone again before anyone else can see it.
                connection.execute(_MARK_COUNTING)
                insert_many_in_savepoint(db.session, Story.__table__, rows)
                counts = language_counts_of(rows)
                if counts:
                    connection.execute(_ADD_COUNTS, counts)
                per_day = story_counts_of(rows)  # the stories per day and month (migration 0025), likewise
                if per_day:
                    connection.execute(_ADD_STORY_COUNTS, per_day)
                connection.execute(_UNMARK_COUNTING)
        except DBAPIError:
            return [row["id"] for row in rows]
        return []


# Kept by triggers for every other write (migrations 0012 and 0024); see PendingInserts.flush.
_MARK_COUNTING = text("INSERT INTO feed_language_counts_by_writer (writer) VALUES (1)")
_UNMARK_COUNTING = text("DELETE FROM feed_language_counts_by_writer")
_ADD_COUNTS = text("INSERT INTO feed_language_counts (audience, owner_id, language, stories) "
                   "VALUES (:audience, :owner_id, :language, :stories) "
                   "ON CONFLICT (audience, owner_id, language) "
                   "DO UPDATE SET stories = feed_language_counts.stories + excluded.stories")


_ADD_STORY_COUNTS = text("INSERT INTO story_counts (period, start, community_id, dimension, value, stories) "
                         "VALUES (:period, :start, :community_id, :dimension, :value, :stories) "
                         "ON CONFLICT (period, start, community_id, dimension, value) "
                         "DO UPDATE SET stories = story_counts.stories + excluded.stories"
                         ).bindparams(bindparam("start", type_=Date()))  # SQLite's driver has no date adapter


def story_counts_of(rows) -> list[dict]:
    """What new story rows add to the stories per day and month (migration 0025), one entry per
    count row, in key order as the triggers upsert them (the same lock order in every
    transaction): each story that is not withdrawn, on its UTC day and month of arrival, in its
    community (0: none), by status and by language."""
    groups: dict = {}
    for row in rows:
        if row["status"] == STATUS_WITHDRAWN:
            continue
        day, community = as_utc(row["received_at"]).astimezone(timezone.utc).date(), row["community_id"] or 0
        for period, start in (("day", day), ("month", day.replace(day=1))):
            for dimension in COUNT_DIMENSIONS:
                key = (period, start, community, dimension, row[dimension])
                groups[key] = groups.get(key, 0) + 1
    return [{"period": p, "start": d, "community_id": c, "dimension": dim, "value": v, "stories": n}
            for (p, d, c, dim, v), n in sorted(groups.items())]


def language_counts_of(rows) -> list[dict]:
    """What new story rows add to the feed's language counts, one entry per group, as the
    insert trigger of migration 0012 counts them (a new story has no translations yet): a
    published story in its community's audience of its visibility, every story that is not
    withdrawn in its author's own."""
    groups: dict = {}
    for row in rows:
        keys = []
        if row["status"] == STATUS_PUBLISHED and row["community_id"] is not None:
            keys.append((row["visibility"], row["community_id"], row["language"]))
        if row["status"] != STATUS_WITHDRAWN and row["author_id"] is not None:
            keys.append(("author", row["author_id"], row["language"]))
        for key in keys:
            groups[key] = groups.get(key, 0) + 1
    return [{"audience": a, "owner_id": o, "language": lang, "stories": n} for (a, o, lang), n in groups.items()]


def _insert_new(actor, story_id, content, community, etag, created_at, now, revs,
                inserts: PendingInserts | None = None) -> NewStory:
    """INSERT a new story (now in its own savepoint, or later with the batch's others);
    answer with the values inserted.

    Why not session.add() + flush(): the ORM's unit of work, object instrumentation and a
    session-level savepoint per item were most of a push's time (bench/ingest.py). The
    statement still runs inside the item's own savepoint and the primary key still decides
    (IntegrityError: see upsert_in_savepoint).
    """
    status = _initial_status(actor, community, content)
    row = {"id": story_id, "author_id": actor.id, "created_at": created_at, "received_at": now,
           "updated_at": now, "etag": etag, "status": status,
           "revision": None if inserts is not None else revs.next(),  # buffered: given at the INSERT
           "ever_published": status == STATUS_PUBLISHED, **content_columns(content, community)}
    shown = {}
    for key, default in _other_columns(tuple(row)):
        if default is None:
            shown[key] = None  # a server default or NULL: not sent
        else:
            row[key] = default.arg if default.is_scalar else default.arg(None)
    new = NewStory(**row, **shown, author=actor, community=community, conflicts=[])
    if inserts is None:
        insert_in_savepoint(db.session, Story.__table__, row)
    else:
        inserts.add(row, new)
    if status == STATUS_PUBLISHED:
        hooks.first_published(new)
    return new


def keep_conflict(story: Story, content: StoryContent, etag: str, now) -> bool:
    """Keep a losing text; False when that very text was already kept (a replay)."""
    if any(c.etag == etag for c in story.conflicts):
        return False
    story.conflicts.append(StoryConflict(etag=etag, content=content.as_dict(), received_at=now))
    db.session.flush()
    return True


def upsert_in_savepoint(actor, story_id: uuid.UUID, content: StoryContent, *, existing=LOOKUP,
                        **kwargs) -> Outcome:
    """upsert() in its own savepoint, so that its failure undoes its own writes only.

    ``existing=None`` means the caller looked the id up under the revision counter lock and
    found nothing: the insert then needs no ORM state, and its own SAVEPOINT around the one
    INSERT (database.insert_in_savepoint) is much cheaper than Session.begin_nested().
    Writers are serialised by that lock, so an insert should never collide; but the unique
    key is what guarantees "stored once": if the insert hits it anyway (a writer that
    bypassed the lock), the savepoint is undone and the item is compared with the stored
    row instead, so the same content is UNCHANGED.
    """
    if existing is None:
        try:  # the INSERT has its own savepoint, and nothing before it writes
            return upsert(actor, story_id, content, existing=None, **kwargs)
        except IntegrityError:
            existing = db.session.get(Story, story_id, populate_existing=True)
            if existing is None:
                raise
    try:
        with db.session.begin_nested():
            return upsert(actor, story_id, content, existing=existing, **kwargs)
    except IntegrityError:
        stored = db.session.get(Story, story_id, populate_existing=True)
        if stored is None:
            raise
        with db.session.begin_nested():
            return upsert(actor, story_id, content, existing=stored, **kwargs)


def withdraw(actor, story_id: uuid.UUID, *, revs: RevisionBlock, existing=LOOKUP) -> Outcome:
    """Withdraw a story: its content is deleted for real; only a tombstone stays for sync."""
    story = db.session.get(Story, story_id) if existing is LOOKUP else existing
    now = utcnow()
    if story is None:
        # Withdrawn before it ever arrived: keep a tombstone so a late replay of the
        # upload cannot bring it back.
        story = Story(id=story_id, author_id=actor.id, community_id=None,
                      language="und", visibility="facilitators", etag="", status=STATUS_WITHDRAWN,
                      received_at=now, updated_at=now, revision=revs.next())
        db.session.add(story)
        db.session.flush()
        return Outcome(UPDATED, story)
    if not policy.can_withdraw_story(actor, story):
        return Outcome(REJECTED, problem=Problem("forbidden", status=403, field="id"))
    if story.status == STATUS_WITHDRAWN:
        return Outcome(UNCHANGED, story)
    audit.record("story.withdraw", actor, story_id=story.id, community_id=story.community_id,
                 as_recorder=not policy.is_author(actor, story))
    erase_content(actor, story, revs=revs)
    story.status = STATUS_WITHDRAWN
    story.updated_at = now
    story.revision = revs.next()
    db.session.flush()
    return Outcome(UPDATED, story)


def erase_content(actor, story: Story, *, revs: RevisionBlock) -> None:
    """Delete a story's content for real, and what hangs on it, inside the caller's write
    transaction: the withdrawal hooks (hooks.py) go first, while the story still names its
    files, translations and reports (media releases its files once this commits; people's
    translations and the reports on it are deleted, a reporter's note may quote the story)."""
    hooks.before_erasing(actor, story, revs)
    story.title = ""
    story.body = ""
    story.media = []
    story.consent_recorded_by = None
    story.consent_at = None
    story.consent_guardian = False
    story.place = ""
    story.recorded_by_id = None
    story.moderation_reason = ""
    story.moderation_reason_code = None
    story.etag = ""
    story.conflicts.clear()
    forget_traces()  # and SQLite's WAL is checkpointed once this commits


# --- Forms ------------------------------------------------------------------------------

def audit_consent(actor, story_id, community_id, content: StoryContent, via: str) -> None:
    """A consent record beyond the author's own (given aloud or in writing, or a guardian's)
    goes to the audit log with the story that carries it: kinds and flags, never names."""
    consent = content.consent
    if consent["kind"] == "self" and not consent.get("guardian"):
        return
    audit.record("story.consent", actor, story_id=story_id, community_id=community_id, kind=consent["kind"],
                 guardian=bool(consent.get("guardian")), about_minor=content.about_minor, at=consent.get("at"),
                 via=via)


def write_one(actor, story_id: uuid.UUID, content: StoryContent, *, base_etag=None, created_at=None) -> Outcome:
    """One story from the HTML form, committed in its own transaction."""
    with write_transaction():
        revs = RevisionBlock(db.session)
        outcome = upsert_in_savepoint(actor, story_id, content, base_etag=base_etag, created_at=created_at,
                                      revs=revs, communities=Communities())
        if outcome.result == CREATED:
            audit_consent(actor, story_id, outcome.story.community_id, content, "form")
        revs.flush()
    return outcome


def withdraw_one(actor, story_id: uuid.UUID) -> Outcome:
    with write_transaction():
        revs = RevisionBlock(db.session)
        outcome = withdraw(actor, story_id, revs=revs)
        revs.flush()
    return outcome


# --- The feed ---------------------------------------------------------------------------

@dataclass
class FeedPage:
    stories: list
    newer: str | None  # cursor for the page of newer stories; None on the newest page
    older: str | None  # cursor for the page of older stories; None on the last page


_CURSOR_TIME = "%Y%m%dT%H%M%S%fZ"


def feed_cursor(story) -> str:
    """A place in the feed, after or before this story: its (received_at, id), in a URL."""
    return f"{as_utc(story.received_at).strftime(_CURSOR_TIME)}-{story.id.hex}"


def parse_feed_cursor(value) -> tuple | None:
    """(received_at, id) from feed_cursor(); None for anything else (a page then starts at the top)."""
    try:
        stamp, hex_id = value.split("-")
        return datetime.strptime(stamp, _CURSOR_TIME).replace(tzinfo=timezone.utc), uuid.UUID(hex=hex_id)
    except (AttributeError, ValueError):
        return None


def _feed_rows(viewer, where, after: tuple | None, newer: bool, limit: int) -> list:
    """(id, received_at) of up to ``limit`` readable stories beyond ``after``, nearest first.

    One small query per audience of the viewer (policy.read_scopes), each an index range in
    (received_at, id) order that stops after ``limit`` rows; then merged. One query with the
    whole readable_stories_clause() made the database find every readable story to sort them.
    """
    order = (Story.received_at.asc(), Story.id.asc()) if newer else (Story.received_at.desc(), Story.id.desc())
    parts = []
    for scope in policy.read_scopes(viewer):
        query = select(Story.id, Story.received_at).where(policy.scope_stories_clause(scope), *where)
        if after is not None:
            at, story_id = after
            # The plain bound first: both planners make it the index range (the OR alone is a filter,
            # and a deep page would scan every newer entry).
            if newer:
                query = query.where(Story.received_at >= at, or_(Story.received_at > at, Story.id > story_id))
            else:
                query = query.where(Story.received_at <= at, or_(Story.received_at < at, Story.id < story_id))
        parts.append(query.order_by(*order).limit(limit).subquery())
    union = union_all(*(select(part.c.id, part.c.received_at) for part in parts))
    rows = {row.id: (as_utc(row.received_at), row.id) for row in db.session.execute(union)}
    return sorted(rows.values(), reverse=not newer)[:limit]


def feed_page(viewer, size: int, *, older=None, newer=None, where=()) -> FeedPage:
    """One page of the stories this viewer may read, newest first: the first page, the one
    older than cursor ``older``, or the one newer than cursor ``newer`` (keyset pages: the
    cost does not grow with the number of stories, unlike OFFSET and a count)."""
    after = parse_feed_cursor(newer) if newer else None
    if after is not None:
        rows = _feed_rows(viewer, where, after, True, size + 1)
        if len(rows) > size:
            rows = list(reversed(rows[:size]))
            has_newer, has_older = True, True
        else:
            after = None  # the newest page is reached: show it whole
    if after is None:
        after = parse_feed_cursor(older) if older else None
        rows = _feed_rows(viewer, where, after, False, size + 1)
        has_newer, has_older = after is not None, len(rows) > size
        rows = rows[:size]
    by_id = {s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_([i for _, i in rows])))}
    stories = [by_id[i] for _, i in rows if i in by_id]
    return FeedPage(stories, feed_cursor(stories[0]) if stories and has_newer else None,
                    feed_cursor(stories[-1]) if stories and has_older else None)


def get_story_for(viewer, story_id) -> Story:
    """The story if this viewer may see it; 404 otherwise (never reveal that it exists)."""
    story = db.session.get(Story, story_id)
    if story is None or not policy.can_view_story(viewer, story):
        raise Problem("not_found", status=404)
    return story
