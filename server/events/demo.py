"""Demo events with attendance in Siena, Belgrade and Utrecht (``kultialogo demo``).

Matched by community and title, so a second run changes nothing. Dates are relative to the
day the demo is loaded, so the dashboard's last twelve weeks always show them.
"""
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..revisions import RevisionBlock
from ..timeutil import utcnow
from .models import Event, EventAttendee, EventTally
from .service import stamp_attendance

# community, kind, title, days ago (first day), days it lasted, place, head count,
# linked members with the answers they gave, anonymous counts
EVENTS = [
    ("siena", "assembly", "Assemblea di quartiere", 70, 1, "Centro Due Ponti", 46,
     {"amina": ("woman", "26_40", "newcomer"), "yusuf": ("man", "18_25", "newcomer"), "marco": ("man", "41_65", "local")},
     {"gender": {"woman": 20, "man": 15, "other": 1}, "age": {"under_18": 9, "26_40": 14, "41_65": 10, "over_65": 4},
      "origin": {"newcomer": 22, "local": 15}}),
    ("siena", "storytelling", "Serata di racconti", 30, 1, "Biblioteca comunale", 28,
     {"amina": ("woman", "26_40", "newcomer"), "marco": (None, None, "local")},
     {"gender": {"woman": 14, "man": 9}, "age": {"18_25": 6, "26_40": 10, "41_65": 6}, "origin": {"newcomer": 12, "local": 10}}),
    ("siena", "camp", "Campo estivo", 12, 5, "Colline senesi", 34,
     {"yusuf": ("man", "18_25", "newcomer")},
     {"gender": {"woman": 15, "man": 16}, "age": {"under_18": 22, "18_25": 8}, "origin": {"newcomer": 18, "local": 12}}),
    ("belgrade", "exchange", "Čaj i kafa", 55, 1, "Community centre by the Danube", 31,
     {"oksana": ("woman", "41_65", "newcomer"), "farid": ("man", "26_40", "newcomer")},
     {"gender": {"woman": 16, "man": 11}, "age": {"26_40": 12, "41_65": 9, "over_65": 5}, "origin": {"newcomer": 15, "local": 12}}),
    ("belgrade", "storytelling", "Radionica priča", 20, 1, "Dorćol library", 19,
     {"oksana": ("woman", None, "newcomer")},
     {"gender": {"woman": 10, "man": 7}, "age": {"18_25": 4, "26_40": 8}, "origin": {"newcomer": 8, "local": 9}}),
    ("utrecht", "training", "Training: listening to stories", 45, 2, "Wijkcentrum", 14,
     {"daniel": ("man", "26_40", "newcomer"), "layla": ("woman", "18_25", "newcomer")},
     {"gender": {"woman": 8, "man": 4}, "age": {"26_40": 6, "41_65": 5}, "origin": {"local": 9}}),
    ("utrecht", "storytelling", "Verhalen in de bibliotheek", 9, 1, "Bibliotheek Neude", 60,
     {"layla": ("woman", "18_25", "newcomer"), "daniel": ("man", "26_40", "newcomer")},
     {"gender": {"woman": 30, "man": 22, "other": 2}, "age": {"under_18": 6, "18_25": 12, "26_40": 18, "41_65": 14, "over_65": 6},
      "origin": {"newcomer": 25, "local": 30}}),
]

# Demo stories told at these events (story title -> event title).
TOLD_AT = {
    "La prima assemblea": "Assemblea di quartiere",
    "Raccontare per conoscersi": "Serata di racconti",
    "Campo estivo": "Campo estivo",
    "Radionica priča": "Radionica priča",
    "چای و گفتگو": "Čaj i kafa",
    "Verhalen in de bibliotheek": "Verhalen in de bibliotheek",
    "جدتي والطبخ": "Verhalen in de bibliotheek",
}


def load_events(communities: dict, people: dict, admin) -> tuple[int, dict]:
    """Create the demo events in the caller's transaction; return how many are new, and the
    event each demo story title was told at ({story title: event id})."""
    today = utcnow().date()
    created = 0
    by_title = {}
    revs = RevisionBlock(db.session)
    for slug, kind, title, days_ago, days, place, head, linked, tallies in EVENTS:
        community = communities[slug]
        event = db.session.scalar(select(Event).where(Event.community_id == community.id, Event.title == title))
        if event is None:
            start = today - timedelta(days=days_ago)
            event = Event(community_id=community.id, kind=kind, title=title, starts_on=start,
                          ends_on=start + timedelta(days=days - 1) if days > 1 else None, place=place,
                          head_count=head, created_by_id=admin.id)
            for username, (gender, age, origin) in linked.items():
                event.attendees.append(EventAttendee(account_id=people[username].id, gender=gender, age=age, origin=origin))
            for dimension, counts in tallies.items():
                for value, count in counts.items():
                    event.tallies.append(EventTally(dimension=dimension, value=value, count=count))
            db.session.add(event)
            db.session.flush()
            stamp_attendance(event, revs)  # facilitators' phones pull it
            created += 1
        by_title[title] = event.id
    revs.flush()  # before the caller takes the counter for its stories
    return created, {story: by_title[event] for story, event in TOLD_AT.items()}
