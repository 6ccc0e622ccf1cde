"""The review pages (waiting stories and reports, per community), the report button on a
story, and the moderation and report API. Thin: the logic is in service.py, checks in policy.py."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import disclosure, limits, policy
from ..accounts.auth import api_requester
from ..api.body import read_json
from ..communities.models import Community, communities_among
from ..errors import Problem
from ..extensions import csrf, limiter
from ..i18n import native_digits
from ..stories import service as stories
from ..stories.schema import parse_story_id
from ..timeutil import as_utc, utcnow
from . import bp, redaction, reply_reports, service
from .forms import ModerationForm, ReportForm
from .models import MODERATION_REASONS
from .reasons import moderation_reason_name, moderation_reason_text, report_reason_text


def _viewer():
    return current_user if current_user.is_authenticated else None


# --- Review pages -----------------------------------------------------------------------

def _reviewable_communities(viewer) -> list[Community]:
    return communities_among(service.reviewable_community_ids(viewer))


def _review_context(viewer):
    """The community filter: every community this viewer reviews, with its waiting counts."""
    if not policy.can_review(viewer):
        raise Problem("forbidden", status=403)
    communities = _reviewable_communities(viewer)
    slug = request.args.get("community") or None
    selected = None
    if slug is not None:
        selected = next((c for c in communities if c.slug == slug), None)
        if selected is None:
            raise Problem("not_found", status=404)
    counts = service.queue_counts(viewer)
    locale = str(get_locale())
    communities.sort(key=lambda c: c.name_for(locale).casefold())
    return {"communities": communities, "selected": selected, "counts": counts,
            "totals": (sum(p for p, _r in counts.values()), sum(r for _p, r in counts.values()))}


@bp.get("/review")
@login_required
def queue():
    context = _review_context(current_user)
    community_id = context["selected"].id if context["selected"] else None
    # late: imported with this module, translations would register their story hooks before
    # moderation's (the hooks run in create_app's import order)
    from ..translations.service import review_queue as translations_waiting
    from ..replies.service import review_queue as replies_waiting
    return render_template("moderation/queue.html", tab="pending", form=ModerationForm(),
                           stories=service.review_queue(current_user, community_id),
                           translations=translations_waiting(current_user, community_id),
                           waiting_replies=replies_waiting(current_user, community_id), **context)


@bp.get("/review/reports")
@login_required
def reports():
    context = _review_context(current_user)
    community_id = context["selected"].id if context["selected"] else None
    return render_template("moderation/reports.html", tab="reports", form=ModerationForm(),
                           reported=service.reports_queue(current_user, community_id), **context)


def _back(story_id, default: str):
    """Back where the facilitator was: the story, or the queue with its community filter."""
    target = request.args.get("next") or default
    community = request.args.get("community") or None
    if target == "story":
        return redirect(url_for("stories.show", story_id=story_id))
    if target == "reports":
        return redirect(url_for("moderation.reports", community=community))
    return redirect(url_for("moderation.queue", community=community))


@bp.post("/review/<uuid:story_id>/<action>")
@login_required
def act(story_id, action):
    form = ModerationForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    service.moderate(current_user, story_id, action, form.reason.data or "", form.note.data or "")
    messages = {"publish": _("Story published."), "reject": _("Story rejected. Its author sees why."),
                "hide": _("Story hidden. Its author sees why."), "unhide": _("Story visible again.")}
    flash(messages.get(action, _("Done.")), "success")
    return _back(story_id, "story")


def _span_posted() -> dict:
    """The span a Remove button posts (hidden fields), after the form's CSRF check."""
    if not ModerationForm().validate_on_submit():
        raise Problem("bad_request", status=400)
    try:
        start, end = int(request.form.get("start", "")), int(request.form.get("end", ""))
    except ValueError:
        raise Problem("bad_span", status=400) from None
    return {"start": start, "end": end, "kind": request.form.get("kind", ""),
            "span_digest": request.form.get("digest", "")}


@bp.post("/review/<uuid:story_id>/redact")
@login_required
def redact(story_id):
    """Replace one span of personal data the queue pointed out (moderation/redaction.py)."""
    redaction.redact(current_user, story_id, request.form.get("field", ""), **_span_posted())
    flash(_("Removed. Phones that have the story get the change on their next sync."), "success")
    return _back(story_id, "queue")


@bp.post("/review/replies/<uuid:reply_id>/redact")
@login_required
def redact_reply(reply_id):
    """Replace one span of personal data in a waiting reply (moderation/redaction.py)."""
    redaction.redact_reply(current_user, reply_id, **_span_posted())
    flash(_("Removed. Phones that have the reply get the change on their next sync."), "success")
    return redirect(url_for("moderation.queue", community=request.args.get("community") or None))


@bp.post("/review/reports/<uuid:story_id>/<decision>")
@login_required
def resolve(story_id, decision):
    form = ModerationForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    service.resolve_reports(current_user, story_id, decision, form.reason.data or "", form.note.data or "")
    messages = {service.DISMISS: _("Reports dismissed. The story stays visible."),
                service.HIDE: _("Story hidden. Its author sees why."),
                service.REJECT: _("Story rejected. Its author sees why.")}
    flash(messages.get(decision, _("Done.")), "success")
    return _back(story_id, "reports")


# --- Reporting a story ----------------------------------------------------------------------

def _reporter_key() -> str:
    """One counter per person, whichever way (page, API or a push: service.spend_report_budget)."""
    account = api_requester(required=False) if request.path.startswith("/api/") else _viewer()
    if account is not None:
        return service.reporter_key(account)
    return "report-addr:" + (request.remote_addr or "unknown")


# Only reports the server answered count (refused input, 404s and CSRF failures do not).
_report_rate = limiter.shared_limit(service.report_limits, scope=service.REPORT_SCOPE, key_func=_reporter_key,
                                    error_message="report_rate_limited",
                                    deduct_when=lambda response: response.status_code < 400)


@bp.app_template_global()
def reason_choices():
    """(code, words) for the reason select of a reject or hide, "" first."""
    return [("", _("Choose a reason"))] + [(code, moderation_reason_name(code)) for code in MODERATION_REASONS]


@bp.app_template_global()
def report_reason(code) -> str:
    return report_reason_text(code)


@bp.app_template_global()
def personal_data_in(story) -> dict | None:
    """For the review pages: the spans of personal data in the story, its title and text cut
    at them, and the kinds' names; None when there is none (or the viewer may not moderate)."""
    if not policy.can_moderate_story(_viewer(), story):
        return None
    found = redaction.found_in(story)
    if not found:
        return None
    return {"found": found, "labels": redaction.kind_labels(),
            "body": redaction.pieces(story, "body", found), "title": redaction.pieces(story, "title", found)}


@bp.app_template_global()
def personal_data_in_reply(reply) -> dict | None:
    """personal_data_in() for a reply in the review queue."""
    if not policy.can_moderate_reply(_viewer(), reply.story):
        return None
    found = redaction.found_in_reply(reply)
    if not found:
        return None
    return {"found": found, "labels": redaction.kind_labels(),
            "body": disclosure.pieces(reply.body or "", [f.span for f in found])}


@bp.app_template_global()
def waiting_for(since) -> str:
    """How long something has waited, in words of the reader's language ("3 days ago")."""
    return native_digits(format_timedelta(as_utc(since) - utcnow(), add_direction=True, threshold=1.0))


@bp.app_template_global()
def may_report(story) -> bool:
    """For the story page: the service checks again."""
    return policy.can_report_story(_viewer(), story)


@bp.app_template_global()
def has_reported(story) -> bool:
    return service.has_reported(_viewer(), story.id)


@bp.app_template_global()
def report_form():
    return ReportForm()


@bp.app_template_global()
def moderation_reason_shown(story):
    """(code words, note) of a rejected or hidden story, for its author and its moderators."""
    viewer = _viewer()
    if story.status not in ("rejected", "hidden"):
        return None
    if not (policy.is_author(viewer, story) or policy.can_moderate_story(viewer, story)):
        return None
    if not story.moderation_reason_code and not story.moderation_reason:
        return None
    return {"code": story.moderation_reason_code, "text": moderation_reason_text(story.moderation_reason_code),
            "note": story.moderation_reason}


@bp.post("/stories/<uuid:story_id>/report")
@login_required
@_report_rate
def report_page(story_id):
    form = ReportForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    outcome = service.report(current_user, story_id, form.reason.data, form.note.data or "")
    if outcome.created:
        flash(_("Thank you. The facilitators will look at this story."), "success")
    else:
        flash(_("You have already reported this story. Thank you."), "success")
    # Back to the stories, not to the story: whether it is still there must not tell the
    # reporter how many others reported it.
    return redirect(url_for("stories.feed"))


@bp.post("/api/v1/stories/<story_id>/reports")
@csrf.exempt
@_report_rate
def api_report(story_id):
    actor = api_requester(required=True)
    body = read_json(16 * 1024)
    if not isinstance(body, dict):
        raise Problem("bad_request", status=400)
    try:
        sid = parse_story_id(story_id)
    except Problem:
        raise Problem("not_found", status=404) from None
    outcome = service.report(actor, sid, body.get("reason"), body.get("note", ""))
    # Only this person's own report: never a count, never whether the story was hidden.
    response = jsonify({"id": str(sid), "result": "reported" if outcome.created else "already_reported"})
    response.status_code = 201 if outcome.created else 200
    return response


# --- Moderation API -------------------------------------------------------------------------

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
    try:
        sid = parse_story_id(story_id)
    except Problem:
        raise Problem("not_found", status=404) from None
    story = service.moderate(actor, sid, action, body.get("reason", ""), body.get("note", ""))
    return jsonify(stories.story_view(story, actor))



# --- Reporting a reply (reply_reports.py) ------------------------------------------------------

@bp.app_template_global()
def may_report_reply(reply) -> bool:
    """For the story page: the service checks again."""
    return policy.can_report_reply(_viewer(), reply, reply.story)


@bp.app_template_global()
def has_reported_reply(reply) -> bool:
    return reply_reports.has_reported(_viewer(), reply)


@bp.app_template_global()
def reply_open_reports(reply) -> int:
    """For the story's moderators: how many open reports a reply has."""
    return reply_reports.open_reports(reply.id) if policy.can_moderate_reply(_viewer(), reply.story) else 0


@bp.post("/stories/<uuid:story_id>/replies/<uuid:reply_id>/report")
@login_required
@_report_rate
def report_reply(story_id, reply_id):
    form = ReportForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    outcome = reply_reports.report_reply(current_user, reply_id, form.reason.data, form.note.data or "")
    if outcome.created:
        flash(_("Thank you. The facilitators will look at this reply."), "success")
    else:
        flash(_("You have already reported this reply. Thank you."), "success")
    return redirect(url_for("stories.show", story_id=story_id, _anchor="replies"))


@bp.post("/stories/<uuid:story_id>/replies/<uuid:reply_id>/reports/<decision>")
@login_required
def resolve_reply_reports(story_id, reply_id, decision):
    if not ModerationForm().validate_on_submit():
        raise Problem("bad_request", status=400)
    reply_reports.resolve(current_user, reply_id, decision)
    flash(_("Reply published.") if decision == service.DISMISS else _("Reply hidden."), "success")
    return redirect(url_for("stories.show", story_id=story_id, _anchor="replies"))
