"""Hook points of the story core: where the domains built on stories attach to it.

The story domain imports nothing built on it (pyproject.toml, import-linter). Where a story
needs what only such a domain knows (its translations, the words for a moderation reason,
whether a file is stored, whether an event may be named, what a page shows beside it), the
story code calls the functions registered at one of these points, and each domain registers
its own when its package is imported (media: in its init_app), as it registers its share of a
person's data (personal_data.py). So the story core never names them, and a domain added later
attaches without editing it.

Each point is a plain list, called in the order the functions were registered (the order in
which create_app imports the domains, so the same on every run); registering a function twice
is a no-op (init_app runs once per app). Functions at one point must not depend on each other's
order: each adds its own keys, or deletes its own records. With nothing registered, each point
does what a server without those domains would do, as its docstring says.

The HTML pages (routes.py) use the page points: the feed, a story's page and the write form
stay in stories/, and the templates include the other domains' partials (the view layer).
"""
from typing import Callable

# --- The points ---------------------------------------------------------------------------

VIEW_EXTENDERS: list[Callable] = []
"""``fn(story, viewer, view: dict) -> None``: add keys to story_view()'s dict, the story as
the sync contract exchanges it (``translations``; the moderation reason, for the author).
``story`` may be a NewStory (the plain values just inserted). Nothing registered: the view
has the story's own fields only."""

VIEW_PRELOADS: list[Callable] = []
"""``fn(stories: list) -> None``: for a page of plain stories (PlainStory: the columns read
as rows, not ORM objects, for the pull), set on each what this domain's view extender reads
from a relationship (``translations``), in one query for the whole page. Read only a story's
``revision``: the pull first reads its page's heads (stories.service.reader_page), which hold
a few columns, the id as the driver's raw value. Nothing registered: nothing to set."""

VIEW_KEYS: list[Callable] = []
"""``fn(story) -> hashable``: for a preloaded plain story, what this domain's view extender
reads that can change while the story's revision stays (a translator's name), as part of the
key under which the pull keeps a reader's view of the story (stories.service.reader_view).
An extender must add, for a viewer who is neither the story's author nor its moderator,
nothing that depends on who the viewer is. Nothing registered: the revision says it all."""

CONTENT_CHECKS: list[Callable] = []
"""``fn(actor, content: StoryContent, community: Community) -> None``: a check of a story
being written (pushed or posted) that needs another domain, such as the event it names;
raise Problem to refuse it. Runs once the community is known and allowed, before any write.
Nothing registered: the schema's checks only."""

MEDIA_STORES: list[Callable] = []
"""``fn(hashes: list[str]) -> set[str]``: which of these SHA-256 the server holds. A hash
held by any store is there. Nothing registered: nothing is stored, so every hash a story
names is missing (and the phone knows to upload first)."""

WITHDRAWAL_HOOKS: list[Callable] = []
"""``fn(actor, story: Story, revs: RevisionBlock) -> None``: runs in the withdrawal's write
transaction when a story's content is erased (withdrawal by its author or recorder, account
deletion), before erasing: the story still has its media, translations and reports. Delete
what hangs on the story there; give changed records a revision from ``revs``. Nothing
registered: only the story's own columns are erased."""

FEED_FILTERS: list[Callable] = []
"""``fn(viewer, args) -> list``: SQL clauses on Story that narrow the feed page, from the
request's query arguments (the translations domain's ``?language=``). Nothing registered:
every story the viewer may read."""

FEED_CONTEXTS: list[Callable] = []
"""``fn(viewer, stories: list, args) -> dict``: names for templates/stories/feed.html about
this page of stories (``language``, ``languages``, ``translated``). Nothing registered: the
defaults in routes.py (no language menu, no translations)."""

STORY_PAGE_CONTEXTS: list[Callable] = []
"""``fn(viewer, story, args) -> dict``: names for templates/stories/show.html (``event``,
``translation`` and the translations panel's). Nothing registered: the story alone."""

WRITE_PAGE_CONTEXTS: list[Callable] = []
"""``fn(viewer, form: StoryForm) -> dict``: names for templates/stories/write.html
(``event_groups``, the "Told at an event" choices). Nothing registered: the defaults in
routes.py."""

FORM_CONTENTS: list[Callable] = []
"""``fn(actor, form: StoryForm) -> dict``: content fields read from the write form's fields
that belong to another domain (``media`` from its file inputs, ``event`` from its select);
raise Problem (with ``field`` set to the form field) to refuse the form. Runs after the form
validated, before the content is checked. Nothing registered: no media, no event."""

PUBLISH_HOOKS: list[Callable] = []
"""``fn(story) -> None``: runs in the write transaction where a story is published for the
first time (at once for a trusted author, or by a facilitator's decision); ``story`` may be a
NewStory. The transaction may still roll back: act after its commit (activity: a push to
followers). Nothing registered: nothing happens."""

_POINTS = (VIEW_EXTENDERS, VIEW_PRELOADS, VIEW_KEYS, CONTENT_CHECKS, MEDIA_STORES, WITHDRAWAL_HOOKS, FEED_FILTERS, FEED_CONTEXTS,
           STORY_PAGE_CONTEXTS, WRITE_PAGE_CONTEXTS, FORM_CONTENTS, PUBLISH_HOOKS)


def _add(point: list, fn: Callable) -> Callable:
    if fn not in point:
        point.append(fn)
    return fn


def register_view_extender(fn: Callable) -> Callable:
    return _add(VIEW_EXTENDERS, fn)


def register_view_preload(fn: Callable) -> Callable:
    return _add(VIEW_PRELOADS, fn)


def register_view_key(fn: Callable) -> Callable:
    return _add(VIEW_KEYS, fn)


def register_content_check(fn: Callable) -> Callable:
    return _add(CONTENT_CHECKS, fn)


def register_media_store(fn: Callable) -> Callable:
    return _add(MEDIA_STORES, fn)


def register_withdrawal_hook(fn: Callable) -> Callable:
    return _add(WITHDRAWAL_HOOKS, fn)


def register_feed_filter(fn: Callable) -> Callable:
    return _add(FEED_FILTERS, fn)


def register_feed_context(fn: Callable) -> Callable:
    return _add(FEED_CONTEXTS, fn)


def register_story_page_context(fn: Callable) -> Callable:
    return _add(STORY_PAGE_CONTEXTS, fn)


def register_write_page_context(fn: Callable) -> Callable:
    return _add(WRITE_PAGE_CONTEXTS, fn)


def register_form_content(fn: Callable) -> Callable:
    return _add(FORM_CONTENTS, fn)


def register_publish_hook(fn: Callable) -> Callable:
    return _add(PUBLISH_HOOKS, fn)


def unregister(fn: Callable) -> None:
    """Take ``fn`` off every point it is registered at (tests that register their own)."""
    for point in _POINTS:
        while fn in point:
            point.remove(fn)


# --- Calling them (the story core's side) -----------------------------------------------------

def extend_view(story, viewer, view: dict) -> None:
    for fn in VIEW_EXTENDERS:
        fn(story, viewer, view)


def preload_views(stories: list) -> None:
    for fn in VIEW_PRELOADS:
        fn(stories)


def view_key(story) -> tuple:
    return tuple(fn(story) for fn in VIEW_KEYS)


def check_content(actor, content, community) -> None:
    for fn in CONTENT_CHECKS:
        fn(actor, content, community)


def stored_media(hashes) -> set[str]:
    held: set[str] = set()
    for fn in MEDIA_STORES:
        held |= fn(hashes)
    return held


def before_erasing(actor, story, revs) -> None:
    for fn in WITHDRAWAL_HOOKS:
        fn(actor, story, revs)


def first_published(story) -> None:
    for fn in PUBLISH_HOOKS:
        fn(story)


def feed_filters(viewer, args) -> list:
    return [clause for fn in FEED_FILTERS for clause in fn(viewer, args)]


def _merged(point: list, *args) -> dict:
    context: dict = {}
    for fn in point:
        context.update(fn(*args))
    return context


def feed_context(viewer, stories, args) -> dict:
    return _merged(FEED_CONTEXTS, viewer, stories, args)


def story_page_context(viewer, story, args) -> dict:
    return _merged(STORY_PAGE_CONTEXTS, viewer, story, args)


def write_page_context(viewer, form) -> dict:
    return _merged(WRITE_PAGE_CONTEXTS, viewer, form)


def form_content(actor, form) -> dict:
    return _merged(FORM_CONTENTS, actor, form)
