"""JSON as the app writes it: Flask's JSON provider, written by orjson; and the canonical form
that content etags hash.

Writing JSON was a sixth of a push's CPU (bench/ingest.py): a batch's answer of 100 stories and
each story's etag. orjson writes the same bytes as the standard library does with the settings
used here (UTF-8 text, sorted keys, compact separators): the same escapes of control characters,
quotes and backslashes, nothing else escaped; integers alike. It differs only where these
settings never meet it, so those cases are handed to the standard library, which writes them as
before:

- an integer outside 64 bits, a dict key that is not a string, a type neither knows natively
  (datetime: Flask writes an HTTP date; dataclasses, Decimal, ``__html__``): orjson raises and
  the standard library writes the whole value, through Flask's ``default``;
- ``ensure_ascii`` (escapes for every non-ASCII character), indentation (debug mode), spaces
  after separators (a plain ``dumps()`` call, e.g. Jinja's ``tojson``).

One difference is left: a float's exponent (orjson ``1e-7``, Python ``1e-07``), the same number.
No etag hashes a float (story and attendance content has none), and a client reads either.
"""
import json

import orjson
from flask.json.provider import DefaultJSONProvider

_COMPACT = (",", ":")
# Types Flask's default() writes its own way (an HTTP date for a datetime) go to the standard
# library, as does anything orjson does not know.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(value):
    raise TypeError(type(value).__name__)


def canonical(value) -> bytes:
    """The canonical UTF-8 JSON of a value without floats, as etags hash it: sorted keys, no
    spaces, characters as they are. The same bytes as ``json.dumps(value, sort_keys=True,
    ensure_ascii=False, separators=(",", ":")).encode()``."""
    try:
        return orjson.dumps(value, default=_refuse, option=orjson.OPT_SORT_KEYS | _PASSTHROUGH)
    except TypeError:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=_COMPACT).encode()


class JSONProvider(DefaultJSONProvider):
    """Flask's DefaultJSONProvider, the same bytes, written by orjson where it can."""

    def _orjson(self, obj, kwargs: dict) -> bytes | None:
        """orjson's bytes for a dumps() call, or None where the standard library must write them."""
        if (self.ensure_ascii or kwargs.get("separators") != _COMPACT
                or kwargs.keys() - {"separators"} or self.default is not DefaultJSONProvider.default):
            return None
        try:
            return orjson.dumps(obj, default=_refuse,
                                option=(orjson.OPT_SORT_KEYS | _PASSTHROUGH) if self.sort_keys else _PASSTHROUGH)
        except TypeError:
            return None

    def dumps_bytes(self, obj, **kwargs) -> bytes:
        raw = self._orjson(obj, kwargs)
        return raw if raw is not None else super().dumps(obj, **kwargs).encode()

    def dumps(self, obj, **kwargs) -> str:
        raw = self._orjson(obj, kwargs)
        return raw.decode() if raw is not None else super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs):
        """As DefaultJSONProvider.response(), without decoding and encoding the body again."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps_bytes(obj, separators=_COMPACT) + b"\n",
                                        mimetype=self.mimetype)
