import uuid

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import policy
from ..errors import Problem
from ..events import service as events
from ..extensions import db
from ..media.service import ingest_form_files
from . import bp, service
from .forms import SelectChoice, StoryForm
from ..translations import service as translations
from .schema import clean_language, parse_story_id, validate_content


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.get("/")
def feed():
    viewer = _viewer()
    language = request.args.get("language") or None
    if language:
        try:
            language = clean_language(language)
        except Problem:
            language = None  # an unknown tag filters nothing rather than failing the page
    # The original or a published translation in that language (translations/).
    where = (translations.language_clause(language),) if language else ()
    # Keyset pages (?older=, ?newer=); an old ?page=N link shows the newest page.
    page = service.feed_page(viewer, current_app.config["FEED_PAGE_SIZE"], where=where,
                             older=request.args.get("older"), newer=request.args.get("newer"))
    return render_template("stories/feed.html", stories=page.stories, newer=page.newer, older=page.older,
                           language=language, languages=translations.feed_languages(viewer),
                           translated=translations.for_feed(page.stories, language or None))


@bp.get("/stories/<uuid:story_id>")
def show(story_id):
    story = service.get_story_for(_viewer(), story_id)
    event = events.told_at(_viewer(), story)
    return render_template("stories/show.html", story=story, event=event,
                           **translations.story_page(_viewer(), story, request.args),
                           can_moderate=policy.can_moderate_story(_viewer(), story),
                           can_withdraw=policy.can_withdraw_story(_viewer(), story),
                           can_see_consent=policy.can_see_consent(_viewer(), story))


def _community_choices(account):
    from ..communities.models import Community
    locale = str(get_locale())
    if account.is_admin:
        communities = db.session.scalars(select(Community).order_by(Community.slug)).all()
    else:
        communities = sorted((m.community for m in account.memberships), key=lambda c: c.slug)
    return [SelectChoice(c.slug, c.name_for(locale)) for c in communities]


def _write_page(form, status=200):
    return render_template("stories/write.html", form=form,
                           event_groups=events.events_for_stories(current_user)), status


@bp.route("/write", methods=["GET", "POST"])
@login_required
def write():
    form = StoryForm()
    form.community.choices = _community_choices(current_user)
    if not form.community.choices:
        return render_template("stories/no_community.html"), 403
    if request.method == "GET":
        form.id.data = str(uuid.uuid4())
        form.language.data = str(get_locale())
        return _write_page(form)
    if form.validate_on_submit():
        try:
            story_id = parse_story_id(form.id.data)
            media = ingest_form_files(current_user, photo=form.photo.data, audio=form.audio.data)
            content = validate_content({
                "media": media, "title": form.title.data, "body": form.body.data, "language": form.language.data,
                "community": form.community.data, "visibility": form.visibility.data,
                "author_display": form.author_display.data, "place": form.place.data or "",
                "about_minor": bool(form.about_minor.data), "event": events.parse_event_choice(form.event.data),
                "consent": {"kind": "self", "guardian": bool(form.guardian_consent.data)}})
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
