"""`kultialogo demo` shows the events and the dashboard: events with attendance in the three
communities, stories told at them, spread over the weeks; a second run changes nothing."""
from sqlalchemy import func, select

from kultialogo.demo import load_demo
from kultialogo.events import service
from kultialogo.events.models import Event
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests.dashboard.helpers import tables
from tests.people.helpers import Fresh


def test_the_demo_has_events_with_attendance_and_fills_the_dashboard(app):
    assert "7 new events" in load_demo()
    assert "0 new events" in load_demo()
    db.session.rollback()
    events = db.session.scalars(select(Event).order_by(Event.starts_on)).all()
    assert {e.community.slug for e in events} == {"siena", "belgrade", "utrecht"}
    for event in events:
        counts = service.breakdown(event)
        for dimension in counts.values():
            assert sum(dimension.values()) == event.head_count  # nothing over the head count
    told = db.session.scalar(select(func.count()).select_from(Story).where(Story.event_id.is_not(None)))
    assert told >= 5
    weeks = db.session.scalar(select(func.count(func.distinct(func.date(Story.received_at)))))
    assert weeks > 10  # spread over the weeks, not all today
    client = Fresh(app)
    client.sign_in("admin", "kultialogo-demo")
    page = tables(client.get("/dashboard").get_data(as_text=True))
    attendance = page["table-attendance-gender"]["foot"][0]
    assert int(attendance[2]["text"].replace(",", "")) == sum(e.head_count for e in events)
    assert int(page["table-status"]["foot"][0][-1]["text"]) == db.session.scalar(
        select(func.count()).select_from(Story))
