"""The replies part of a person's data: the replies they wrote and their reactions."""
from ..personal_data import Part
from .service import forget, made_by


def _forget(person, choice, revs) -> None:
    # Deleted whatever the choice for stories: a reply is a short personal answer, and without
    # its author it would read as someone else's words.
    forget(person, revs)


PART = Part("replies", "replies.json and reactions.json (your replies to stories and your reactions)",
            made_by, _forget, order=75)
