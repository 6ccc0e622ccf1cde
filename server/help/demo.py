"""Demo help requests: Giulia is Siena's mediator; Amina asked her, in Arabic, about enrolling
her daughter in school, and got an answer; a second request waits in the queue.

Written through the service; safe to run again (the ids are fixed, the same content is
"unchanged").
"""
import uuid

from sqlalchemy import select

from ..accounts.models import Membership
from ..extensions import db
from . import service

DEMO_NAMESPACE = uuid.UUID("5d1c4a36-0f0e-4b1b-9a7e-2f6a3c1e9b10")

REQUESTS = [
    # (asker, community, topic, language, text, helper's answer or None)
    ("amina", "siena", "education_school", "ar",
     "ابنتي عمرها ثماني سنوات ونريد تسجيلها في المدرسة. ما الأوراق التي نحتاجها؟",
     "Ciao Amina! Serve il codice fiscale e il certificato di vaccinazione. Ci vediamo lunedì alle 10 in Comune."),
    ("amina", "siena", "documents", "ar", "أحتاج إلى مساعدة في تجديد تصريح الإقامة.", None),
]


def load_help(people, communities) -> int:
    """Mark the demo's mediator and add the requests; returns how many were added this run."""
    giulia = people["giulia"]
    membership = db.session.scalar(select(Membership).where(
        Membership.account_id == giulia.id, Membership.community_id == communities["siena"].id))
    membership.is_mediator = True
    db.session.commit()
    added = 0
    for n, (asker, slug, topic, language, text, answer) in enumerate(REQUESTS):
        with service.writing() as revs:
            outcome = service.ask(people[asker], communities[slug].id, topic, language, text, revs,
                                  sync_id=uuid.uuid5(DEMO_NAMESPACE, f"request-{n}"))
            if outcome.result == service.CREATED:
                added += 1
                if answer:
                    service.answer(giulia, outcome.request, answer, revs,
                                   sync_id=uuid.uuid5(DEMO_NAMESPACE, f"answer-{n}"))
    return added
