from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

MODERATION_REVIEW = "review"    # every story by a participant is reviewed first (default)
MODERATION_TRUSTED = "trusted"  # members publish directly
MODERATION_MODES = (MODERATION_REVIEW, MODERATION_TRUSTED)


class Community(db.Model):
    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    # {"en": "Siena", "it": "Siena", "ar": "سيينا"}: shown in the reader's language.
    names: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    default_language: Mapped[str] = mapped_column(String(35), nullable=False, default="en")
    moderation: Mapped[str] = mapped_column(String(16), nullable=False, default=MODERATION_REVIEW)
    # Distinct reporters that hide a story at once; NULL: the site's REPORTS_TO_HIDE.
    reports_to_hide: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    def name_for(self, locale: str) -> str:
        """The name in the reader's language: names are keyed by BCP 47 tags ("sr-Latn"); the
        interface's locale may be a catalog code ("sr_Latn"); "sr" also serves "sr-Latn"."""
        names = self.names or {}
        locale = str(locale or "")
        tag = locale.replace("_", "-")
        language = tag.split("-")[0]
        for key in (locale, tag, language):
            if key and names.get(key):
                return names[key]
        for key, name in names.items():  # another script or region of the same language
            if key.split("-")[0] == language and name:
                return name
        for key in (self.default_language, "en"):
            if names.get(key):
                return names[key]
        return next(iter(names.values()), None) or self.slug


def communities_among(ids) -> list[Community]:
    """The communities with these ids, by slug; ``None`` means all of them (an admin's view).

    The policy module answers "which communities" as a set of ids or None; pages list them."""
    query = select(Community).order_by(Community.slug)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Community.id.in_(ids))
    return list(db.session.scalars(query))
