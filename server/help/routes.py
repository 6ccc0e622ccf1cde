"""Help pages: thin views over help/service.py; every check is in kultialogo.policy.

/help: the person's own requests and the form to ask; /help/<id>: one request's private
thread; /help/queue: the open requests of the communities a mediator or coach helps in.
Anyone who may not see a request gets 404, as if it did not exist.
"""
import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import limits, policy
from ..attachments import ingest_recording
from ..accounts.models import Account
from ..errors import Problem
from ..extensions import db
from ..userinput import SelectChoice
from . import bp, service
from .forms import ClaimForm, CloseForm, HelpMessageForm, HelpRequestForm
from .labels import OUTCOME_LABELS, STATE_LABELS, TOPIC_LABELS


@bp.app_context_processor
def _labels():
    return {"help_topic_labels": TOPIC_LABELS, "help_state_labels": STATE_LABELS,
            "help_outcome_labels": OUTCOME_LABELS, "help_recordings": service.recordings}


def _private(body, status=200):
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"  # private: never kept by a shared cache
    return response


def _parse_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Problem("bad_id", field="id") from None


def _ask_form() -> HelpRequestForm:
    form = HelpRequestForm()
    locale = str(get_locale())
    form.community.choices = [SelectChoice(c.slug, c.name_for(locale))
                              for c in service.askable_communities(current_user)]
    behalf = [SelectChoice("", _("Myself"))]
    for community, members in service.people_to_ask_for(current_user):
        # The person's uid, as the phone sends it in the record (on_behalf_of).
        behalf += [SelectChoice(f"{community.slug}:{m.uid}", f"{m.shown_name} ({community.name_for(locale)})")
                   for m in members]
    form.on_behalf.choices = behalf
    return form


def _index_page(form, status=200):
    return _private(render_template(
        "help/index.html", form=form, requests=service.requests_of(current_user),
        helps=bool(current_user.helped_community_ids()), on_behalf=len(form.on_behalf.choices) > 1), status)


@bp.route("/help", methods=["GET", "POST"])
@login_required
def index():
    form = _ask_form()
    if request.method == "GET":
        form.id.data = str(uuid.uuid4())
        form.language.data = str(get_locale()).split("_")[0]
        return _index_page(form)
    if not form.community.choices:
        raise Problem("not_member", status=403, field="community")
    if not form.validate_on_submit():
        return _index_page(form, 400)
    try:
        has_recording = bool(getattr(form.audio.data, "filename", None))
        topic, language, body = service.clean_request(form.topic.data, form.language.data, form.body.data,
                                                      has_recording)
        community = next(m.community for m in current_user.memberships if m.community.slug == form.community.data)
        asker, consent = None, "self"
        if form.on_behalf.data:
            slug, _sep, uid = form.on_behalf.data.partition(":")
            if slug != community.slug:
                raise Problem("help_wrong_community", field="on_behalf")
            asker = db.session.scalar(select(Account).where(Account.uid == _parse_id(uid)))
            consent = form.consent_kind.data
        # Stored through the media pipeline (checked by content, audio only) before the request.
        media = ingest_recording(current_user, form.audio.data, "audio", limits.REPLY_AUDIO_MAX_BYTES)
        with service.writing() as revs:
            outcome = service.ask(current_user, community.id, topic, language, body, revs,
                                  sync_id=_parse_id(form.id.data), asker=asker, consent_kind=consent,
                                  media=media)
    except Problem as problem:
        target = getattr(form, (problem.field or "").split(".")[0], None)
        if target is not None and hasattr(target, "errors") and problem.field != "id":
            target.errors = list(target.errors) + [problem.message]
        else:
            flash(problem.message, "error")
        return _index_page(form, problem.status)
    if outcome.result == service.CONFLICT:
        flash(_("This request was already sent with other words."), "error")
        return _index_page(form, 409)
    if asker is not None:
        flash(_("The request is stored, with the person's consent. Their community's mediators and coaches will see it."), "success")
        return redirect(url_for("help.index"))
    flash(_("Your request is sent. Only the mediators and coaches of your community can see it."), "success")
    return redirect(url_for("help.show", request_id=outcome.request.sync_id))


def _show_page(found, form=None, status=200):
    return _private(render_template(
        "help/show.html", req=found, form=form or HelpMessageForm(), close_form=CloseForm(), claim_form=ClaimForm(),
        may_answer=policy.can_answer_help_request(current_user, found),
        may_claim=policy.can_claim_help_request(current_user, found),
        may_close=policy.can_close_help_request(current_user, found),
        is_helper=policy.helps_in(current_user, found.community_id)), status)


@bp.get("/help/<uuid:request_id>")
@login_required
def show(request_id):
    found = service.get_for(current_user, request_id)
    form = HelpMessageForm()
    form.id.data = str(uuid.uuid4())
    return _show_page(found, form)


@bp.post("/help/<uuid:request_id>/messages")
@login_required
def answer(request_id):
    found = service.get_for(current_user, request_id)
    form = HelpMessageForm()
    if not form.validate_on_submit():
        return _show_page(found, form, 400)
    try:
        body = service.clean_message(form.body.data, bool(getattr(form.audio.data, "filename", None)))
        if not policy.can_answer_help_request(current_user, found):
            raise Problem("help_closed" if found.state == "closed" else "forbidden", status=409 if found.state == "closed" else 403)
        media = ingest_recording(current_user, form.audio.data, "audio", limits.REPLY_AUDIO_MAX_BYTES)
        with service.writing() as revs:
            found = service.get_for(current_user, request_id)
            outcome = service.answer(current_user, found, body, revs, sync_id=_parse_id(form.id.data),
                                     media=media)
    except Problem as problem:
        target = form.audio if problem.field == "audio" else form.body
        target.errors = list(target.errors) + [problem.message]
        return _show_page(service.get_for(current_user, request_id), form, problem.status)
    if outcome.result == service.CREATED:
        flash(_("Your message is sent."), "success")
    return redirect(url_for("help.show", request_id=request_id))


@bp.post("/help/<uuid:request_id>/claim")
@login_required
def claim(request_id):
    service.get_for(current_user, request_id)
    if not ClaimForm().validate_on_submit():
        raise Problem("csrf_failed", status=400)
    with service.writing() as revs:
        service.claim(current_user, service.get_for(current_user, request_id), revs)
    flash(_("You are now helping with this request."), "success")
    return redirect(url_for("help.show", request_id=request_id))


@bp.post("/help/<uuid:request_id>/close")
@login_required
def close(request_id):
    service.get_for(current_user, request_id)
    form = CloseForm()
    if not form.validate_on_submit():
        raise Problem("bad_help_outcome", field="outcome")
    with service.writing() as revs:
        service.close(current_user, service.get_for(current_user, request_id), form.outcome.data, revs)
    flash(_("The request is closed."), "success")
    return redirect(url_for("help.show", request_id=request_id))


@bp.get("/help/queue")
@login_required
def queue():
    if not current_user.helped_community_ids():
        raise Problem("not_found", status=404)
    return _private(render_template("help/queue.html", queue=service.queue(current_user)))
