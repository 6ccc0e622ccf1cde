"""Push and pull as the API routes call them: the engine (engine.py) over every record kind,
plus what belongs to the wire: cursors, page limits, the pull's ETag and the protocol version."""
import base64
import hashlib
from dataclasses import dataclass, field

from .. import limits, policy
from ..errors import Problem
from ..extensions import db
from ..revisions import current_revision
from . import engine

# The version of the contract in docs/sync.md that push and pull speak; both report it, so a
# client (a phone's cached shell, a camp node) can tell what the server understands.
# 1: the original story contract; 2: with media, moderation, reports and translations;
# 3: record kinds (translations, event attendance, reports) in one push and one pull.
PROTOCOL_VERSION = 3


def push(actor, items: list) -> list[dict]:
    return [engine.answer(entry) for entry in engine.push(actor, items)]


# --- Pull -------------------------------------------------------------------------------

MAX_REVISION = 2**63 - 1  # revisions are BIGINT


def _plain_int(text: str) -> int:
    """ASCII digits only: int() also takes " 5", "1_0", "+5" and Arabic-Indic digits."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError(text)
    return int(text)


def encode_cursor(revision: int) -> str:
    return base64.urlsafe_b64encode(f"r{revision}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if cursor in (None, ""):
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError
        value = _plain_int(raw[1:])
        if value > MAX_REVISION:  # a forged cursor: SQLite cannot even bind it (OverflowError)
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError):
        raise Problem("bad_cursor", field="cursor") from None


def parse_limit(value) -> int:
    if value in (None, ""):
        return limits.PULL_DEFAULT_LIMIT
    try:
        number = _plain_int(value)
    except ValueError:
        raise Problem("bad_limit", field="limit", max=limits.PULL_MAX_LIMIT) from None
    if not 1 <= number <= limits.PULL_MAX_LIMIT:
        raise Problem("bad_limit", field="limit", max=limits.PULL_MAX_LIMIT)
    return number


parse_kinds = engine.parse_kinds


@dataclass
class PullPage:
    items: list = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    etag: str = ""


def feed_etag(viewer, since: int, limit: int, head: int, kinds=None) -> str:
    # The protocol is part of it: a page cached under another version is never reused (304).
    shape = ",".join(kinds) if kinds is not None else "-"
    key = f"{PROTOCOL_VERSION}|{policy.scope_key(viewer)}|{since}|{limit}|{head}|{shape}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def pull_head(viewer, since: int, limit: int, kinds=None) -> tuple[int, str]:
    head = current_revision(db.session)
    return head, feed_etag(viewer, since, limit, head, kinds)


def pull(viewer, since: int, limit: int, head: int | None = None, kinds=None) -> PullPage:
    """Changes of these kinds (None: stories, in the old shape) this viewer may see after
    ``since``, oldest change first.

    Read the head (the committed counter) before the rows: every revision at or below it is
    committed, so when the page is the last one the cursor may jump to the head safely.
    """
    if head is None:
        head = current_revision(db.session)
    items, more, last = engine.pull(viewer, since, limit, kinds)
    cursor_rev = last if more else max(last, head, since)
    return PullPage(items=items, cursor=encode_cursor(cursor_rev), more=more,
                    etag=feed_etag(viewer, since, limit, head, kinds))
