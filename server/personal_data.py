"""A person's data, part by part: each domain registers what it holds about a person.

The data download and the deletion of an account (kultialogo.privacy) go through every
registered part and know none by name, so a domain added later is downloaded and forgotten
by registering its part here, without editing the coordinator. Shared plumbing: it imports
no domain; domains register their part when their package is imported.
"""
from dataclasses import dataclass
from typing import Any, Callable

# What an account deletion does with what the person wrote: their choice on the form.
DELETE = "delete"
ANONYMISE = "anonymise"


@dataclass(frozen=True)
class Part:
    """One domain's share of a person's data.

    export(person) returns {file name in the zip: JSON-able value, or bytes, or a Path};
    readme says in a few words what those files hold (the zip's README.txt).
    forget(person, choice, revs) runs inside the deletion's one write transaction, before
    the account row goes: delete or anonymise (``choice``) what the person wrote, and give
    changed records a revision from ``revs`` so phones learn of it.
    order: parts run from low to high (media first: it lists the person's files before the
    stories that use them are withdrawn).
    """
    name: str
    readme: str
    export: Callable[[Any], dict]
    forget: Callable[[Any, str, Any], None] | None = None
    order: int = 100


_parts: dict[str, Part] = {}


def register(part: Part) -> Part:
    if part.name in _parts and _parts[part.name] != part:
        raise ValueError(f"a personal-data part named {part.name!r} is already registered")
    _parts[part.name] = part
    return part


def unregister(name: str) -> None:
    _parts.pop(name, None)


def parts() -> list[Part]:
    return sorted(_parts.values(), key=lambda part: (part.order, part.name))
