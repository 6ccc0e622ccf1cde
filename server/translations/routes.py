"""Adding, removing and reviewing translations: plain HTML forms and the API. Thin: the logic is
in service.py, the checks in policy.py."""
from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import disclosure, limits
from ..accounts.auth import api_requester
from ..accounts.models import names_seen_by
from ..api.body import read_json
from ..errors import Problem
from ..extensions import csrf, db
from ..stories.models import Story
from ..stories.schema import parse_story_id
from ..timeutil import isoformat
from . import bp, service
from .forms import TranslationActionForm, TranslationForm


def _story_id(value):
    try:
        return parse_story_id(value)
    except Problem:
        raise Problem("not_found", status=404) from None


# --- HTML forms -----------------------------------------------------------------------------

@bp.post("/stories/<uuid:story_id>/translations")
@login_required
def add(story_id):
    form = TranslationForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("stories.show", story_id=story_id, _anchor="translate"))
    # No JavaScript (#17): personal data in the words is asked about once, on a page of its own.
    story = db.session.get(Story, story_id)
    names = names_seen_by(current_user, story.community_id if story is not None else None)
    fields, asked = disclosure.second_look(request.form, {"title": form.title.data or "", "body": form.body.data or ""},
                                           form.language.data, names)
    if asked:
        return disclosure.second_look_page(request.form, asked)
    try:
        _result, translation = service.put(current_user, story_id, form.language.data, {
            "title": fields["title"], "body": fields["body"],
            "translator_display": form.translator_display.data})
    except Problem as problem:
        if problem.status == 404:
            raise
        flash(problem.message, "error")
        return redirect(url_for("stories.show", story_id=story_id, _anchor="translate"))
    if translation.status == "published":
        flash(_("Thank you! Your translation is published."), "success")
    else:
        flash(_("Thank you! Your translation is waiting for review by a facilitator."), "success")
    return redirect(url_for("stories.show", story_id=story_id, translation=translation.language))


@bp.post("/stories/<uuid:story_id>/translations/<language>/delete")
@login_required
def delete(story_id, language):
    if not TranslationActionForm().validate_on_submit():
        raise Problem("bad_request", status=400)
    service.remove(current_user, story_id, language)
    flash(_("The translation was deleted."), "success")
    return redirect(url_for("stories.show", story_id=story_id))


@bp.post("/review/translations/<int:translation_id>/<action>")
@login_required
def review(translation_id, action):
    if not TranslationActionForm().validate_on_submit():
        raise Problem("bad_request", status=400)
    service.review(current_user, translation_id, action)
    flash(_("Translation published.") if action == service.PUBLISH else _("Translation rejected and deleted."),
          "success")
    return redirect(url_for("moderation.queue", community=request.args.get("community") or None))


# --- API ------------------------------------------------------------------------------------

def _translation_json(translation):
    return {"language": translation.language, "title": translation.title, "body": translation.body,
            "translator": service.translator_label(translation), "status": translation.status,
            "updated_at": isoformat(translation.updated_at)}


@bp.put("/api/v1/stories/<story_id>/translations/<language>")
@csrf.exempt
def api_put(story_id, language):
    actor = api_requester(required=True)
    body = read_json(limits.STORY_BODY_MAX * 4 + 16 * 1024)
    result, translation = service.put(actor, _story_id(story_id), language, body)
    response = jsonify({"result": result, "story": str(translation.story_id), **_translation_json(translation)})
    response.status_code = 201 if result == service.CREATED else 200
    return response


@bp.delete("/api/v1/stories/<story_id>/translations/<language>")
@csrf.exempt
def api_delete(story_id, language):
    actor = api_requester(required=True)
    service.remove(actor, _story_id(story_id), language)
    return "", 204


@bp.app_template_global()
def translator_name(translation) -> str | None:
    return service.translator_label(translation)
