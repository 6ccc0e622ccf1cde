"""Events pages: thin views over events/service.py; every check is in policy.py."""
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..errors import Problem
from . import bp, service
from .forms import AttendanceForm, DeleteEventForm, EventForm, tally_field_name
from .labels import ANSWER_LABELS, DIMENSION_NAMES, KIND_LABELS
from .models import DIMENSIONS

STORIES_ON_EVENT_PAGE = 20


@bp.app_context_processor
def _labels():
    return {"event_kind_labels": KIND_LABELS}


@bp.get("/events")
@login_required
def index():
    communities = service.communities_for(current_user)
    if len(communities) == 1:
        return redirect(url_for("events.community", slug=communities[0].slug))
    return render_template("events/index.html", communities=communities)


@bp.get("/communities/<slug>/events")
@login_required
def community(slug):
    community = service.community_for(current_user, slug)
    return render_template("events/community.html", community=community, events=service.events_of(community),
                           can_manage=policy.can_manage_events(current_user, community.id))


def _show_error(form, problem: Problem) -> None:
    field = getattr(form, (problem.field or "").split(".")[0], None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [problem.message]
    else:
        flash(problem.message, "error")


def _details(form):
    return service.clean_details(form.kind.data, form.title.data, form.starts_on.data, form.ends_on.data,
                                 form.place.data or "")


@bp.route("/communities/<slug>/events/new", methods=["GET", "POST"])
@login_required
def create(slug):
    community = service.community_for(current_user, slug, manage=True)
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = service.create_event(current_user, community, _details(form))
        except Problem as problem:
            _show_error(form, problem)
            return render_template("events/edit.html", form=form, community=community, event=None), problem.status
        flash(_("The event is saved. You can record who came now or later."), "success")
        return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/edit.html", form=form, community=community, event=None), \
        (400 if form.errors else 200)


@bp.get("/events/<int:event_id>")
@login_required
def show(event_id):
    event = service.event_for(current_user, event_id)
    can_manage = policy.can_manage_events(current_user, event.community_id)
    told = service.stories_told_at(current_user, event, STORIES_ON_EVENT_PAGE)
    return render_template("events/show.html", event=event, can_manage=can_manage, stories=told,
                           breakdown=service.breakdown(event) if can_manage and event.head_count is not None else None,
                           dimensions=DIMENSIONS, dimension_names=DIMENSION_NAMES, answer_labels=ANSWER_LABELS)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    event = service.event_for(current_user, event_id, manage=True)
    form = EventForm(obj=event)
    if form.validate_on_submit():
        try:
            service.update_event(current_user, event, _details(form))
        except Problem as problem:
            _show_error(form, problem)
            return render_template("events/edit.html", form=form, community=event.community, event=event,
                                   delete_form=DeleteEventForm()), problem.status
        flash(_("The event is saved."), "success")
        return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/edit.html", form=form, community=event.community, event=event,
                           delete_form=DeleteEventForm()), (400 if form.errors else 200)


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id):
    event = service.event_for(current_user, event_id, manage=True)
    form = DeleteEventForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that the event should be deleted."), "error")
        return redirect(url_for("events.edit", event_id=event.id))
    slug = event.community.slug
    service.delete_event(current_user, event)
    flash(_("The event was deleted."), "success")
    return redirect(url_for("events.community", slug=slug))


def _attendance_from(form, members) -> service.Attendance:
    """The attendance as the form sent it (checked by the service, not here)."""
    attendees = {}
    for person in members:
        if request.form.get(f"present-{person.id}"):
            attendees[person.id] = {d: request.form.get(f"{d}-{person.id}") or None for d in DIMENSIONS}
    tallies = {d: {v: form[tally_field_name(d, v)].data or 0 for v in values} for d, values in DIMENSIONS.items()}
    return service.Attendance(head_count=form.head_count.data, attendees=attendees, tallies=tallies)


def _story_ids(name: str) -> set[uuid.UUID]:
    """The story ids a list of checkboxes sent; anything else is not a story and is dropped."""
    out = set()
    for value in request.form.getlist(name):
        try:
            out.add(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    return out


def _attendance_page(event, form, members, chosen, errors=None, dimension_errors=None, status=200, ticked=None):
    stories = service.stories_to_tick(current_user, event)
    if ticked is not None:  # a form sent back with a fault: ticked as it was sent
        stories = [(story, line_id, story.id in ticked) for story, line_id, _was in stories]
    return render_template("events/attendance.html", event=event, form=form, members=members, chosen=chosen,
                           person_errors=errors or {}, dimension_errors=dimension_errors or {},
                           dimensions=DIMENSIONS, dimension_names=DIMENSION_NAMES,
                           answer_labels=ANSWER_LABELS, field_name=tally_field_name, stories=stories,
                           base_etag=service.quoted_etag(event) if event.head_count is not None else ""), status


@bp.route("/events/<int:event_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(event_id):
    event = service.event_for(current_user, event_id, manage=True)
    members = service.members_of(event.community)
    form = AttendanceForm()
    if request.method == "GET":
        form.head_count.data = event.head_count
        for tally in event.tallies:
            form[tally_field_name(tally.dimension, tally.value)].data = tally.count
        chosen = {a.account_id: {"gender": a.gender, "age": a.age, "origin": a.origin}
                  for a in event.attendees if a.account_id is not None}
        return _attendance_page(event, form, members, chosen)
    told = service.Told(ticked=_story_ids("told"), offered=_story_ids("told_offered"))
    if not form.validate_on_submit():
        return _attendance_page(event, form, members, _attendance_from_request(members), status=400,
                                ticked=told.ticked)
    recorded = _attendance_from(form, members)
    chosen = recorded.attendees
    try:
        service.record_attendance(current_user, event, recorded, told)
    except Problem as problem:
        person_errors, dimension_errors = {}, {}
        if problem.field and "-" in problem.field:  # gender-12: one person's answer
            person_errors[problem.field] = problem.message
        elif problem.code == "attendance_over_head_count":  # a whole group of counts: said above them
            dimension_errors[problem.field.split("_")[0]] = problem.message
        else:
            _show_error(form, problem)
        if person_errors or dimension_errors:  # said where it is, and at the top of a long form
            flash(problem.message, "error")
        return _attendance_page(event, form, members, chosen, person_errors, dimension_errors, status=problem.status,
                                ticked=told.ticked)
    flash(_("The attendance is saved."), "success")
    return redirect(url_for("events.show", event_id=event.id))


def _attendance_from_request(members) -> dict:
    return {p.id: {d: request.form.get(f"{d}-{p.id}") or None for d in DIMENSIONS}
            for p in members if request.form.get(f"present-{p.id}")}
