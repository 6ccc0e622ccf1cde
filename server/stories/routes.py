"""The feed, a story's page and the write form: thin views over service.py.

What other domains show on these pages (the feed's language menu and translations, the event
a story was told at, the write form's events, photo and recording) comes from the page hooks
in hooks.py, which those domains fill in; the templates include their partials.
"""
from types import SimpleNamespace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import disclosure, policy
from ..accounts.models import member_names
from ..communities.models import Community
from ..errors import Problem
from ..extensions import db
from ..records import uuid7
from . import bp, hooks, service
from .forms import SelectChoice, StoryForm
from .schema import parse_story_id, validate_content

# What the templates read when no domain adds it (hooks.py): no language menu, no
# translations, no event.
FEED_DEFAULTS = {"language": None, "languages": [], "translated": {}}
STORY_PAGE_DEFAULTS = {"event": None, "translation": None}
WRITE_PAGE_DEFAULTS = {"event_groups": []}


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.get("/")
def feed():
    viewer = _viewer()
    # Narrowed by the domains' filters (translations/: ?language=, original or translated).
    where = hooks.feed_filters(viewer, request.args)
    # Keyset pages (?older=, ?newer=); an old ?page=N link shows the newest page.
    page = service.feed_page(viewer, current_app.config["FEED_PAGE_SIZE"], where=where,
                             older=request.args.get("older"), newer=request.args.get("newer"))
    return render_template("stories/feed.html", stories=page.stories, newer=page.newer, older=page.older,
                           **{**FEED_DEFAULTS, **hooks.feed_context(viewer, page.stories, request.args)})


@bp.get("/stories/<uuid:story_id>")
def show(story_id):
    story = service.get_story_for(_viewer(), story_id)
    return render_template("stories/show.html", story=story,
                           **{**STORY_PAGE_DEFAULTS, **hooks.story_page_context(_viewer(), story, request.args)},
                           can_moderate=policy.can_moderate_story(_viewer(), story),
                           can_withdraw=policy.can_withdraw_story(_viewer(), story),
                           can_see_consent=policy.can_see_consent(_viewer(), story))


def _community_choices(account):
    locale = str(get_locale())
    if account.is_admin:
        communities = db.session.scalars(select(Community).order_by(Community.slug)).all()
    else:
        communities = sorted((m.community for m in account.memberships), key=lambda c: c.slug)
    return [SelectChoice(c.slug, c.name_for(locale)) for c in communities]


def _write_page(form, status=200, pii=()):
    return render_template("stories/write.html", form=form, kept_files=SimpleNamespace(media=list(form.kept_media.data or [])),
                           pii=pii, pii_labels=disclosure.kind_labels() if pii else {},
                           **{**WRITE_PAGE_DEFAULTS, **hooks.write_page_context(current_user, form)}), status


def _needs_confirmation(form, content) -> bool:
    """A public story with a photo or a recording is shown back, as it will be published,
    before it is (#17): until the person pressed Send on that page, and again when a new file
    came with the form (one they have not seen stored)."""
    new_files = any(getattr(f.data, "filename", None) for f in (form.photo, form.audio))
    return content.visibility == "public" and bool(content.media) and (form.confirmed.data != "1" or new_files)


def _confirm_page(form, content):
    """What others will see and hear: the stored photo and (disguised) recording, the text,
    who may read it and under which name. Nothing is published yet; Send posts the same form
    again with its files by SHA-256 (kept_media) and confirmed=1."""
    if content.author_display == "anonymous":
        shown_as = None
    elif content.author_display == "name":
        shown_as = current_user.shown_name
    else:
        shown_as = current_user.username
    return render_template("stories/confirm.html", form=form, content=content, shown_as=shown_as,
                           media_of=SimpleNamespace(media=list(content.media)))


def _second_look(form):
    """No JavaScript (#17): personal data in the title or text is asked about once (the page
    again, with a choice per span), then stored as chosen. A post carrying a photo or a
    recording is not asked about: the page again would lose the file."""
    community = db.session.scalar(select(Community).where(Community.slug == form.community.data))
    names = member_names(community.id, current_user.id) if community else []
    fields, asked = disclosure.second_look(request.form, {"title": form.title.data or "", "body": form.body.data or ""},
                                           form.language.data, names)
    if asked and any(f.filename for f in request.files.values()):
        asked = []
    form.title.data, form.body.data = fields["title"], fields["body"]
    return asked


@bp.route("/write", methods=["GET", "POST"])
@login_required
def write():
    form = StoryForm()
    form.community.choices = _community_choices(current_user)
    if not form.community.choices:
        return render_template("stories/no_community.html"), 403
    if request.method == "GET":
        form.id.data = str(uuid7())  # time first, as the PWA makes a story's id (docs/sync.md, Ids)
        form.language.data = str(get_locale())
        return _write_page(form)
    if request.form.get("change"):
        # "Go back and change" on the confirmation page: the form as it was, its files kept.
        return _write_page(form)
    if form.validate_on_submit():
        asked = _second_look(form)
        if asked:
            return _write_page(form, pii=asked)
        try:
            story_id = parse_story_id(form.id.data)
            # The photo and recording (media/, stored here), the event chosen (events/).
            extra = hooks.form_content(current_user, form)
            # Stored now: a form shown again (a refusal, the confirmation) keeps them.
            form.kept_media.data = list(extra.get("media") or [])
            content = validate_content({
                "media": [], "title": form.title.data, "body": form.body.data, "language": form.language.data,
                "community": form.community.data, "visibility": form.visibility.data,
                "author_display": form.author_display.data, "place": form.place.data or "",
                "about_minor": bool(form.about_minor.data), "event": None,
                "consent": {"kind": "self", "guardian": bool(form.guardian_consent.data)},
                **extra})
            if _needs_confirmation(form, content):
                return _confirm_page(form, content)
            outcome = service.write_one(current_user, story_id, content, base_etag=form.base_etag.data or None)
        except Problem as problem:
            field = getattr(form, (problem.field or "").split(".")[0], None)
            if field is not None and hasattr(field, "errors") and problem.field != "id":
                field.errors = list(field.errors) + [problem.message]
            else:
                flash(problem.message, "error")
            return _write_page(form, problem.status)
        if outcome.result == service.CONFLICT:
            flash(_("This story was changed elsewhere. Your text is kept as a separate version."), "warning")
        elif outcome.result == service.REJECTED:
            flash(outcome.problem.message, "error")
            return _write_page(form, outcome.problem.status)
        elif outcome.result == service.MEDIA_MISSING:
            flash(_("Some media files have not arrived yet."), "error")
            return _write_page(form, 409)
        elif outcome.story.status == "published":
            flash(_("Your story is published."), "success")
        else:
            flash(_("Thank you! Your story is waiting for review by a facilitator."), "success")
        return redirect(url_for("stories.show", story_id=story_id))
    return _write_page(form, 400)


@bp.post("/stories/<uuid:story_id>/withdraw")
@login_required
def withdraw(story_id):
    story = service.get_story_for(current_user, story_id)
    if not policy.can_withdraw_story(current_user, story):
        abort(403)
    service.withdraw_one(current_user, story_id)
    flash(_("Your story was withdrawn and deleted."), "success")
    return redirect(url_for("stories.feed"))
