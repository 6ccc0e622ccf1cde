"""Replying, reacting, deleting a reply, moderating one and turning replies off: plain HTML forms
under a story. Thin: the logic is in service.py, the checks in policy.py. Phones use the sync
(records.py), not these."""
import uuid

from flask import flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import disclosure
from ..accounts.models import names_seen_by
from ..errors import Problem
from ..extensions import db
from ..stories.models import Story
from . import bp, service
from .forms import ReplyActionForm, ReplyForm


def _back(story_id, anchor="replies"):
    return redirect(url_for("stories.show", story_id=story_id, _anchor=anchor))


def _checked() -> None:
    if not ReplyActionForm().validate_on_submit():
        raise Problem("bad_request", status=400)


def _sync_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise Problem("bad_id", field="id") from None


@bp.post("/stories/<uuid:story_id>/replies")
@login_required
def add(story_id):
    form = ReplyForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(story_id, "reply")
    # No JavaScript (#17): personal data in the words is asked about once, on a page of its own
    # (not with a recording: the page could not carry the file).
    body = form.body.data or ""
    if not form.audio.data:
        story = db.session.get(Story, story_id)
        names = names_seen_by(current_user, story.community_id if story is not None else None)
        fields, asked = disclosure.second_look(request.form, {"body": body}, str(get_locale()), names)
        if asked:
            return disclosure.second_look_page(request.form, asked)
        body = fields["body"]
    try:
        _result, reply = service.add_reply(current_user, story_id, body, _sync_id(form.id.data),
                                           audio=form.audio.data, disguise=form.disguise_voice.data)
    except Problem as problem:
        if problem.status == 404:
            raise
        flash(problem.message, "error")
        return _back(story_id, "reply")
    if reply.status == "published":
        flash(_("Thank you! Your reply is published."), "success")
    else:
        flash(_("Thank you! Your reply is waiting for review by a facilitator."), "success")
    return _back(story_id)


@bp.post("/stories/<uuid:story_id>/reactions/<kind>")
@login_required
def react(story_id, kind):
    _checked()
    service.toggle_reaction(current_user, story_id, kind)
    return _back(story_id, "reactions")


@bp.post("/stories/<uuid:story_id>/replies/<uuid:reply_id>/delete")
@login_required
def delete(story_id, reply_id):
    _checked()
    service.remove_reply(current_user, reply_id)
    flash(_("The reply was deleted."), "success")
    return _back(story_id)


@bp.post("/stories/<uuid:story_id>/replies/<uuid:reply_id>/<action>")
@login_required
def moderate(story_id, reply_id, action):
    _checked()
    service.moderate_reply(current_user, reply_id, action)
    flash(_("Reply published.") if action == service.PUBLISH else _("Reply hidden."), "success")
    return _back(story_id)


@bp.post("/stories/<uuid:story_id>/replies-off")
@login_required
def turn_off(story_id):
    _checked()
    service.switch_replies(current_user, story_id, True)
    flash(_("Replies to this story are turned off. The replies already there stay."), "success")
    return _back(story_id)


@bp.post("/stories/<uuid:story_id>/replies-on")
@login_required
def turn_on(story_id):
    _checked()
    service.switch_replies(current_user, story_id, False)
    flash(_("Replies to this story are turned on."), "success")
    return _back(story_id)
