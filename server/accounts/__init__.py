"""Accounts: sign-up without email, sign-in, memberships and API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import routes  # noqa: E402,F401
