"""Demo content for moderation: a story waiting in the reports queue, one hidden by reports,
and a reason code for the demo's rejected story. Called by demo.load_demo() once its stories
are stored; safe to run again (fixed ids; reports are once per person anyway)."""
import uuid

from sqlalchemy import select

from ..extensions import db
from ..stories import service as stories
from ..stories.models import STATUS_REJECTED, Story
from ..stories.schema import validate_content
from . import service

_NS = uuid.UUID("0c5b6f0e-7d1e-4c83-9a55-3f6f0b2d9e41")

# author, community, language, title, body, reporters (reason), note of the first reporter
REPORTED = [
    ("yusuf", "siena", "it", "Il vicino che aiuta tutti",
     # No name, address or number of a real-looking person, even in the demo (issue #17): the
     # reporters think the neighbour could still be recognised from the story.
     "Il nostro vicino aiuta tutte le famiglie con i documenti. Lo trovate il martedì pomeriggio "
     "al centro di quartiere: chiedete a chi vi accoglie.",
     [("amina", "personal_data"), ("marco", "personal_data")],
     "Forse il vicino non vuole essere riconosciuto: chiediamogli se va bene."),
    ("farid", "belgrade", "en", "Cheap phone cards",
     "Best prices on phone cards and money transfers, write to me on WhatsApp for a discount today only!",
     [("oksana", "spam"), ("amina", "spam"), ("daniel", "spam")], ""),
]


def _v4(name: str) -> uuid.UUID:
    """A fixed id per demo story, marked version 4 (the contract asks clients for v4 or v7)."""
    return uuid.UUID(bytes=uuid.uuid5(_NS, name).bytes, version=4)


def load_moderation(people: dict, facilitators: dict) -> int:
    """people: username -> Account; facilitators: community slug -> Account. Returns new reports."""
    made = 0
    for n, (author, slug, language, title, body, reporters, note) in enumerate(REPORTED):
        story_id = _v4(f"demo-reported-{n}")
        content = validate_content({"title": title, "body": body, "language": language, "community": slug,
                                    "visibility": "public", "author_display": "pseudonym"})
        if stories.write_one(people[author], story_id, content).result != stories.CREATED:
            continue  # already there from an earlier run, reports and all
        service.moderate(facilitators[slug], story_id, "publish")
        for i, (reporter, reason) in enumerate(reporters):
            made += service.report(people[reporter], story_id, reason, note if i == 0 else "").created
    # The demo's rejected story says why, as a reason code its author reads in their language.
    for story in db.session.scalars(select(Story).where(Story.status == STATUS_REJECTED,
                                                        Story.moderation_reason_code.is_(None))).all():
        facilitator = facilitators.get(story.community.slug) if story.community else None
        if facilitator is not None:
            service.moderate(facilitator, story.id, "reject", "personal_data",
                             story.moderation_reason or "Please remove your phone number and address.")
    return made
