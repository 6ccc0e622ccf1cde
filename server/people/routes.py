"""Facilitators' pages for their communities (admins: every community). Thin: logic is in
service.py, accounts/codes.py and privacy/service.py; every check is in policy.py."""
import io

import segno
from flask import (current_app, flash, redirect, render_template, request, send_file, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from .. import policy
from ..accounts import codes
from ..accounts.models import JoinCode
from ..errors import Problem
from ..events import service as events
from ..extensions import db
from ..privacy import service as privacy
from ..records import uuid7
from ..stories import service as stories
from ..stories.forms import StoryForm
from ..stories.schema import parse_story_id, validate_content
from ..userinput import SelectChoice
from . import bp, service
from .forms import ConsentForm, DeletePersonForm, JoinCodeForm, ManagedPersonForm


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def qr_svg(text: str, title: str) -> Markup:
    """An inline SVG QR code: presentation attributes only (no style, no script), so the
    strict CSP lets it render and printers print it."""
    qr = segno.make(text, error="m")
    return Markup(qr.svg_inline(scale=6, border=4, dark="#000", light="#fff", title=str(escape(title))))


@bp.get("/communities")
@login_required
def index():
    communities = service.overview(current_user)
    if not communities:
        raise Problem("forbidden", status=403)
    return render_template("people/index.html", communities=communities)


@bp.get("/communities/<slug>/people")
@login_required
def community(slug):
    community = service.community_for(current_user, slug)
    return _no_store(render_template(
        "people/community.html", community=community, members=service.members(current_user, community),
        join_codes=codes.join_codes_for(current_user, community), code_form=JoinCodeForm(),
        person_form=ManagedPersonForm(), now=codes.utcnow(), policy=policy))


@bp.post("/communities/<slug>/join-codes")
@login_required
def create_join_code(slug):
    community = service.community_for(current_user, slug)
    form = JoinCodeForm()
    if not form.validate_on_submit():
        flash(_("Please check the number of days and uses."), "error")
        return redirect(url_for("people.community", slug=slug))
    code, record = codes.create_join_code(current_user, community, days=form.days.data,
                                          max_uses=form.max_uses.data, label=form.label.data or "")
    join_url = url_for("accounts.join", code=code, _external=True)
    # Shown once: only a hash is stored. The page is made to be printed for a wall.
    return _no_store(render_template("people/join_code.html", community=community, code=code, record=record,
                                     join_url=join_url, qr=qr_svg(join_url, _("Join code"))))


@bp.post("/communities/<slug>/join-codes/<int:code_id>/revoke")
@login_required
def revoke_join_code(slug, code_id):
    community = service.community_for(current_user, slug)
    record = db.session.get(JoinCode, code_id)
    if record is None or record.community_id != community.id:
        raise Problem("not_found", status=404)
    codes.revoke_join_code(current_user, code_id)
    flash(_("The join code no longer works."), "success")
    return redirect(url_for("people.community", slug=slug))


@bp.post("/communities/<slug>/people/<int:account_id>/reset-code")
@login_required
def reset_code(slug, account_id):
    community = service.community_for(current_user, slug)
    person = service.member_for(current_user, community, account_id)
    code, record = codes.issue_reset_code(current_user, person)
    return _no_store(render_template("people/reset_code.html", community=community, person=person,
                                     code=code, record=record))


@bp.post("/communities/<slug>/managed")
@login_required
def create_managed(slug):
    community = service.community_for(current_user, slug)
    form = ManagedPersonForm()
    if not form.validate_on_submit():
        flash(_("Please give the name or pseudonym the person chose."), "error")
        return redirect(url_for("people.community", slug=slug))
    try:
        person = service.create_managed(current_user, community, form.display_name.data, form.username.data or None)
    except Problem as problem:
        flash(problem.message, "error")
        return redirect(url_for("people.community", slug=slug))
    return redirect(url_for("people.record", slug=slug, account_id=person.id))


class RecordForm(StoryForm, ConsentForm):
    pass


def _event_groups(community):
    """The "Told at event" select of the record form: this community's recent events."""
    recent = events.events_of(community, events.FORM_EVENTS_PER_COMMUNITY)
    return [(community, recent)] if recent else []


@bp.route("/communities/<slug>/people/<int:account_id>/record", methods=["GET", "POST"])
@login_required
def record(slug, account_id):
    """Record a story for a managed participant, with their consent."""
    community = service.community_for(current_user, slug)
    person = service.member_for(current_user, community, account_id)
    if not policy.can_record_for(current_user, person, community.id):
        raise Problem("not_found", status=404)
    form = RecordForm()
    form.community.choices = [SelectChoice(community.slug, community.name_for(str(get_locale())))]
    form.community.data = community.slug
    if request.method == "GET":
        form.id.data = str(uuid7())  # time first, as the PWA makes a story's id (docs/sync.md, Ids)
        return render_template("people/record.html", form=form, community=community, person=person,
                               event_groups=_event_groups(community),
                               stories=service.recorded_stories(current_user, person))
    if form.validate_on_submit():
        try:
            content = validate_content({
                "title": form.title.data, "body": form.body.data, "language": form.language.data,
                "community": community.slug, "visibility": form.visibility.data,
                "author_display": form.author_display.data, "place": form.place.data or "",
                "about_minor": bool(form.about_minor.data), "event": events.parse_event_choice(form.event.data),
                "consent": {"kind": form.consent_kind.data, "recorded_by": current_user.username,
                            "guardian": bool(form.guardian_consent.data)}})
            outcome = service.record_for(current_user, person, parse_story_id(form.id.data), content)
        except Problem as problem:
            target = getattr(form, (problem.field or "").split(".")[0], None)
            if problem.field == "consent.guardian":
                target = form.guardian_consent
            if target is not None and hasattr(target, "errors") and problem.field != "id":
                target.errors = list(target.errors) + [problem.message]
            else:
                flash(problem.message, "error")
            return render_template("people/record.html", form=form, community=community, person=person,
                                   event_groups=_event_groups(community),
                                   stories=service.recorded_stories(current_user, person)), problem.status
        if outcome.result not in stories.ACKNOWLEDGED:
            flash(outcome.problem.message if outcome.problem else _("The story could not be stored."), "error")
            return render_template("people/record.html", form=form, community=community, person=person,
                                   event_groups=_event_groups(community),
                                   stories=service.recorded_stories(current_user, person)), 409
        flash(_("The story is stored, with the person's consent. It waits for review."), "success")
        return redirect(url_for("people.record", slug=slug, account_id=person.id))
    return render_template("people/record.html", form=form, community=community, person=person,
                           event_groups=_event_groups(community),
                           stories=service.recorded_stories(current_user, person)), 400


@bp.get("/communities/<slug>/people/<int:account_id>/data.zip")
@login_required
def person_data(slug, account_id):
    community = service.community_for(current_user, slug)
    person = service.member_for(current_user, community, account_id)
    data = privacy.export_zip(current_user, person)
    return _zip_response(data, person.username)


@bp.route("/communities/<slug>/people/<int:account_id>/delete", methods=["GET", "POST"])
@login_required
def delete_person(slug, account_id):
    community = service.community_for(current_user, slug)
    person = service.member_for(current_user, community, account_id)
    if not privacy.can_act_for(current_user, person):
        raise Problem("not_found", status=404)
    form = DeletePersonForm()
    if form.validate_on_submit():
        privacy.delete_account(current_user, person, form.stories.data)
        flash(_("The person's account and data were deleted."), "success")
        return redirect(url_for("people.community", slug=slug))
    return render_template("people/delete_person.html", form=form, community=community, person=person), \
        (400 if form.errors else 200)


def _zip_response(data: bytes, username: str):
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"kultialogo-{username}.zip")
    response.headers["Cache-Control"] = "no-store"
    return response
