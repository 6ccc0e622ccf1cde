"""The help part of a person's data: their requests (each with its whole thread) and the
messages they wrote as a mediator or coach. Always deleted with the account, whatever the
person chose for their stories: a help request is never kept without its asker."""
from ..personal_data import Part
from .service import forget, personal_export

PART = Part("help", "help_requests.json (your requests for help, with their messages), "
                    "help_messages.json (your answers to other people's requests)",
            personal_export, forget, order=60)
