import unicodedata

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import limits
from ..api.body import peek_json, read_json
from ..errors import Problem
from ..extensions import csrf, limiter
from ..i18n import chosen_locale
from ..security import local_path
from ..timeutil import isoformat
from . import auth, bp, codes
from .forms import JoinCommunityForm, JoinForm, ResetForm, SignInForm, SignUpForm


def sign_in(account) -> None:
    # One permanent session cookie (no separate remember-me cookie): people on shared or
    # cheap phones stay signed in for PERMANENT_SESSION_LIFETIME, and can sign out.
    session.clear()  # a fresh session on sign-in: no fixation
    session.permanent = True
    login_user(account)
    session[PASSWORD_FINGERPRINT] = auth.password_fingerprint(account)
    session[SESSION_ID] = auth.open_web_session(account)


def sign_out() -> None:
    """End this browser's session on the server too: a copy of the cookie opens nothing after."""
    auth.close_web_session(session.get(SESSION_ID))
    logout_user()
    session.clear()


# Sessions are signed cookies the server cannot list; this ties each to the password it was
# opened with, so a reset (a lost or shared phone) signs every other browser out too.
PASSWORD_FINGERPRINT = "pwf"
# The random id of this browser's server-side session record (WebSession).
SESSION_ID = "sid"


@bp.before_app_request
def _end_sessions_of_an_old_password():
    if "_user_id" not in session:
        return
    if current_user.is_authenticated and (
            session.get(PASSWORD_FINGERPRINT) != auth.password_fingerprint(current_user)
            or not auth.web_session_open(session.get(SESSION_ID), current_user.id)):
        logout_user()
        session.clear()


def _signin_limit() -> str:
    return f"{limits.SIGNIN_PER_MINUTE} per minute"


def _account_limit() -> str:
    # Per account name, also per day: a participant's password may be a 6-digit PIN, and at
    # SIGNIN_PER_ACCOUNT_PER_DAY tries a day the chance of finding one is 100 in 1,000,000.
    return f"{limits.SIGNIN_PER_MINUTE} per minute;{limits.SIGNIN_PER_ACCOUNT_PER_DAY} per day"


def _signin_address_key() -> str:
    """The address, whatever else the request carries (an Authorization header proves nothing here)."""
    return "sa:" + (request.remote_addr or "unknown")


def _username_key() -> str:
    """Second limiter key: the account name tried, whatever address it comes from.

    Normalised as the account lookup does (NFKC, case), so compatibility spellings of one name
    (a full-width or mathematical letter) share its budget instead of opening new ones.
    """
    name = request.form.get("username")
    if name is None and current_user.is_authenticated:
        name = current_user.username  # a signed-in form that asks for the password (deleting the account)
    if name is None and request.is_json:
        body = peek_json(16 * 1024)  # never Flask's get_json: a deep body raised RecursionError (500)
        name = body.get("username") if isinstance(body, dict) else None
    if not isinstance(name, str):
        name = ""  # a malformed body is refused by the view (400), not here
    return "n:" + unicodedata.normalize("NFKC", name).strip().lower()[:64]


# One budget across every way of trying a password: the sign-in page, the token API and the
# reset page (which takes the account name) count together, per address and per account name.
_signin_tries_by_address = limiter.shared_limit(_signin_limit, scope="signin-address",
                                                key_func=_signin_address_key, methods=["POST"])
_signin_tries_by_account = limiter.shared_limit(_account_limit, scope="signin-account",
                                                key_func=_username_key, methods=["POST"])


@bp.route("/signin", methods=["GET", "POST"])
@_signin_tries_by_address
@_signin_tries_by_account
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            account = auth.authenticate(form.username.data, form.password.data)
        except Problem as problem:
            flash(problem.message, "error")
            return render_template("accounts/signin.html", form=form), 401
        sign_in(account)
        return redirect(local_path(request.args.get("next"), url_for("stories.feed")))
    return render_template("accounts/signin.html", form=form), (400 if form.errors else 200)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"], key_func=_signin_address_key)
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            account = auth.create_account(form.username.data, form.password.data, form.display_name.data,
                                          locale=chosen_locale())
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
    sign_out()
    return redirect(url_for("stories.feed"))


@bp.post("/signout/everywhere")
@login_required
def signout_everywhere():
    """A phone lost, lent or shared: every session and token of this account ends, this one too."""
    auth.end_every_session(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are signed out on every phone and computer."), "success")
    return redirect(url_for("stories.feed"))


# --- API --------------------------------------------------------------------------------

@bp.post("/api/v1/auth/token")
@csrf.exempt
@_signin_tries_by_address
@_signin_tries_by_account
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


# --- Joining with a code, resetting with a code, one's own data --------------------------

def _address_key() -> str:
    # Per address even when signed in: one phone trying many codes is what we slow down.
    return "j:" + (request.remote_addr or "unknown")


def _code_limit() -> str:
    return f"{limits.CODE_TRIES_PER_MINUTE} per minute;{limits.CODE_TRIES_PER_HOUR} per hour"


def _problem_to_form(form, problem):
    field = getattr(form, (problem.field or "").split(".")[0], None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [problem.message]
    else:
        flash(problem.message, "error")


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"], key_func=_address_key)
def join():
    """Join a community with a code (from a facilitator or a QR code on the wall)."""
    if current_user.is_authenticated:
        form = JoinCommunityForm()
        if request.method == "GET" and request.args.get("code"):
            form.code.data = request.args.get("code")
        if form.validate_on_submit():
            try:
                codes.join_existing(current_user, form.code.data, community_slug=request.args.get("community"))
            except Problem as problem:
                _problem_to_form(form, problem)
                return render_template("accounts/join_more.html", form=form), problem.status
            flash(_("You joined the community."), "success")
            return redirect(url_for("stories.feed"))
        return render_template("accounts/join_more.html", form=form), (400 if form.errors else 200)
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args.get("code")
    if form.validate_on_submit():
        try:
            account = codes.join_with_code(form.code.data, form.username.data, form.password.data,
                                           form.display_name.data, community_slug=request.args.get("community"))
        except Problem as problem:
            if problem.code == "bad_password":
                problem = Problem("bad_pin", field="password")
            _problem_to_form(form, problem)
            return render_template("accounts/join.html", form=form), problem.status
        sign_in(account)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("stories.feed"))
    return render_template("accounts/join.html", form=form), (400 if form.errors else 200)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"], key_func=_address_key)
@_signin_tries_by_address
@_signin_tries_by_account
def reset():
    """Choose a new password or PIN with a facilitator's one-time code (no email)."""
    form = ResetForm()
    if form.validate_on_submit():
        try:
            account = codes.reset_with_code(form.username.data, form.code.data, form.password.data)
        except Problem as problem:
            if problem.code == "bad_password":
                problem = Problem("bad_pin", field="password")
            _problem_to_form(form, problem)
            return render_template("accounts/reset.html", form=form), problem.status
        sign_in(account)
        flash(_("Your new password is set. Other devices were signed out."), "success")
        return redirect(url_for("stories.feed"))
    return render_template("accounts/reset.html", form=form), (400 if form.errors else 200)
