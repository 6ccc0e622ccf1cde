"""The audit log: who did what to which story or community, and the consent recorded.

It holds ids, kinds and times only, never story text or names, so it may outlive a withdrawn
story or a deleted account (an actor's id is set to NULL when their account is deleted).

Append-only: the app has no path that changes or deletes a row, and the database refuses
UPDATE and DELETE on audit_events with a trigger (migration 0004), except the foreign keys set
to NULL by ON DELETE SET NULL. Admins read it at /admin/audit.
"""
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True)
    story_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"), nullable=True, index=True)
    # Kinds, flags and times only (e.g. {"kind": "verbal", "guardian": true}); no personal data.
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


def record(action: str, actor=None, *, story_id=None, community_id=None, **detail) -> None:
    """Add an event to the caller's transaction (it commits, or rolls back, with the change)."""
    db.session.add(AuditEvent(action=action, actor_id=getattr(actor, "id", actor), story_id=story_id,
                              community_id=community_id, detail=detail, at=utcnow()))


# What each action means, in plain words for the admin's audit viewer (translated when shown).
# An action without an entry is shown as its code.
ACTION_LABELS = {
    "story.publish": _l("Published a story"),
    "story.reject": _l("Rejected a story"),
    "story.hide": _l("Hid a story"),
    "story.unhide": _l("Showed a hidden story again"),
    "story.redact": _l("Removed personal data from a story"),
    "reply.redact": _l("Removed personal data from a reply"),
    "story.report": _l("Reported a story"),
    "story.auto_hide": _l("A story was hidden after reports by several people"),
    "reports.resolve": _l("Dealt with the reports on a story"),
    "media.blur_faces": _l("Blurred faces or regions in a story's photo"),
    "story.withdraw": _l("Withdrew and deleted a story"),
    "story.consent": _l("Recorded consent for a story"),
    "account.export": _l("Downloaded a person's data"),
    "account.delete": _l("Deleted an account"),
    "account.join": _l("Joined a community with a code"),
    "account.create_managed": _l("Made an account for someone without one"),
    "account.claim": _l("Claimed an account with a code"),
    "account.reset": _l("Chose a new password with a code"),
    "join_code.create": _l("Made a join code"),
    "join_code.revoke": _l("Stopped a join code"),
    "reset_code.issue": _l("Gave a password reset code"),
    "community.create": _l("Created a community"),
    "community.update": _l("Changed a community's settings"),
    "membership.add": _l("Added an account to a community"),
    "membership.role": _l("Changed someone's role in a community"),
    "event.create": _l("Created an event"),
    "event.update": _l("Changed an event"),
    "event.delete": _l("Deleted an event"),
    "event.attendance": _l("Recorded who came to an event"),
    "export": _l("Downloaded an export"),
    "translation.add": _l("Added a translation of a story"),
    "translation.update": _l("Changed a translation of a story"),
    "translation.remove": _l("Deleted a translation of a story"),
    "translation.publish": _l("Published a translation of a story"),
    "translation.reject": _l("Rejected a translation of a story"),
    "reply.add": _l("Replied to a story"),
    "reply.remove": _l("Deleted a reply to a story"),
    "reply.published": _l("Published a reply to a story"),
    "reply.hidden": _l("Hid a reply to a story"),
    "reply.report": _l("Reported a reply to a story"),
    "reply.reports_dismiss": _l("Kept a reported reply"),
    "reply.reports_hide": _l("Hid a reported reply"),
    "help.claim": _l("Took on a request for help"),
    "help.close": _l("Closed a request for help"),
    "membership.helps": _l("Changed who answers requests for help in a community"),
    "node_token.issue": _l("Gave a camp node its token"),
    "node_token.revoke": _l("Stopped a camp node's token"),
    "node.conflict": _l("A conflict between a camp node and the central server was decided by rule"),
    "node.rename_undone": _l("Gave an account back the username a camp node conflict had changed"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
