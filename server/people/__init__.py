"""People in a community, as its facilitators see them: join codes (with a printable QR code),
members and their reset codes, managed participants and the stories recorded for them."""
from flask import Blueprint

bp = Blueprint("people", __name__)

from . import routes  # noqa: E402,F401
