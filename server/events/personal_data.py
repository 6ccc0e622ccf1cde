"""The events part of a person's data: the events they were counted at, with their answers."""
from ..personal_data import Part
from .service import attended_by

# Attendance lines go with the account row (ON DELETE CASCADE): nothing else to forget.
PART = Part("events", "events.json (the events you were counted at, with the answers you gave)",
            lambda person: {"events.json": attended_by(person)}, order=60)
