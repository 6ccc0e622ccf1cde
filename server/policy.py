"""Who may do what: every permission check lives here (or, for people and communities, in
accounts/policy.py, re-exported here), nowhere else.

Views, the sync API and templates ask these functions; hiding a button is never the check.
``viewer`` is an Account or None for someone not signed in.
"""
from sqlalchemy import and_, false, or_, true

# People and communities: defined beside accounts (which must not import stories), used here too.
from .accounts.policy import (can_manage_community, can_moderate_community, can_reset_password,  # noqa: F401
                              is_admin, managed_community_ids, signed_in)
from .communities.models import MODERATION_TRUSTED
from .stories.models import (STATUS_PUBLISHED, STATUS_WITHDRAWN, VISIBILITY_COMMUNITY,
                             VISIBILITY_FACILITATORS, VISIBILITY_PUBLIC, Story)


def is_author(viewer, story) -> bool:
    return signed_in(viewer) and story.author_id is not None and story.author_id == viewer.id


def audience_allows(viewer, visibility: str, community_id) -> bool:
    """Would the story's audience include this viewer, were it published?"""
    if visibility == VISIBILITY_PUBLIC:
        return True
    if not signed_in(viewer):
        return False
    if viewer.is_admin:
        return True
    if visibility == VISIBILITY_COMMUNITY:
        return community_id in viewer.member_community_ids()
    if visibility == VISIBILITY_FACILITATORS:
        return community_id in viewer.facilitated_community_ids()
    return False


def can_view_story(viewer, story) -> bool:
    if story.status == STATUS_WITHDRAWN:
        return False
    if is_author(viewer, story):
        return True  # authors always see their own stories, whatever their status
    if story.status == STATUS_PUBLISHED:
        return audience_allows(viewer, story.visibility, story.community_id)
    return can_moderate_story(viewer, story)


def can_read_in_feed(viewer, story) -> bool:
    """Python twin of readable_stories_clause(): full story in feeds and pulls."""
    if story.status == STATUS_WITHDRAWN:
        return False
    if is_author(viewer, story):
        return True
    return story.status == STATUS_PUBLISHED and audience_allows(viewer, story.visibility, story.community_id)


def can_moderate_story(viewer, story) -> bool:
    return story.community_id is not None and can_moderate_community(viewer, story.community_id)


def can_post_in(viewer, community_id) -> bool:
    """Members post in their communities; site admins anywhere."""
    return signed_in(viewer) and viewer.role_in(community_id) is not None


def publishes_directly(viewer, community) -> bool:
    """Stories by facilitators and admins (or in trusted communities) skip review."""
    return community.moderation == MODERATION_TRUSTED or can_moderate_community(viewer, community.id)


def can_edit_story(viewer, story) -> bool:
    return is_author(viewer, story) and story.status != STATUS_WITHDRAWN


def can_withdraw_story(viewer, story) -> bool:
    return is_author(viewer, story) or can_withdraw_as_recorder(viewer, story)


def readable_stories_clause(viewer):
    """SQL condition for stories this viewer may read in full (feed and pull)."""
    published = Story.status == STATUS_PUBLISHED
    if not signed_in(viewer):
        return and_(published, Story.visibility == VISIBILITY_PUBLIC)
    own = and_(Story.author_id == viewer.id, Story.status != STATUS_WITHDRAWN)
    if viewer.is_admin:
        return or_(published, own)
    members = viewer.member_community_ids()
    facilitated = viewer.facilitated_community_ids()
    audience = or_(
        Story.visibility == VISIBILITY_PUBLIC,
        and_(Story.visibility == VISIBILITY_COMMUNITY, Story.community_id.in_(members)) if members else false(),
        and_(Story.visibility == VISIBILITY_FACILITATORS, Story.community_id.in_(facilitated)) if facilitated else false(),
    )
    return or_(and_(published, audience), own)


def read_key(viewer) -> tuple:
    """Everything readable_stories_clause() reads of a viewer, as a key: equal keys, equal
    clauses (a query built from it may be kept and run again for the same key)."""
    if not signed_in(viewer):
        return ("anon",)
    if viewer.is_admin:
        return ("admin", viewer.id)
    return ("member", viewer.id, frozenset(viewer.member_community_ids()),
            frozenset(viewer.facilitated_community_ids()))


AUTHOR_SCOPE = "author"


def read_scopes(viewer) -> list[tuple[str, int | None]]:
    """readable_stories_clause() as a list of audiences, each read on its own (the feed's keyset
    pages, the language menu): (visibility, community id) of published stories, a community
    of None meaning every community, and (AUTHOR_SCOPE, their id) for a person's own stories
    that are not withdrawn. Stories in any of them are exactly the readable ones."""
    if not signed_in(viewer):
        return [(VISIBILITY_PUBLIC, None)]
    if viewer.is_admin:
        scopes = [(visibility, None) for visibility in (VISIBILITY_PUBLIC, VISIBILITY_COMMUNITY,
                                                         VISIBILITY_FACILITATORS)]
    else:
        scopes = [(VISIBILITY_PUBLIC, None)]
        scopes += [(VISIBILITY_COMMUNITY, c) for c in sorted(viewer.member_community_ids())]
        scopes += [(VISIBILITY_FACILITATORS, c) for c in sorted(viewer.facilitated_community_ids())]
    return scopes + [(AUTHOR_SCOPE, viewer.id)]


def scope_stories_clause(scope):
    """SQL condition for the stories of one of read_scopes()."""
    audience, owner = scope
    if audience == AUTHOR_SCOPE:
        return and_(Story.author_id == owner, Story.status != STATUS_WITHDRAWN)
    clause = and_(Story.status == STATUS_PUBLISHED, Story.visibility == audience)
    return clause if owner is None else and_(Story.community_id == owner, clause)


def scope_key(viewer) -> str:
    """What decides a viewer's read access; part of the pull feed's ETag."""
    if not signed_in(viewer):
        return "anon"
    members = ",".join(f"{m.community_id}:{m.role}:{int(bool(m.is_mediator))}{int(bool(m.is_coach))}"
                       for m in sorted(viewer.memberships, key=lambda m: m.community_id))
    return f"{viewer.id}:{int(viewer.is_admin)}:{members}"


# --- People: communities, codes, managed participants, safety --------------------------

def can_record_for(actor, person, community_id) -> bool:
    """A facilitator records stories for managed participants of a community they facilitate."""
    return (person is not None and person.is_managed and can_manage_community(actor, community_id)
            and person.role_in(community_id) is not None)


def is_recorder(viewer, story) -> bool:
    return signed_in(viewer) and story.recorded_by_id is not None and story.recorded_by_id == viewer.id


def needs_second_look(story) -> bool:
    """A story about or by a minor goes public only after a facilitator's second look."""
    return bool(story.about_minor) and story.visibility == VISIBILITY_PUBLIC


def can_publish_story(viewer, story) -> bool:
    """Publishing (or unhiding): moderators; for a minor's public story, one who neither wrote
    nor recorded it (the second look is a second person)."""
    if not can_moderate_story(viewer, story):
        return False
    if needs_second_look(story):
        return not is_author(viewer, story) and not is_recorder(viewer, story)
    return True


def can_see_consent(viewer, story) -> bool:
    """The consent record is shown to moderators beside the story (and to its author)."""
    return is_author(viewer, story) or can_moderate_story(viewer, story)


def can_withdraw_as_recorder(viewer, story) -> bool:
    """The facilitator who recorded a story may withdraw it on the person's request, while they
    still facilitate its community."""
    return is_recorder(viewer, story) and can_moderate_story(viewer, story)


# --- Events, the dashboard and exports (issue 7) ------------------------------------------

def can_manage_events(viewer, community_id) -> bool:
    """Create and edit a community's events and record attendance: its facilitators and admins."""
    return can_moderate_community(viewer, community_id)


def can_view_events(viewer, community_id) -> bool:
    """A community's events (what, when, where, how many came): its members and admins.
    Who came, and the counts by gender, age and origin, are for those who manage events."""
    return signed_in(viewer) and viewer.role_in(community_id) is not None


def event_records_community_ids(viewer) -> set[int] | None:
    """Communities whose attendance records and told lines (and their tombstones) this viewer
    pulls: those whose events they manage; None means every community (a site admin)."""
    return managed_community_ids(viewer)


def can_link_story_to_event(viewer, event, community_id) -> bool:
    """An author may say a story was told at an event of the story's own community."""
    return (event is not None and event.community_id == community_id
            and can_view_events(viewer, event.community_id))


def can_view_dashboard(viewer) -> bool:
    """The dashboard: admins (every community) and facilitators (their own); participants not."""
    return signed_in(viewer) and (viewer.is_admin or bool(viewer.facilitated_community_ids()))


def dashboard_community_ids(viewer) -> set[int] | None:
    """Communities whose numbers this viewer sees; None means every community (a site admin)."""
    return managed_community_ids(viewer)


EXPORTS_FOR_FACILITATORS = ("events", "attendance", "stories", "aggregates", "help")


def can_export(viewer, what: str) -> bool:
    """Exports of the dashboard's communities; the audit log only for admins."""
    if not can_view_dashboard(viewer):
        return False
    return viewer.is_admin or what in EXPORTS_FOR_FACILITATORS


def can_export_story_text(viewer) -> bool:
    """Story titles and bodies in an export: admins only (and only of public, published
    stories, and only when they tick the box: exports.service applies both)."""
    return signed_in(viewer) and viewer.is_admin


# --- Moderation, reports, administration -------------------------------------------------

def can_review(viewer) -> bool:
    """The review and reports queues: facilitators (of their communities) and admins."""
    return signed_in(viewer) and (viewer.is_admin or bool(viewer.facilitated_community_ids()))


def can_report_story(viewer, story) -> bool:
    """Anyone signed in who can read a published story, except its author, may report it."""
    return (signed_in(viewer) and not is_author(viewer, story) and story.status == STATUS_PUBLISHED
            and audience_allows(viewer, story.visibility, story.community_id))


def can_administer(viewer) -> bool:
    """Site administration: communities and their settings, and the audit log."""
    return is_admin(viewer)


def can_view_audit(viewer) -> bool:
    return is_admin(viewer)


def can_change_roles(viewer, community_id) -> bool:
    """Making someone a facilitator or a participant, or adding an account to a community:
    admins only. A facilitator may not promote anyone (nor themselves) or demote a colleague."""
    return is_admin(viewer)


# --- Translations of stories (issue 8) -----------------------------------------------------

def can_translate_story(viewer, story) -> bool:
    """Anyone signed in who may read the story in full may translate it (only readable stories)."""
    return signed_in(viewer) and can_read_in_feed(viewer, story)


def translation_publishes_directly(viewer, story) -> bool:
    """The story's author and its community's facilitators and admins publish at once; anyone
    else's translation waits for a facilitator's review."""
    return is_author(viewer, story) or can_moderate_story(viewer, story)


def can_review_translation(viewer, story) -> bool:
    """Publishing or rejecting a waiting translation: facilitators of the story's community, admins."""
    return can_moderate_story(viewer, story)


def can_change_translation(viewer, translation, story) -> bool:
    """Replacing or removing a translation: the person who made it (while they may still translate
    the story) and the story's facilitators."""
    if can_moderate_story(viewer, story):
        return True
    return (can_translate_story(viewer, story) and translation.translator_id is not None
            and translation.translator_id == viewer.id)


# --- Tombstones of deleted records (records.Tombstone) --------------------------------------

def tombstone_clause(viewer, tomb):
    """SQL condition for tombstones this viewer may receive: those of records they could have
    held. ``audience`` is a story visibility word (public, community, facilitators) over the
    tombstone's community, and the record's owner always gets its tombstone."""
    if not signed_in(viewer):
        return tomb.audience == VISIBILITY_PUBLIC
    if viewer.is_admin:
        return true()
    members = viewer.member_community_ids()
    facilitated = viewer.facilitated_community_ids()
    return or_(
        tomb.audience == VISIBILITY_PUBLIC,
        tomb.owner_id == viewer.id,
        and_(tomb.audience == VISIBILITY_COMMUNITY, tomb.community_id.in_(members)) if members else false(),
        and_(tomb.audience.in_((VISIBILITY_COMMUNITY, VISIBILITY_FACILITATORS)),
             tomb.community_id.in_(facilitated)) if facilitated else false(),
    )


# --- Camp nodes (issue 15) ----------------------------------------------------------------

def can_manage_nodes(viewer, community_id) -> bool:
    """Issue, list and revoke a community's camp node tokens, and read its node's admin page:
    site admins and the community's facilitators. Facilitators run the camps, and a node holds
    what they already manage there (the community's stories, events, members)."""
    return can_manage_community(viewer, community_id)


def node_community_ids(viewer) -> set[int] | None:
    """Communities whose node tokens and conflicts this viewer sees; None means every one."""
    return managed_community_ids(viewer)


def can_undo_rename(viewer) -> bool:
    """Giving an account back the username a replication conflict took from it: site admins
    only (it changes how a person signs in)."""
    return is_admin(viewer)


# --- Help requests (help/) ------------------------------------------------------------------
# Only the asker and the community's mediators and coaches ever see a request: not other
# facilitators, not admins (unless marked so in that community), not the facilitator who
# opened it for someone. Anyone else is answered 404, as if it did not exist.

def helps_in(viewer, community_id) -> bool:
    """A facilitator of the community marked as mediator or coach there."""
    return signed_in(viewer) and community_id in viewer.helped_community_ids()


def can_ask_for_help(viewer, community_id) -> bool:
    return signed_in(viewer) and community_id in viewer.member_community_ids()


def can_ask_for_help_for(actor, person, community_id) -> bool:
    """A facilitator opens a request for another member of a community they facilitate."""
    return (person is not None and signed_in(actor) and person.id != actor.id
            and community_id in actor.facilitated_community_ids()
            and community_id in person.member_community_ids())


def can_see_help_request(viewer, request) -> bool:
    return signed_in(viewer) and (request.asker_id == viewer.id or helps_in(viewer, request.community_id))


def can_claim_help_request(viewer, request) -> bool:
    return request.state == "open" and helps_in(viewer, request.community_id)


def can_answer_help_request(viewer, request) -> bool:
    """The claimer answers; while nobody has claimed it, any of its helpers may (their first
    answer claims it). The asker writes in their own request until it is closed."""
    if request.state == "closed" or not signed_in(viewer):
        return False
    if request.asker_id == viewer.id:
        return True
    return helps_in(viewer, request.community_id) and request.claimed_by_id in (None, viewer.id)


def can_close_help_request(viewer, request) -> bool:
    """Its claimer (or any of its helpers while unclaimed) closes it with an outcome; the asker
    may close it too (then as no longer needed)."""
    if request.state == "closed" or not signed_in(viewer):
        return False
    if request.asker_id == viewer.id:
        return True
    return helps_in(viewer, request.community_id) and request.claimed_by_id in (None, viewer.id)
# --- Replies and reactions (issue 16) --------------------------------------------------------

def can_reply(viewer, story) -> bool:
    """Replying and reacting: anyone signed in who may read the published story in full (its
    author too). Whether the author turned replies off is the replies domain's check."""
    return signed_in(viewer) and story.status == STATUS_PUBLISHED and can_read_in_feed(viewer, story)


def can_switch_replies(viewer, story) -> bool:
    """Turning replies off and on again: the story's author."""
    return is_author(viewer, story) and story.status != STATUS_WITHDRAWN


def can_moderate_reply(viewer, story) -> bool:
    """Publishing a waiting reply, hiding one: the facilitators of the story's community, admins."""
    return can_moderate_story(viewer, story)


def can_see_reply(viewer, reply, story) -> bool:
    """Python twin of replies_clause(): a published reply to a story the viewer may read; a
    waiting or hidden one only for its author and the story's moderators."""
    if not can_read_in_feed(viewer, story):
        return False
    if reply.status == "published":
        return True
    return (signed_in(viewer) and reply.author_id == viewer.id) or can_moderate_story(viewer, story)


def can_delete_reply(viewer, reply, story) -> bool:
    """Its author (while they may read the story) and the story's moderators."""
    if can_moderate_story(viewer, story):
        return True
    return signed_in(viewer) and reply.author_id == viewer.id and can_read_in_feed(viewer, story)


def can_report_reply(viewer, reply, story) -> bool:
    """Anyone signed in who sees a published reply, except its author, may report it."""
    return (signed_in(viewer) and reply.status == "published" and reply.author_id != viewer.id
            and can_read_in_feed(viewer, story))


def replies_clause(viewer, reply_status, reply_author, story_community):
    """SQL, beside readable_stories_clause(): which replies of readable stories this viewer sees
    (columns passed in: the policy names no replies model)."""
    published = reply_status == "published"
    if not signed_in(viewer):
        return published
    if viewer.is_admin:
        return true()
    facilitated = viewer.facilitated_community_ids()
    return or_(published, reply_author == viewer.id,
               story_community.in_(facilitated) if facilitated else false())
