"""The activity part of a person's data: what they follow, and their Web Push subscriptions
(without the keys). Both go with the account (ON DELETE CASCADE; forget() says so explicitly)."""
from sqlalchemy import delete

from ..extensions import db
from ..personal_data import Part
from ..timeutil import isoformat
from ..webpush import service as webpush
from ..webpush.models import PushSubscription
from . import service
from .models import Follow


def _export(person) -> dict:
    follows = [{k: v for k, v in service.view(f).items() if k not in ("type", "revision")}
               for f in service.follows_of(person.id)]
    subscriptions = [{"endpoint": s.endpoint, "language": s.locale, "created_at": isoformat(s.created_at)}
                     for s in webpush.subscriptions_of(person)]
    return {"follows.json": follows, "push_subscriptions.json": subscriptions}


def _forget(person, _choice, _revs) -> None:
    # No tombstones: the phones that held these follows belong to the account that goes.
    db.session.execute(delete(Follow).where(Follow.account_id == person.id))
    db.session.execute(delete(PushSubscription).where(PushSubscription.account_id == person.id))


PART = Part("activity", "follows.json (the communities and stories you follow), push_subscriptions.json "
            "(the browsers you allowed to notify you)", _export, _forget, order=80)
