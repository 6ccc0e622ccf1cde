"""The person's own page (/account), their data download and the deletion of their account."""
import io

from flask import flash, redirect, render_template, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..accounts import auth
from ..accounts.forms import DeleteAccountForm, JoinCommunityForm
from ..accounts.routes import _signin_tries_by_account, _signin_tries_by_address
from ..errors import Problem
from ..stories.personal_data import own_stories
from . import bp, service


def _account_page(delete_form, status=200):
    return render_template("accounts/account.html", delete_form=delete_form, join_form=JoinCommunityForm(),
                           stories=own_stories(current_user)), status


@bp.get("/account")
@login_required
def account():
    return _account_page(DeleteAccountForm())


@bp.get("/account/data.zip")
@login_required
def account_data():
    data = service.export_zip(current_user, current_user)
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"kultialogo-{current_user.username}.zip")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/delete")
@login_required
@_signin_tries_by_address
@_signin_tries_by_account
def account_delete():
    # Asking for the password here spends the same budget as signing in: someone holding a
    # phone that is still signed in cannot guess the password faster through this form.
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not auth.verify_password(current_user._get_current_object(), form.password.data):
            form.password.errors = list(form.password.errors) + [Problem("bad_credentials").message]
        else:
            service.delete_account(current_user, current_user._get_current_object(), form.stories.data)
            logout_user()  # the account's session records went with it (ON DELETE CASCADE)
            session.clear()
            flash(_("Your account was deleted."), "success")
            return redirect(url_for("stories.feed"))
    return _account_page(form, 400)
