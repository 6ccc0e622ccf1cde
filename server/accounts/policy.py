"""Who may do what with people and communities: the checks the accounts domain needs itself.

Kept here, below the story rules in ``kultialogo.policy`` (which re-exports them), so that
accounts import nothing from stories. ``viewer`` is an Account or None.
"""
from .models import ROLE_ADMIN, ROLE_FACILITATOR


def signed_in(viewer) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def can_moderate_community(viewer, community_id) -> bool:
    if not signed_in(viewer):
        return False
    return viewer.role_in(community_id) in (ROLE_FACILITATOR, ROLE_ADMIN)


def can_manage_community(viewer, community_id) -> bool:
    """Join codes, members, reset codes, stories recorded for others: its facilitators and admins."""
    return can_moderate_community(viewer, community_id)


def managed_community_ids(viewer) -> set[int] | None:
    """Communities this viewer manages; None means every community (a site admin)."""
    if not signed_in(viewer):
        return set()
    if viewer.is_admin:
        return None
    return viewer.facilitated_community_ids()


def can_reset_password(actor, account) -> bool:
    """Facilitators issue reset codes to participants of their own communities; admins to anyone
    but themselves. A facilitator cannot take over another facilitator's or an admin's account."""
    if not signed_in(actor) or account is None or account.id == actor.id:
        return False
    if actor.is_admin:
        return True
    if account.is_admin or account.facilitated_community_ids():
        return False
    return bool(actor.facilitated_community_ids() & account.member_community_ids())


def is_admin(viewer) -> bool:
    return signed_in(viewer) and bool(viewer.is_admin)
