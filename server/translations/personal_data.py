"""The translations part of a person's data: the translations of stories they made."""
from ..personal_data import DELETE, Part
from .service import forget_translator, made_by


def _forget(person, choice, revs) -> None:
    # Deleted or kept without their name, as they chose for their stories.
    forget_translator(person, choice == DELETE, revs)


PART = Part("translations", "translations.json (the translations of stories you made)",
            lambda person: {"translations.json": made_by(person)}, _forget, order=70)
