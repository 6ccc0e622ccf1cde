"""The accounts part of a person's data: the account itself, its memberships and its devices."""
from sqlalchemy import select

from ..extensions import db
from ..personal_data import Part
from ..timeutil import isoformat
from .models import ApiToken


def _export(person) -> dict:
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.account_id == person.id)).all()
    return {"account.json": {
        "username": person.username, "display_name": person.display_name, "locale": person.locale,
        "created_at": isoformat(person.created_at), "is_admin": person.is_admin,
        "is_managed": person.is_managed,
        "memberships": [{"community": m.community.slug, "role": m.role, "since": isoformat(m.created_at)}
                        for m in person.memberships],
        "devices": [{"label": t.label, "created_at": isoformat(t.created_at), "expires_at": isoformat(t.expires_at),
                     "revoked_at": isoformat(t.revoked_at)} for t in tokens],
    }}


# Tokens, sessions, memberships and codes go with the account row (ON DELETE CASCADE).
PART = Part("account", "account.json (your account)", _export, order=0)
