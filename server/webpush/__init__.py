"""Web Push: opt-in notifications to a person's browsers (plumbing; it imports no domain).

The server's VAPID key pair is made on first need and kept in the data folder (keys.py). A
person's browsers subscribe through /api/v1/webpush (routes.py); domains call
``notify(account_ids, reason)`` within the transaction of their change, which queues a job
(jobs/) that commits with it; a job worker then sends each subscription one short neutral line in the language it subscribed in, with a link to
/activity: never story text, names or ids (service.py). Push is never required: everything it
announces is on /activity anyway.
"""
from flask import Blueprint

bp = Blueprint("webpush", __name__)

from . import routes  # noqa: E402,F401
from .service import REASONS, notify, register_reason  # noqa: E402,F401
