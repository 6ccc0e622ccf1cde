"""Push and pull as the API routes call them: the engine (engine.py) over every record kind,
plus what belongs to the wire: cursors, page limits, the pull's ETag and the protocol version."""
import base64
import hashlib
import re
from dataclasses import dataclass, field

from flask import current_app, jsonify
from flask.json.provider import DefaultJSONProvider

from .. import limits, policy, records
from ..errors import Problem
from ..extensions import db
from ..json_encoding import JSONProvider
from ..revisions import current_revision
from . import engine

# The version of the contract in docs/sync.md that push and pull speak; both report it, so a
# client (a phone's cached shell, a camp node) can tell what the server understands.
# 1: the original story contract; 2: with media, moderation, reports and translations;
# 3: record kinds (translations, event attendance, reports) in one push and one pull;
# 4: a push says its client's version, and a story's answer no longer repeats as "story".
PROTOCOL_VERSION = 4


def push(actor, items: list, protocol: int = engine.UNSTATED_PROTOCOL) -> list[dict]:
    """Answers to a push's items, in the shape its client's ``protocol`` version reads."""
    # What this request read so far (a browser session's account and its roles) is kept, not
    # read again; a token's is plain values (auth.api_actor), which no commit expires.
    return [engine.answer(entry, protocol) for entry in engine.push(actor, items, keep_loaded=True)]


# --- Pull -------------------------------------------------------------------------------

MAX_REVISION = 2**63 - 1  # revisions are BIGINT


def _plain_int(text: str) -> int:
    """ASCII digits only: int() also takes " 5", "1_0", "+5" and Arabic-Indic digits."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError(text)
    return int(text)


def encode_cursor(revision: int, scope: str | None = None) -> str:
    """A pull cursor: the revision, and the reader's scope (scope_tag) where it has one."""
    raw = f"r{revision}" if scope is None else f"r{revision}~{scope}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_scoped(cursor: str | None) -> tuple[int, str | None]:
    """(revision, scope tag or None) of a cursor; 400 bad_cursor for anything else."""
    if cursor in (None, ""):
        return 0, None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError
        revision, scoped, scope = raw[1:].partition("~")
        value = _plain_int(revision)
        if value > MAX_REVISION:  # a forged cursor: SQLite cannot even bind it (OverflowError)
            raise ValueError
        if scoped and not _SCOPE_TAG.fullmatch(scope):
            raise ValueError
        return value, (scope if scoped else None)
    except (ValueError, UnicodeDecodeError):
        raise Problem("bad_cursor", field="cursor") from None


def decode_cursor(cursor: str | None) -> int:
    return decode_scoped(cursor)[0]


_SCOPE_TAG = re.compile(r"[0-9a-f]{12}")


def scope_tag(viewer) -> str:
    """What the reader may see, as a short digest carried in their cursor: when it changes (they
    joined or left a community, another role, mediator or coach) the cursor no longer tells what
    their phone holds. Records they may now see lie behind it, and what they may no longer see
    is on the phone; their next pull then starts again from the start, with "reset"."""
    return hashlib.sha256(policy.scope_key(viewer).encode()).hexdigest()[:12]


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


def pull_body(page: PullPage, reset: bool = False) -> dict:
    """What a pull answers, as JSON (docs/sync.md)."""
    body = {"items": page.items, "cursor": page.cursor, "more": page.more, "protocol": PROTOCOL_VERSION}
    if reset:
        body["reset"] = True
    return body


def feed_etag(viewer, since: int, limit: int, head: int, kinds=None, reset: bool = False) -> str:
    # The protocol is part of it: a page cached under another version is never reused (304).
    shape = ",".join(kinds) if kinds is not None else "-"
    key = f"{PROTOCOL_VERSION}|{policy.scope_key(viewer)}|{since}|{limit}|{head}|{shape}|{int(reset)}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def pull_head(viewer, since: int, limit: int, kinds=None, reset: bool = False, conn=None,
              head: int | None = None) -> tuple[int, str]:
    """The head (read on ``conn``, a Core connection, when given; unless already read) and the
    page's ETag."""
    if head is None:
        head = current_revision(conn if conn is not None else db.session)
    return head, feed_etag(viewer, since, limit, head, kinds, reset)


def pull(viewer, since: int, limit: int, head: int | None = None, kinds=None, reset: bool = False) -> PullPage:
    """Changes of these kinds (None: stories, in the old shape) this viewer may see after
    ``since``, oldest change first.

    Read the head (the committed counter) before the rows: every revision at or below it is
    committed, so when the page is the last one the cursor may jump to the head safely.
    """
    if head is None:
        head = current_revision(db.session)
    if since >= head:
        # Nothing new: every kind's revisions come from the one counter, so no record committed
        # before the head was read lies after this cursor, and none of the kinds need be asked
        # (most pulls: a phone checking in). A record committed since is found next time: the
        # cursor stays where it was, as when the kinds find nothing.
        return PullPage(items=[], cursor=encode_cursor(since, scope_tag(viewer)), more=False,
                        etag=feed_etag(viewer, since, limit, head, kinds, reset))
    items, more, last = engine.pull(viewer, since, limit, kinds, head=head)
    cursor_rev = last if more else max(last, head, since)
    return PullPage(items=items, cursor=encode_cursor(cursor_rev, scope_tag(viewer)), more=more,
                    etag=feed_etag(viewer, since, limit, head, kinds, reset))


def compact_dumps(app):
    """``dumps(value) -> str`` as jsonify() writes compact JSON in this app (no newline), or
    None where it writes otherwise (debug mode's indented output, another JSON provider)."""
    provider = app.json
    compact = provider.compact is True or (provider.compact is None and not app.debug)
    if type(provider) not in (DefaultJSONProvider, JSONProvider) or not compact:
        return None
    return lambda value: provider.dumps(value, separators=(",", ":"))  # as provider.response() writes it


def page_response(body: dict):
    """jsonify(body) of a pull's page, byte for byte, with each kept view's JSON text made once
    and reused (records.KeptView): writing the page's 50 views was a tenth of a pull.

    Each item is written on its own, as the encoder writes a list's items one after the other,
    and put in the body's empty list: ``"items":[]`` is in the body's text once, its key's (a
    quote inside a string is escaped, so the key's closing quote cannot be part of one)."""
    dumps = compact_dumps(current_app)
    if dumps is None:
        return jsonify(body)  # the indented output, or another app's JSON: written as it writes it
    provider = current_app.json
    settings = (provider.ensure_ascii, provider.sort_keys)
    items = ",".join(item.json_text(dumps, settings) if isinstance(item, records.KeptView) else dumps(item)
                     for item in body["items"])
    text = dumps({**body, "items": []}).replace('"items":[]', f'"items":[{items}]', 1)
    return current_app.response_class(f"{text}\n", mimetype=provider.mimetype)
