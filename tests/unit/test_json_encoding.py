"""JSON written by orjson (kultialogo.json_encoding) is the standard library's, byte for byte.

Etags hash canonical JSON and phones keep them: a single byte written differently would turn
every replayed story into a conflict. Responses are compared the same way, so no client sees a
change but the speed.
"""
import dataclasses
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from flask import Flask, jsonify, render_template_string
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from kultialogo import json_encoding
from kultialogo.json_encoding import JSONProvider

# Every character a JSON string can carry from a phone (lone surrogates cannot be UTF-8), with
# the ASCII controls, quotes and backslashes weighted in: the escapes are where encoders differ.
_text = st.text(st.one_of(st.characters(blacklist_categories=("Cs",)),
                          st.sampled_from('\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f"\\/\u2028\u2029<>&\'')))
_json = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1) | _text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=40)


def _app(cls=JSONProvider, **config):
    app = Flask(__name__)
    app.json = cls(app)
    app.json.ensure_ascii = False
    app.config.update(config)
    return app


def _written(app, value) -> tuple[str, bytes]:
    """What the app's provider writes for ``value``: a compact dumps(), and a response's body."""
    with app.app_context():
        return app.json.dumps(value, separators=(",", ":")), app.json.response(value).get_data()


def _stdlib(value, **kwargs) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), **kwargs)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_canonical_is_the_standard_librarys_bytes(value):
    assert json_encoding.canonical(value) == _stdlib(value).encode()


@settings(max_examples=400, deadline=None)
@given(_json)
def test_provider_writes_what_flask_wrote(value):
    assert _written(_app(), value) == _written(_app(DefaultJSONProvider), value)


def test_what_orjson_cannot_write_goes_to_the_standard_library():
    """Flask's own types and the cases orjson refuses are written as Flask always wrote them."""
    @dataclasses.dataclass
    class Point:
        x: int

    value = {"when": datetime(2026, 7, 14, 10, 2, tzinfo=timezone.utc), "big": 2**70, "amount": Decimal("1.50"),
             "id": uuid.UUID(int=1), "point": Point(3), "nested": [[[[]]]] * 2, 5: "int key"}
    ours, flasks = _app(), _app(DefaultJSONProvider)
    for compact in ({"separators": (",", ":")}, {}):
        assert ours.json.dumps({str(k): v for k, v in value.items()}, **compact) == \
            flasks.json.dumps({str(k): v for k, v in value.items()}, **compact)
    # a non-string key next to string keys: the standard library refuses to sort them, as before
    for app in (ours, flasks):
        try:
            app.json.dumps(value, separators=(",", ":"))
        except TypeError as error:
            assert "'<' not supported" in str(error)
        else:
            raise AssertionError("mixed keys were sorted")
    assert ours.json.dumps({1: "a", 2: "b"}, separators=(",", ":")) == '{"1":"a","2":"b"}'
    deep = []
    for _ in range(600):  # past orjson's nesting limit
        deep = [deep]
    assert ours.json.dumps(deep, separators=(",", ":")) == flasks.json.dumps(deep, separators=(",", ":"))
    with ours.app_context():
        assert ours.json.response({"when": value["when"]}).get_data() == b'{"when":"Tue, 14 Jul 2026 10:02:00 GMT"}\n'


def test_other_settings_are_written_as_flask_writes_them():
    value = {"name": "سلام", "b": [1, 2], "a": None}
    for setting in ({"ensure_ascii": True}, {"sort_keys": False}):
        ours, flasks = _app(), _app(DefaultJSONProvider)
        for app in (ours, flasks):
            for key, on in setting.items():
                setattr(app.json, key, on)
        assert _written(ours, value) == _written(flasks, value)
    debug_ours, debug_flasks = _app(DEBUG=True), _app(DefaultJSONProvider, DEBUG=True)
    debug_ours.debug = debug_flasks.debug = True
    mine, theirs = _written(debug_ours, value), _written(debug_flasks, value)
    assert mine == theirs and b"\n  " in mine[1]  # indented, as Flask writes it in debug mode
    ours, flasks = _app(), _app(DefaultJSONProvider)
    template = "<script type=application/json>{{ value|tojson }}</script>"
    with ours.app_context():
        mine = render_template_string(template, value={"x": "</script>&'"})
    with flasks.app_context():
        theirs = render_template_string(template, value={"x": "</script>&'"})
    assert mine == theirs and "</script>&" not in mine.removesuffix("</script>")


def test_the_app_answers_in_orjsons_bytes(app):
    """The app's provider is this one, and jsonify answers with the standard library's bytes."""
    assert type(app.json) is JSONProvider
    value = {"title": "وصلنا في المساء", "n": 3, "nested": {"b": 1, "a": [True, None]}}
    with app.test_request_context():
        body = jsonify(value).get_data(as_text=True)
    assert body == _stdlib(value) + "\n"
