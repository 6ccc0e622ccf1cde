"""Voice recordings attached to records other than stories (a reply, a help request).

Plumbing between the media domain and the domains whose records carry a recording, so neither
names the other: media registers how a recording is stored and released; a domain registers a
referrer (which of its rows name a file, and who may hear it), and media serves and keeps a file
while any referrer names it, exactly as it does for a story.
"""
import re
from dataclasses import dataclass
from typing import Callable

from .errors import Problem


@dataclass(frozen=True)
class Referrer:
    name: str
    # sha256 -> a SELECT of one column, one row per record naming the file (run on a plain
    # connection too, when media deletes files no one uses).
    referencing: Callable
    # (viewer, sha256) -> whether this viewer may see one of the records naming the file.
    may_hear: Callable
    # (sha256, community_id) -> whether a record of that community names the file: a camp
    # node fetches and sends only its own community's files (nodes/media.py).
    in_community: Callable | None = None


_referrers: list[Referrer] = []
_store: dict[str, Callable] = {}


def register_referrer(referrer: Referrer) -> None:
    if all(r.name != referrer.name for r in _referrers):
        _referrers.append(referrer)


def referrers() -> list[Referrer]:
    return list(_referrers)


def register_store(ingest: Callable, release: Callable, describe: Callable, missing: Callable,
                   disguised: Callable) -> None:
    """Media's side: ``ingest(owner, file_storage, field, max_bytes, disguise) -> sha256`` (a
    recording posted in a plain form, checked by content, refused unless audio; its voice
    disguised in memory when ``disguise``); ``release(hashes)``
    (delete after the commit if nothing names them); ``describe(hashes) -> [dict]`` (the
    served URL, type and length, for pages); ``missing(owner, hashes) -> tuple`` (those a pushed
    record names that this person has not uploaded as a recording: the push answers
    media_missing, and the phone uploads them first, as for a story); ``disguised(owner, hashes)
    -> bool`` (every one a recording this person uploaded with its voice disguised)."""
    _store.update(ingest=ingest, release=release, describe=describe, missing=missing, disguised=disguised)


def ingest_recording(owner, storage, field: str, max_bytes: int, disguise: bool = False) -> list[str]:
    """A recording posted in a plain form: [sha256], or [] when the file input was left empty."""
    if storage is None or not getattr(storage, "filename", None):
        return []
    try:
        return [_store["ingest"](owner, storage, field, max_bytes, disguise)]
    finally:
        storage.close()  # consumed (or refused half-read): its spooled temporary file goes now


def parse_recordings(value, field: str) -> tuple:
    """A record's recordings as the sync carries them: a list of at most one SHA-256; Problem
    bad_type otherwise."""
    if value is None:
        return ()
    if (not isinstance(value, list) or len(value) > 1
            or not all(isinstance(h, str) and re.fullmatch(r"[0-9a-f]{64}", h) for h in value)):
        raise Problem("bad_type", field=field)
    return tuple(value)


def named_in_community(sha256: str, community_id: int) -> bool:
    return any(r.in_community is not None and r.in_community(sha256, community_id) for r in _referrers)


def missing(owner, hashes) -> tuple:
    return tuple(_store["missing"](owner, list(hashes))) if hashes else ()


def release(hashes) -> None:
    if hashes and "release" in _store:
        _store["release"](list(hashes))


def describe(hashes) -> list[dict]:
    return _store["describe"](list(hashes or [])) if hashes and "describe" in _store else []


def same_recordings(owner, stored, sent) -> bool:
    """Whether a record sent again names the recordings it was stored with. A voice is disguised
    anew each time it goes up, into other bytes (disguise.py), so a phone that sends a record
    again after its answer was lost, or whose second tab sent it too, names another file: the
    same record still, when each differing file is a disguised recording of this person's."""
    stored, sent = list(stored or []), list(sent or [])
    if stored == sent:
        return True
    if len(stored) != len(sent):
        return False
    changed = [pair for pair in zip(stored, sent) if pair[0] != pair[1]]
    return bool(_store["disguised"](owner, [h for pair in changed for h in pair]))
