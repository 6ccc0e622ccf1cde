from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import limits
from ..api.body import read_json
from ..errors import Problem
from ..extensions import csrf, limiter
from ..timeutil import isoformat
from . import auth, bp
from .forms import SignInForm, SignUpForm


def sign_in(account) -> None:
    # One permanent session cookie (no separate remember-me cookie): people on shared or
    # cheap phones stay signed in for PERMANENT_SESSION_LIFETIME, and can sign out.
    session.clear()  # a fresh session on sign-in: no fixation
    session.permanent = True
    login_user(account)


def _signin_limit() -> str:
    return f"{limits.SIGNIN_PER_MINUTE} per minute"


def _username_key() -> str:
    """Second limiter key: the account name tried, whatever address it comes from."""
    name = request.form.get("username")
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "n:" + (name or "").strip().lower()[:64]


def _safe_next(target: str | None) -> str:
    # Only local paths: never bounce a person to another site after signing in.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("stories.feed")


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
@limiter.limit(_signin_limit, methods=["POST"], key_func=_username_key)
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            account = auth.authenticate(form.username.data, form.password.data)
        except Problem as problem:
            flash(problem.message, "error")
            return render_template("accounts/signin.html", form=form), 401
        sign_in(account)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/signin.html", form=form), (400 if form.errors else 200)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            account = auth.create_account(form.username.data, form.password.data, form.display_name.data)
        except Problem as problem:
            field = getattr(form, problem.field or "", None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors) + [problem.message]
            else:
                flash(problem.message, "error")
            return render_template("accounts/signup.html", form=form), problem.status
        sign_in(account)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("stories.feed"))
    return render_template("accounts/signup.html", form=form), (400 if form.errors else 200)


@bp.post("/signout")
def signout():
    logout_user()
    session.clear()
    return redirect(url_for("stories.feed"))


# --- API --------------------------------------------------------------------------------

@bp.post("/api/v1/auth/token")
@csrf.exempt
@limiter.limit(_signin_limit)
@limiter.limit(_signin_limit, key_func=_username_key)
def issue_token():
    body = read_json(16 * 1024)
    if not isinstance(body, dict):
        raise Problem("bad_request", status=400)
    for field in ("username", "password"):
        if field not in body:
            raise Problem("missing_field", field=field)
        if not isinstance(body[field], str):
            raise Problem("bad_type", field=field)
    account = auth.authenticate(body["username"], body["password"])
    label = body.get("label") if isinstance(body.get("label"), str) else ""
    token, record = auth.issue_token(account, label)
    response = jsonify({"token": token, "expires_at": isoformat(record.expires_at)})
    response.cache_control.no_store = True
    return response


@bp.post("/api/v1/auth/revoke")
@csrf.exempt
def revoke_token():
    """Revoke the bearer token this request carries (sign out a device)."""
    token = auth.bearer_token()
    if token is None:
        raise Problem("bad_token", status=401)
    auth.token_account(token)
    auth.revoke_token(token)
    return current_app.response_class(status=204)
