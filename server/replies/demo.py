"""Demo replies and reactions: a few answers under the first stories, one waiting for review.

Written through the service with fixed ids, so running the demo again stores nothing new (the
same id and text: unchanged; a reaction already there stays one).
"""
import uuid

from ..errors import Problem
from .service import add_reply, existing_reaction, toggle_reaction

_NS = uuid.UUID("6f1c2f4e-5d0b-4c55-9b0e-16a0c1b2e7d1")

# (index of the story in demo.STORIES, who replies, text)
REPLIES = [
    (0, "giulia", "Grazie, Amina. Your neighbour's blankets remind me why we started these evenings."),
    (0, "yusuf", "شكرًا لك. نحن أيضًا وصلنا في الشتاء."),
    (1, "amina", "I want to taste this bread at the next evening!"),
]
# (index of the story, who reacts, kind)
REACTIONS = [(0, "giulia", "thanks"), (0, "yusuf", "me_too"), (1, "amina", "learned")]


def load_replies(people, story_id_of) -> int:
    """Add the demo replies and reactions; returns how many replies were added this run."""
    added = 0
    for n, who, body in REPLIES:
        try:
            result, _reply = add_reply(people[who], story_id_of(n), body, uuid.uuid5(_NS, f"{n}-{who}"))
        except Problem:
            continue  # the story was changed by hand since (withdrawn, hidden): leave it
        added += result == "created"
    for n, who, kind in REACTIONS:
        if existing_reaction(story_id_of(n), people[who].id, kind) is None:
            try:
                toggle_reaction(people[who], story_id_of(n), kind)
            except Problem:
                continue
    return added
