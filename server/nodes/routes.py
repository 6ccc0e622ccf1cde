"""Camp node pages. Thin: logic in tokens.py, conflicts.py, here.py and progress.py; every
check in policy.py."""
from flask import current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import limits, policy
from ..communities.models import Community
from ..errors import Problem
from ..events.service import FORM_EVENTS_PER_COMMUNITY, events_of, parse_event_choice
from ..extensions import db
from ..people.routes import qr_svg
from ..userinput import SelectChoice
from ..media.store import get_store
from . import bp, conflicts, here, progress, tokens, transfer
from .forms import IssueTokenForm


@bp.record_once
def _first_in_line(state) -> None:
    # CSRFProtect parses the form before any view runs, under the app-wide body limit: the
    # import's limit must be set before that (as media/ does for the write form).
    state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_node_file)


def _allow_node_file() -> None:
    if request.method == "POST" and request.endpoint == "nodes.import_file":
        request.max_content_length = limits.NODE_IMPORT_MAX_BYTES


def _no_store(body, status=200):
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _conflict_helpers() -> dict:
    return {"rule_label": conflicts.rule_label, "kind_label": conflicts.kind_label,
            "can_undo": lambda c: conflicts.can_undo(current_user, c)}


# --- The central server: node tokens and conflicts ----------------------------------------

def _central_page(form: IssueTokenForm, status: int = 200):
    issued = tokens.tokens_for(current_user)  # refuses anyone who manages no community
    communities = tokens.communities_for(current_user)
    locale = str(get_locale())
    form.community.choices = [SelectChoice(c.slug, c.name_for(locale)) for c in communities]
    groups = [(c, events) for c in communities if (events := events_of(c, FORM_EVENTS_PER_COMMUNITY))]
    return _no_store(render_template(
        "nodes/central.html", form=form, tokens=issued, event_groups=groups, events=tokens.events_named(issued),
        conflicts=conflicts.listing(current_user), nodes={t.id: t for t in issued}, **_conflict_helpers()), status)


@bp.get("/admin/nodes")
@login_required
def central():
    return _central_page(IssueTokenForm())


@bp.post("/admin/nodes")
@login_required
def issue():
    form = IssueTokenForm()
    if not form.validate_on_submit():
        return _central_page(form, 400)
    community = db.session.scalar(select(Community).where(Community.slug == form.community.data))
    if community is None:
        raise Problem("not_found", status=404)
    try:
        token, record = tokens.issue(current_user, community, event=parse_event_choice(form.event.data),
                                     label=form.label.data or "")
    except Problem as problem:
        if problem.status == 403:
            raise
        field = getattr(form, problem.field or "", None) or form.label
        field.errors = list(field.errors) + [problem.message]
        return _central_page(form, problem.status)
    central_url = request.host_url.rstrip("/")
    # Shown once: only its hash is kept.
    return _no_store(render_template("nodes/issued.html", token=token, record=record, central_url=central_url,
                                     command=f"kultialogo node init --central {central_url} --token {token}"))


@bp.post("/admin/nodes/import")
@login_required
def import_file():
    """A node's export (a USB stick's file): kept in the media store's scratch folder while it is
    verified whole and applied, then deleted. Who may: as for its node's tokens."""
    tokens.tokens_for(current_user)  # refuses anyone who manages no community
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the file the node exported."), "error")
        return redirect(url_for("nodes.central"))
    path = get_store().scratch_file()
    try:
        upload.save(path)
        counts = transfer.import_file(
            path, may_import=lambda token: policy.can_manage_nodes(current_user, token.community_id))
    except Problem as problem:
        flash(problem.message, "error")
        return redirect(url_for("nodes.central"))
    finally:
        path.unlink(missing_ok=True)
    flash(_("Imported from %(node)s: %(new)s new, %(changed)s changed, %(same)s already here, %(refused)s refused; "
            "%(files)s files.", node=counts["node"], new=counts["created"], changed=counts["updated"],
            same=counts["unchanged"], refused=counts["rejected"], files=counts["media"]), "success")
    return redirect(url_for("nodes.central"))


@bp.post("/admin/nodes/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    record = tokens.revoke(current_user, token_id)
    flash(_("The node's token no longer works. What the node sent before stays."), "success")
    return redirect(url_for("nodes.central") + f"#node-{record.id}")


@bp.post("/admin/nodes/conflicts/<int:conflict_id>/undo")
@login_required
def undo_rename(conflict_id):
    back = url_for("nodes.node_admin") if request.form.get("back") == "node" else url_for("nodes.central")
    try:
        conflict = conflicts.undo_rename(current_user, conflict_id)
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        flash(_("The username %(name)s belongs to another account now, so the rename cannot be undone.",
                name=_original_name(conflict_id)) if problem.code == "username_taken" else problem.message, "error")
        return redirect(back)
    flash(_("The account has its username %(name)s again.", name=conflict.detail.get("from", "")), "success")
    return redirect(back)


def _original_name(conflict_id: int) -> str:
    conflict = db.session.get(conflicts.NodeConflict, conflict_id)
    return (conflict.detail or {}).get("from", "") if conflict is not None else ""


# --- On a node: the address phones open, and its admin page ------------------------------

def _size_markup(size: int) -> Markup:
    """A size as CLDR writes it in the reader's language ("45,8 MB", "٤٥٫٨ م.ب"): localised
    data, not interface text to translate (as a <time> is)."""
    return Markup('<span translate="no">%s</span>') % progress.format_size(size)


def _link_or_404():
    link = here.current_link()
    if link is None:
        raise Problem("not_found", status=404)
    return link


@bp.get("/node")
def node_address():
    """Public: shown on the node's own screen so people can point their phones at it."""
    link = _link_or_404()
    addresses = here.phone_addresses(request.host)
    codes = [(url, qr_svg(url, _("The address phones open"))) for url in addresses.urls]
    return _no_store(render_template("nodes/address.html", link=link, addresses=addresses, codes=codes,
                                     community=db.session.get(Community, link.community_id)))


@bp.get("/node/admin")
@login_required
def node_admin():
    link = _link_or_404()
    if not policy.can_manage_nodes(current_user, link.community_id):
        raise Problem("forbidden", status=403)
    return _no_store(render_template(
        "nodes/node_admin.html", link=link, community=db.session.get(Community, link.community_id),
        progress=progress.progress_of(link.progress), format_size=_size_markup,
        conflicts=conflicts.listing(current_user), nodes={}, **_conflict_helpers()))
