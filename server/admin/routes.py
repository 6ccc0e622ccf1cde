"""Admin pages. Thin: logic in service.py, checks in policy.py (every route is for admins)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import audit, policy
from ..errors import Problem
from ..i18n import lang_tag
from . import bp, service
from .forms import EXTRA_NAME_ROWS, AddMemberForm, CommunityForm, HelpsForm, RoleForm


@bp.before_request
@login_required
def _admins_only():
    if not policy.can_administer(current_user):
        raise Problem("forbidden", status=403)


@bp.get("/")
def index():
    return render_template("admin/index.html", communities=service.communities(current_user))


# --- Communities ----------------------------------------------------------------------------

def _name_rows(form: CommunityForm, names: dict) -> None:
    """The interface languages first, then the community's other names, then blank rows."""
    languages = [lang_tag(code) for code in current_app.config["SUPPORTED_LOCALES"]]
    languages += [code for code in names if code not in languages]
    while len(form.names.entries):
        form.names.pop_entry()
    for code in languages:
        form.names.append_entry({"language": code, "name": names.get(code, "")})
    for _n in range(EXTRA_NAME_ROWS):
        form.names.append_entry({"language": "", "name": ""})


def _settings(form: CommunityForm) -> service.CommunitySettings:
    names = {}
    for entry in form.names.entries:
        language = (entry.form.language.data or "").strip()
        name = entry.form.name.data or ""
        if language or name.strip():
            if not language:
                raise Problem("bad_language", field="names")
            names[language] = name
    return service.clean_settings(names, form.description.data or "", form.default_language.data or "",
                                  form.moderation.data, form.reports_to_hide.data)


def _show_problem(form, problem: Problem) -> None:
    field = getattr(form, (problem.field or "").split(".")[0], None)
    if field is not None and hasattr(field, "errors") and not isinstance(field.errors, dict):
        field.errors = list(field.errors) + [problem.message]
    else:
        flash(problem.message, "error")


@bp.route("/communities/new", methods=["GET", "POST"])
def community_new():
    form = CommunityForm()
    if request.method == "GET":
        form.default_language.data = str(get_locale())
        _name_rows(form, {})
    elif form.validate_on_submit():
        try:
            community = service.create_community(current_user, form.slug.data, _settings(form))
        except Problem as problem:
            _show_problem(form, problem)
            return render_template("admin/community_form.html", form=form, community=None), problem.status
        flash(_("Community created."), "success")
        return redirect(url_for("admin.members", slug=community.slug))
    status = 400 if form.errors else 200
    return render_template("admin/community_form.html", form=form, community=None), status


@bp.route("/communities/<slug>", methods=["GET", "POST"])
def community_edit(slug):
    community = service.community_by_slug(current_user, slug)
    form = CommunityForm(obj=None)
    if request.method == "GET":
        form.description.data = community.description
        form.default_language.data = community.default_language
        form.moderation.data = community.moderation
        form.reports_to_hide.data = community.reports_to_hide
        _name_rows(form, community.names or {})
    elif form.validate_on_submit():
        try:
            service.update_community(current_user, community, _settings(form))
        except Problem as problem:
            _show_problem(form, problem)
            return render_template("admin/community_form.html", form=form, community=community), problem.status
        flash(_("Community settings saved."), "success")
        return redirect(url_for("admin.community_edit", slug=slug))
    status = 400 if form.errors else 200
    return render_template("admin/community_form.html", form=form, community=community), status


# --- Members and roles --------------------------------------------------------------------

@bp.get("/communities/<slug>/members")
def members(slug):
    community = service.community_by_slug(current_user, slug)
    return render_template("admin/members.html", community=community, members=service.members(current_user, community),
                           add_form=AddMemberForm(), role_form=RoleForm())


@bp.post("/communities/<slug>/members")
def add_member(slug):
    community = service.community_by_slug(current_user, slug)
    form = AddMemberForm()
    if not form.validate_on_submit():
        raise Problem("bad_request", status=400)
    try:
        membership = service.add_member(current_user, community, form.username.data or "", form.role.data)
    except Problem as problem:
        flash(problem.message, "error")
        return redirect(url_for("admin.members", slug=slug))
    flash(_("%(name)s was added to the community.", name=membership.account.username), "success")
    return redirect(url_for("admin.members", slug=slug))


@bp.post("/communities/<slug>/members/<int:account_id>/role")
def set_role(slug, account_id):
    community = service.community_by_slug(current_user, slug)
    form = RoleForm()
    if not form.validate_on_submit():
        raise Problem("bad_role", field="role")
    membership = service.set_role(current_user, community, account_id, form.role.data)
    flash(_("%(name)s is now a facilitator.", name=membership.account.username) if membership.role == "facilitator"
          else _("%(name)s is now a participant.", name=membership.account.username), "success")
    return redirect(url_for("admin.members", slug=slug))


@bp.post("/communities/<slug>/members/<int:account_id>/helps")
def set_helps(slug, account_id):
    community = service.community_by_slug(current_user, slug)
    form = HelpsForm()
    if not form.validate_on_submit():
        raise Problem("csrf_failed", status=400)
    try:
        membership = service.set_helps(current_user, community, account_id, bool(form.is_mediator.data),
                                       bool(form.is_coach.data))
    except Problem as problem:
        if problem.status == 404:
            raise
        flash(problem.message, "error")
        return redirect(url_for("admin.members", slug=slug))
    flash(_("Saved: who answers help requests for %(name)s.", name=membership.account.username), "success")
    return redirect(url_for("admin.members", slug=slug))


# --- The audit log ------------------------------------------------------------------------

@bp.get("/audit")
def audit_log():
    args = request.args
    all_communities = service.communities(current_user)
    community = None
    if args.get("community"):
        community = next((c for c in all_communities if c.slug == args["community"]), None)
        if community is None:
            raise Problem("not_found", status=404)
    flt = service.AuditFilter(action=args.get("action") or None,
                              community_id=community.id if community else None,
                              date_from=service.parse_day(args.get("from"), "from"),
                              date_to=service.parse_day(args.get("to"), "to"))
    before = args.get("before", type=int)
    page = service.audit_page(current_user, flt, before=before, size=int(current_app.config["AUDIT_PAGE_SIZE"]))
    filters = {"action": flt.action, "community": community.slug if community else None,
               "from": args.get("from") or None, "to": args.get("to") or None}
    # The CSV/JSON export lives in exports/ (linked only when that blueprint is there).
    audit_export = "exports.audit" in current_app.view_functions
    export_args = {k: v for k, v in filters.items() if v}
    return render_template("admin/audit.html", page=page, actions=service.audit_actions(),
                           communities=all_communities, filters=filters, before=before,
                           action_label=audit.action_label, audit_export=audit_export, export_args=export_args)
