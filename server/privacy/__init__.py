"""A person's own data across every domain: download all of it, or delete the account.

A coordinator above the domains: it asks each registered part (kultialogo.personal_data) for
its share, so a domain added later is downloaded and forgotten without a change here.
"""
from flask import Blueprint

bp = Blueprint("privacy", __name__)

from . import routes  # noqa: E402,F401
