"""Accounts: sign-up without email, sign-in, memberships and API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from ..extensions import set_rate_limit_key  # noqa: E402
from ..personal_data import register as register_personal_data  # noqa: E402
from . import auth, routes  # noqa: E402,F401
from . import personal_data as _part  # noqa: E402

set_rate_limit_key(auth.rate_limit_key)
register_personal_data(_part.PART)  # its share of a person's data download
from ..records import register as register_kind  # noqa: E402
from .records import KIND  # noqa: E402

register_kind(KIND)  # camp nodes replicate accounts through the sync engine as the kind "account"
