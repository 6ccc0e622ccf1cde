"""The events part of a person's data: the events they were counted at, with their answers, and
the stories they recorded as told at an event."""
from ..personal_data import Part
from .service import attended_by, lines_recorded_by

# Attendance rows keep the event's numbers without the person (account_id SET NULL), and told
# lines stay without who recorded them (recorded_by_id SET NULL): nothing else to forget.
PART = Part("events", "events.json (the events you were counted at, with the answers you gave); "
                      "events_stories_told.json (the stories you recorded as told at an event)",
            lambda person: {"events.json": attended_by(person), "events_stories_told.json": lines_recorded_by(person)},
            order=60)
