"""Accounts: sign-up without email, sign-in, memberships and API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from ..extensions import set_rate_limit_key  # noqa: E402
from . import auth, routes  # noqa: E402,F401

set_rate_limit_key(auth.rate_limit_key)
