"""Varied data for the dashboard and export tests, inserted straight into the tables (exact
times), and the HTML tables of a page read back as cells."""
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

from sqlalchemy import insert

from kultialogo.accounts.models import Account, Membership
from kultialogo.events.models import Event, EventAttendee, EventTally
from kultialogo.extensions import db
from kultialogo.moderation.models import StoryReport
from kultialogo.stories.models import Story
from tests import factories as f

UTC = timezone.utc
LANGUAGES = ["it", "ar", "uk", "en", "fa", "sr", "nl", "es", "ru", "tr"]  # ten: more than a chart shows
STATUSES = ["pending", "published", "rejected", "hidden", "withdrawn"]
COMMUNITIES = ["siena", "belgrade", "utrecht"]
START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)   # a Monday
# A week's last instant and the next week's first: 2026-09-06 is a Sunday.
SUNDAY_LAST = datetime(2026, 9, 6, 23, 59, 59, tzinfo=UTC)
MONDAY_FIRST = datetime(2026, 9, 7, 0, 0, 0, tzinfo=UTC)


@dataclass
class World:
    communities: dict = field(default_factory=dict)   # slug -> id
    people: dict = field(default_factory=dict)        # username -> Account
    stories: list = field(default_factory=list)       # dicts: id, community, language, status, received_at, ...
    joined: list = field(default_factory=list)        # (community slug, created_at)
    events: list = field(default_factory=list)        # dicts: id, community, starts_on, head, linked, tallies
    reports: list = field(default_factory=list)       # (story_id, created_at, resolved)


def _story_row(i: int, community_id: int, author_id: int, received_at: datetime, language: str, status: str,
               visibility: str, title: str, body: str, media=(), about_minor=False, event_id=None) -> dict:
    values = {"id": uuid.uuid4(), "author_id": author_id, "community_id": community_id, "title": title, "body": body,
              "language": language, "visibility": visibility, "author_display": "pseudonym",
              "consent_kind": ["self", "verbal", "written"][i % 3], "media": list(media), "status": status,
              "revision": 1000 + i, "etag": "e" * 32, "received_at": received_at, "updated_at": received_at,
              "created_at": received_at - timedelta(hours=2), "ever_published": status in ("published", "hidden"),
              "moderation_reason": "", "place": "", "about_minor": about_minor, "consent_guardian": about_minor,
              "event_id": event_id}
    return {k: v for k, v in values.items() if k in Story.__table__.c}


def build(app) -> World:
    """Three communities, 120 stories over 23 weeks in ten languages and every status, people
    joining over the months, events with attendance, and open and resolved reports."""
    world = World()
    for slug in COMMUNITIES:
        world.communities[slug] = f.community(slug, names={"en": slug.title(), "ar": "مجتمع " + slug}).id
    world.people["admin"] = f.account("admin", is_admin=True)
    world.people["giulia"] = f.account("giulia", community_slug="siena", role="facilitator")
    world.people["milica"] = f.account("milica", community_slug="belgrade", role="facilitator")
    world.people["amina"] = f.account("amina", community_slug="siena")
    author = world.people["amina"].id
    # Memberships made by the factories are "now"; the test's ranges end before that.

    # Events first: stories may name them.
    event_specs = [
        ("siena", date(2026, 6, 20), 40, {"gender": {"woman": 20, "man": 12}, "age": {"under_18": 10, "26_40": 15},
                                           "origin": {"newcomer": 25}}),
        ("siena", date(2026, 7, 3), 12, {"gender": {"woman": 5, "man": 5, "other": 1}}),
        ("belgrade", date(2026, 7, 30), 25, {"origin": {"newcomer": 10, "local": 14}}),
        ("utrecht", date(2026, 8, 15), 60, {"gender": {"woman": 30}, "age": {"over_65": 7, "41_65": 20}}),
        ("siena", date(2026, 9, 7), 9, {}),
        ("belgrade", date(2026, 10, 1), None, {}),   # attendance not recorded yet
        ("utrecht", date(2026, 4, 1), 99, {"gender": {"man": 50}}),  # before every range
    ]
    for n, (slug, starts_on, head, tallies) in enumerate(event_specs):
        event = Event(community_id=world.communities[slug], kind=["assembly", "storytelling", "camp"][n % 3],
                      title=["Assemblea", "Радионица прича", "جلسة الحكايات", "Zomerkamp"][n % 4] + f" {n}",
                      starts_on=starts_on, ends_on=starts_on + timedelta(days=4) if n == 3 else None,
                      place="Biblioteca" if n % 2 else "", head_count=head)
        linked = []
        if slug == "siena" and head:
            event.attendees.append(EventAttendee(account_id=author, gender="woman", age="26_40", origin=None))
            event.attendees.append(EventAttendee(account_id=world.people["giulia"].id, gender=None, age="41_65",
                                                 origin="local"))
            linked = [("woman", "26_40", None), (None, "41_65", "local")]
        for dimension, counts in tallies.items():
            for value, count in counts.items():
                event.tallies.append(EventTally(dimension=dimension, value=value, count=count))
        db.session.add(event)
        db.session.flush()
        world.events.append({"id": event.id, "community": slug, "starts_on": starts_on, "head": head,
                             "linked": linked, "tallies": tallies, "title": event.title, "kind": event.kind,
                             "ends_on": event.ends_on, "place": event.place})
    db.session.commit()

    rows = []
    for i in range(120):
        slug = COMMUNITIES[(i * 5) % 3]
        received = START + timedelta(hours=i * 31 + (i % 7) * 5)
        language = LANGUAGES[(i * 7 + i // 10) % 10]
        status = STATUSES[(i * 3 + i // 5) % 5]
        visibility = ["public", "community", "facilitators"][i % 3]
        title, body = f"Story {i}", f"Body of story {i}"
        if i % 11 == 0:
            title, body = "Дорога до Белграда", "Ми їхали три дні з двома валізами і котом."
        if i % 13 == 0:
            title, body = "أول شتاء في سيينا", "وصلنا في نوفمبر، وكان البرد جديدًا علينا."
        event_id = world.events[i % 5]["id"] if i % 4 == 0 and world.events[i % 5]["community"] == slug else None
        rows.append((i, slug, received, language, status, visibility, title, body, event_id))
    rows.append((500, "siena", SUNDAY_LAST, "it", "published", "public", "Sunday night", "Late.", None))
    rows.append((501, "siena", MONDAY_FIRST, "it", "published", "public", "Monday morning", "Early.", None))
    for i, slug, received, language, status, visibility, title, body, event_id in rows:
        media = ["a" * 64] if i % 6 == 0 else []
        row = _story_row(i, world.communities[slug], author, received, language, status, visibility, title, body,
                         media, about_minor=i % 17 == 0, event_id=event_id)
        db.session.execute(insert(Story.__table__), row)
        world.stories.append({**row, "community": slug})
    # People joining, spread over the months, in every community.
    for n in range(40):
        slug = COMMUNITIES[(n * 2) % 3]
        joined = START + timedelta(days=n * 4, hours=n)
        person = Account(username=f"person{n}", display_name="", password_hash="!", created_at=joined)
        db.session.add(person)
        db.session.flush()
        db.session.add(Membership(account_id=person.id, community_id=world.communities[slug], created_at=joined))
        world.joined.append((slug, joined))
    # Reports: open ones on some pending and published stories, resolved ones on others.
    reporters = [world.people["amina"].id, world.people["giulia"].id, world.people["milica"].id]
    reportable = [s for s in world.stories if s["status"] in ("pending", "published", "hidden")][:12]
    for n, story in enumerate(reportable):
        for r in range(1 + n % 3):
            created = story["received_at"] + timedelta(days=1 + r)
            resolved = n % 4 == 3
            db.session.add(StoryReport(story_id=story["id"], reporter_id=reporters[r], reason="spam", note="",
                                       created_at=created, resolved_at=created + timedelta(days=1) if resolved else None))
            world.reports.append((story["id"], created, resolved))
    # A report on a withdrawn story does not count.
    withdrawn = next(s for s in world.stories if s["status"] == "withdrawn")
    db.session.add(StoryReport(story_id=withdrawn["id"], reporter_id=reporters[0], reason="spam", note="",
                               created_at=withdrawn["received_at"]))
    world.reports.append((withdrawn["id"], withdrawn["received_at"], False))
    db.session.commit()
    return world


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def periods(first: date, last: date, period: str) -> list[date]:
    start = week_of(first) if period == "week" else month_of(first)
    out = []
    while start <= last:
        out.append(start)
        start = start + timedelta(days=7) if period == "week" else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


# --- Reading tables back ----------------------------------------------------------------------------

class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict] = {}
        self._table = None
        self._row = None
        self._cell = None
        self._section = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], {"head": [], "body": [], "foot": []})
        elif self._table is None:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = {"text": "", "datetime": None}
        elif tag == "time" and self._cell is not None:
            self._cell["datetime"] = attrs.get("datetime")

    def handle_endtag(self, tag):
        if self._table is None:
            return
        if tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table[self._section].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def tables(html: str) -> dict[str, dict]:
    """{table id: {"head": [[cell]], "body": [[cell]], "foot": [[cell]]}}; a cell is
    {"text", "datetime"} (the datetime of a <time> inside it)."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def number(text: str) -> int:
    """An English-formatted whole number as the page shows it ("1,234")."""
    return int(text.replace(",", ""))


@contextmanager
def app_in_time_zone(app_config, zone: str = "Pacific/Kiritimati"):  # UTC+14
    """An app whose PostgreSQL sessions run in another time zone, in its app context: what is
    counted by UTC day or week must not move with it."""
    from kultialogo import create_app
    options = {"pool_pre_ping": True, "connect_args": {"options": f"-c timezone={zone}"}}
    app = create_app({**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options})
    with app.app_context():
        try:
            assert db.session.execute(db.text("SHOW TIME ZONE")).scalar() == zone
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
