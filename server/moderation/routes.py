from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.auth import api_requester
from ..api.body import read_json
from ..errors import Problem
from ..extensions import csrf, db
from ..stories import service as stories
from ..stories.forms import ModerationForm
from ..stories.models import STATUS_PENDING, Story
from ..stories.schema import parse_story_id
from . import bp


def review_queue(viewer) -> list[Story]:
    """Pending stories in the communities this viewer moderates, oldest first."""
    query = select(Story).where(Story.status == STATUS_PENDING).order_by(Story.received_at, Story.id)
    if not viewer.is_admin:
        ids = viewer.facilitated_community_ids()
        if not ids:
            return []
        query = query.where(Story.community_id.in_(ids))
    return list(db.session.scalars(query))


@bp.get("/review")
@login_required
def queue():
    if not (current_user.is_admin or current_user.facilitated_community_ids()):
        abort(403)
    return render_template("moderation/queue.html", stories=review_queue(current_user), form=ModerationForm())


@bp.post("/review/<uuid:story_id>/<action>")
@login_required
def act(story_id, action):
    form = ModerationForm()
    if not form.validate_on_submit():
        abort(400)
    stories.moderate(current_user, story_id, action, form.reason.data or "")
    messages = {"publish": _("Story published."), "reject": _("Story rejected."),
                "hide": _("Story hidden."), "unhide": _("Story visible again.")}
    flash(messages.get(action, _("Done.")), "success")
    target = request.args.get("next")
    if target == "story":
        return redirect(url_for("stories.show", story_id=story_id))
    return redirect(url_for("moderation.queue"))


@bp.post("/api/v1/stories/<story_id>/moderation")
@csrf.exempt
def api_moderate(story_id):
    actor = api_requester(required=True)
    body = read_json(16 * 1024)
    if not isinstance(body, dict):
        raise Problem("bad_request", status=400)
    action = body.get("action")
    if not isinstance(action, str):
        raise Problem("missing_field" if action is None else "bad_type", field="action")
    reason = body.get("reason", "")
    if reason is None:
        reason = ""
    try:
        sid = parse_story_id(story_id)
    except Problem:
        raise Problem("not_found", status=404) from None
    story = stories.moderate(actor, sid, action, reason)
    return jsonify(stories.story_view(story, actor))
