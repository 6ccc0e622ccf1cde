"""Subscriptions and sending. Sending is a background job (jobs/) queued with the caller's
commit, so a slow or unreachable push service never holds a request."""
import base64
import binascii
import json
import logging
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext as _l
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select

from .. import jobs, limits
from ..errors import Problem
from ..extensions import db
from . import keys
from .models import PushSubscription

log = logging.getLogger(__name__)

# Why a person is notified -> the neutral line they get. A domain with its own reason
# registers it (register_reason); all say as little as this.
REASONS: dict[str, object] = {"activity": _l("Something new for you in Kultialogo")}
ACTIVITY_URL = "/activity"


def register_reason(name: str, line) -> None:
    REASONS[name] = line


# --- Subscriptions ------------------------------------------------------------------------

def _b64url_bytes(value, field: str, size: int) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise Problem("bad_subscription", field=field)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Problem("bad_subscription", field=field) from None
    if len(raw) != size:
        raise Problem("bad_subscription", field=field)
    return value


def parse_subscription(data) -> dict:
    """A browser's PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}}, checked."""
    if not isinstance(data, dict):
        raise Problem("bad_json")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > limits.WEBPUSH_ENDPOINT_MAX:
        raise Problem("bad_subscription", field="endpoint")
    parts = urlsplit(endpoint)
    if parts.scheme not in current_app.config.get("WEBPUSH_SCHEMES", ("https",)) or not parts.netloc:
        raise Problem("bad_subscription", field="endpoint")
    sub_keys = data.get("keys")
    if not isinstance(sub_keys, dict):
        raise Problem("bad_subscription", field="keys")
    return {"endpoint": endpoint,
            "p256dh": _b64url_bytes(sub_keys.get("p256dh"), "keys.p256dh", 65),
            "auth": _b64url_bytes(sub_keys.get("auth"), "keys.auth", 16)}


def subscribe(account, data, locale: str) -> tuple[bool, PushSubscription]:
    """Store a subscription for ``account`` (idempotent by endpoint); True if it is new."""
    fields = parse_subscription(data)
    found = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == fields["endpoint"]))
    if found is None:
        held = db.session.scalar(select(func.count()).select_from(PushSubscription)
                                 .where(PushSubscription.account_id == account.id))
        if held >= limits.WEBPUSH_SUBSCRIPTIONS_MAX:
            raise Problem("too_many_subscriptions", status=409, max=limits.WEBPUSH_SUBSCRIPTIONS_MAX)
        found = PushSubscription(account_id=account.id, **fields, locale=locale)
        db.session.add(found)
        created = True
    else:  # the same browser again (new keys), or now signed in as someone else
        found.account_id, found.p256dh, found.auth, found.locale = account.id, fields["p256dh"], fields["auth"], locale
        created = False
    db.session.commit()
    return created, found


def unsubscribe(account, endpoint) -> bool:
    """Remove this account's subscription with that endpoint; False if it had none."""
    if not isinstance(endpoint, str) or len(endpoint) > limits.WEBPUSH_ENDPOINT_MAX:
        raise Problem("bad_subscription", field="endpoint")
    gone = db.session.execute(delete(PushSubscription).where(
        PushSubscription.account_id == account.id, PushSubscription.endpoint == endpoint)).rowcount
    db.session.commit()
    return bool(gone)


def subscriptions_of(account) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.account_id == account.id)
                                   .order_by(PushSubscription.id)))


# --- Sending --------------------------------------------------------------------------------

def notify(account_ids, reason: str = "activity", *, session=None) -> None:
    """Send each of these accounts' browsers the neutral line of ``reason``, later, as a job
    queued in the caller's transaction (sent once it commits, never if it rolls back); an
    account without subscriptions is skipped."""
    if reason not in REASONS:
        raise ValueError(f"unknown push reason {reason!r}")
    ids = sorted({int(i) for i in account_ids})
    if ids:
        jobs.enqueue("webpush.send", {"accounts": ids, "reason": reason}, session=session)


def send_now(account_ids, reason: str) -> int:
    """Send at once (on the worker); returns how many pushes the push services accepted."""
    subs = list(db.session.scalars(select(PushSubscription).where(PushSubscription.account_id.in_(account_ids))
                                   .order_by(PushSubscription.id)))
    if not subs:
        return 0
    vapid = keys.private_key()
    subject = current_app.config.get("WEBPUSH_SUBJECT", "mailto:webpush@kultialogo.invalid")
    sent, gone, failed = 0, [], 0
    for sub in subs:
        with force_locale(sub.locale or "en"):
            line = str(REASONS[reason])
        payload = json.dumps({"body": line, "url": ACTIVITY_URL}, ensure_ascii=False)
        try:
            webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}, payload,
                    vapid_private_key=vapid, vapid_claims={"sub": subject}, ttl=24 * 3600, timeout=10)
            sent += 1
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in (404, 410):  # the browser dropped it: so do we
                gone.append(sub.id)
            else:
                failed += 1
            # never the endpoint (it identifies a browser) nor the account
            log.warning("web push refused: status %s", status)
        except Exception as error:  # noqa: BLE001  a network error must not stop the others
            log.warning("web push failed: %s", type(error).__name__)
            failed += 1
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        db.session.commit()
    if failed and not sent:
        # nothing reached anyone: the job is tried again later (none would get the line twice)
        raise PushUnavailable(f"{failed} push services did not take the message")
    return sent


class PushUnavailable(Exception):
    """Every push service this job needed refused or could not be reached."""


def _send_job(payload: dict) -> None:
    send_now(payload["accounts"], payload["reason"])


# When no push service took the message the job fails and is tried again later (jobs.backoff),
# up to five times, then kept as dead for an operator (`kultialogo jobs list`). When some did,
# it is done: trying again would send those people the line twice.
jobs.register("webpush.send", _send_job)

