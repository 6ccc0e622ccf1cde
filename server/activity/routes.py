"""Follow and unfollow (plain forms that work without JavaScript) and the /activity page.
Thin: the logic is in service.py."""
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import Problem
from . import bp, service
from .forms import FollowForm

_TARGETS = {service.COMMUNITY: service.community_target, service.STORY: service.story_target}


def _back(form, default: str):
    target = form.next.data or ""
    # only a path on this site: never an open redirect
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = default
    return redirect(target)


def _toggle(kind: str, value, following: bool):
    form = FollowForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    if following:
        service.follow(current_user, _TARGETS[kind], value)
        flash(_("You follow it now: new stories appear in your activity."), "success")
    else:
        service.unfollow(current_user, _TARGETS[kind], value)
        flash(_("You no longer follow it."), "success")
    return _back(form, url_for("activity.page"))


@bp.post("/follow/community/<slug>")
@login_required
def follow_community(slug):
    return _toggle(service.COMMUNITY, slug, True)


@bp.post("/unfollow/community/<slug>")
@login_required
def unfollow_community(slug):
    return _toggle(service.COMMUNITY, slug, False)


@bp.post("/follow/story/<uuid:story_id>")
@login_required
def follow_story(story_id):
    return _toggle(service.STORY, story_id, True)


@bp.post("/unfollow/story/<uuid:story_id>")
@login_required
def unfollow_story(story_id):
    return _toggle(service.STORY, story_id, False)


@bp.get("/activity")
@login_required
def page():
    response = make_response(render_template(
        "activity/page.html", entries=service.activity_for(current_user),
        follows=service.follows_of(current_user.id), follow_form=FollowForm(),
        suggested=service.communities_to_follow(current_user)))
    response.headers["Cache-Control"] = "no-store"  # a person's own news (help requests too): no shared cache
    return response
