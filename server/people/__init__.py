"""People in a community, as its facilitators see them: join codes (with a printable QR code),
members and their reset codes, managed participants and the stories recorded for them."""
from flask import Blueprint
from flask_login import current_user

from .. import policy

bp = Blueprint("people", __name__)


@bp.app_template_global()
def may_publish(story) -> bool:
    """For the moderation buttons: the service checks again (policy.can_publish_story)."""
    return policy.can_publish_story(current_user if current_user.is_authenticated else None, story)

from . import routes  # noqa: E402,F401
