"""Reading JSON request bodies strictly, within the published byte limit."""
import json
import zlib

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Problem


def read_json(max_bytes: int, max_depth: int | None = None):
    """The request's JSON, or a Problem: 413 past the limit, 400 for anything malformed.

    Accepts ``Content-Encoding: gzip`` (phones on 2G send less); the limit applies to the
    decoded bytes and decoding stops there, so a small bomb cannot blow up in memory.
    """
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Problem("too_large", status=413, max=max_bytes)
    request.max_content_length = max_bytes
    try:
        raw = request.get_data(cache=True)  # cached: the limiter's key function may read it too
    except RequestEntityTooLarge:
        raise Problem("too_large", status=413, max=max_bytes) from None
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, max_bytes + 1)
        except zlib.error:
            raise Problem("bad_json", status=400) from None
        if len(raw) > max_bytes or inflater.unconsumed_tail:
            raise Problem("too_large", status=413, max=max_bytes)
    elif encoding not in ("identity", ""):
        raise Problem("unsupported_media_type", status=415)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem("bad_encoding", status=400) from None
    max_depth = max_depth or MAX_DEPTH
    try:
        # NaN and Infinity are Python's extension, not JSON (RFC 8259): malformed like any other.
        value = json.loads(text, parse_constant=_not_json)
    except RecursionError:
        raise Problem("too_deep", status=400, max=max_depth) from None
    except ValueError:
        raise Problem("bad_json", status=400) from None
    # A value nests no deeper than the brackets its text opens (strings' brackets only add to
    # the count): counting them is C's work, and spares a push of 100 stories the walk below,
    # which cost more than parsing it (bench/ingest.py).
    if text.count("[") + text.count("{") > max_depth and nesting_depth(value, max_depth) > max_depth:
        raise Problem("too_deep", status=400, max=max_depth)
    return value


# No request of ours nests past a handful of levels. Deeper ones are refused here, so nothing
# that walks a body later (validation, logging, jsonify) can recurse into a RecursionError.
MAX_DEPTH = 32
# The push refuses a badly nested item on its own (bad_type), not the whole request: one poison
# item must not block a phone's outbox. Deeper than this, the whole body goes (the parser's
# own recursion ends near 1000 levels).
PUSH_MAX_DEPTH = 512


def nesting_depth(value, limit: int = MAX_DEPTH) -> int:
    """How deep lists and dicts nest in a parsed JSON value, found with a loop (never recursion).

    One level at a time, keeping only the containers: a push's body is mostly strings, and
    walking every value as a (value, depth) pair was a tenth of a push's own work.
    """
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return depth  # enough to refuse; no need to walk the rest
        below = []
        for item in level:
            below += [child for child in (item.values() if isinstance(item, dict) else item)
                      if isinstance(child, (dict, list))]
        level = below
    return depth


def peek_json(max_bytes: int):
    """The request's JSON for a rate-limit key and the like: None instead of any Problem."""
    try:
        return read_json(max_bytes)
    except Problem:
        return None


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")
