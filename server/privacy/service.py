"""Download everything about a person, or delete their account: every registered part in turn."""
import io
import json
import zipfile
from pathlib import Path

from .. import audit
from ..accounts import policy
from ..accounts.models import Account
from ..database import forget_traces, write_transaction
from ..errors import Problem
from ..extensions import db
from ..personal_data import ANONYMISE, DELETE, parts
from ..revisions import RevisionBlock

DELETE_STORIES = DELETE
ANONYMISE_STORIES = ANONYMISE


def can_act_for(actor, person) -> bool:
    """The person themselves; for a managed participant (who cannot sign in) also a facilitator
    of one of their communities, on their request, and admins."""
    if not policy.signed_in(actor) or person is None:
        return False
    if actor.id == person.id:
        return True
    if not person.is_managed:
        return False
    return actor.is_admin or bool(actor.facilitated_community_ids() & person.member_community_ids())


def export_zip(actor, person) -> bytes:
    """Everything the server holds about this person, one or more files per part, and a README."""
    if not can_act_for(actor, person):
        raise Problem("forbidden", status=403)
    buffer = io.BytesIO()
    readme = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in parts():
            for name, value in part.export(person).items():
                if isinstance(value, Path):
                    archive.write(value, name)
                elif isinstance(value, bytes):
                    archive.writestr(name, value)
                else:
                    archive.writestr(name, json.dumps(value, ensure_ascii=False, indent=2))
            readme.append(part.readme)
        archive.writestr("README.txt", "Your Kultialogo data: " + ", ".join(readme) + ".\n")
    with write_transaction():
        audit.record("account.export", actor, subject=person.id)
    return buffer.getvalue()


def delete_account(actor, person, stories_choice: str) -> None:
    """Delete the account and every trace of it; what the person wrote is deleted or kept
    without their name (``stories_choice``), part by part, in one transaction."""
    if not can_act_for(actor, person):
        raise Problem("forbidden", status=403)
    if stories_choice not in (DELETE, ANONYMISE):
        raise Problem("bad_request", field="stories")
    person_id = person.id
    with write_transaction():
        revs = RevisionBlock(db.session)
        for part in parts():
            if part.forget is not None:
                part.forget(person, stories_choice, revs)
        # The actor is kept when a facilitator or admin deleted a managed participant; a person
        # deleting their own account becomes "deleted account" (actor_id SET NULL below).
        audit.record("account.delete", actor, stories=stories_choice, by_self=actor.id == person_id)
        db.session.flush()
        db.session.delete(db.session.get(Account, person_id))
        revs.flush()
        forget_traces()  # SQLite's WAL is checkpointed once this commits
