"""schemathesis against /api/v1/openapi.json, on the Flask app itself (WSGI), as each role.

Every documented operation gets data that fits the document (positive) and data that does
not (negative), sent with the bearer token of each role the app knows (a participant, a
facilitator, a site admin, a camp node, and nobody). Whatever comes in, the server must not
answer 5xx, must answer only documented status codes, with the documented content type and a
body matching the documented schema.

Bounded for CI: a few examples per operation and mode, derandomized (the same cases every run,
so a failure reproduces: its curl command is in the report), no example database. Rate limits are off for this app (the fuzz
would otherwise mostly meet 429); the test checks the next app made has them on again.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from sqlalchemy import select

from kultialogo import create_app
from kultialogo.accounts.auth import issue_token
from kultialogo.accounts.models import Account
from kultialogo.communities.models import Community
from kultialogo.demo import demo_story_id, load_demo
from kultialogo.extensions import db, limiter
from kultialogo.nodes import tokens as node_tokens

# Per operation and mode: CI size. A longer hunt: KULTIALOGO_FUZZ_EXAMPLES=200 (same seed, more cases).
EXAMPLES = int(os.environ.get("KULTIALOGO_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations not fuzzed, and why.
SKIPPED = {
    # Revoking the caller's own token would sign the role out for every operation after it;
    # tests/api/test_auth_tokens.py covers it.
    ("POST", "/api/v1/auth/revoke"): "revokes the token the rest of the run signs in with",
}


# Bodies the document gives as binary (tus chunks, a recording to disguise) go as the raw bytes.
@schemathesis.serializer("application/offset+octet-stream", "audio/ogg", "audio/mp4", "audio/wav")
def _raw_bytes(_ctx, value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# Yusuf's public story in Siena: the participant (Amina) may report and translate it, the
# facilitator (Giulia) and the admin moderate it.
REAL_STORY = 1

ROLES = ["anonymous", "participant", "facilitator", "admin", "node"]


def _tokens(app) -> dict:
    """The demo content, and a bearer token for each role (by the service: no sign-in limit)."""
    with app.app_context():
        load_demo()
        people = {name: db.session.scalar(select(Account).where(Account.username == name))
                  for name in ("amina", "giulia", "admin")}
        siena = db.session.scalar(select(Community).where(Community.slug == "siena"))
        node_token, _record = node_tokens.issue(people["admin"], siena, label="fuzz")
        out = {"anonymous": None, "node": node_token}
        for role, name in (("participant", "amina"), ("facilitator", "giulia"), ("admin", "admin")):
            out[role], _ = issue_token(people[name], "fuzz")
        db.session.remove()
    return out


@pytest.fixture
def fuzz_app(app_config):
    # No app context is held open around the requests: each request pushes its own, as under a
    # real server (an outer one would carry g, the cached requester, from one call to the next).
    app = create_app({**app_config, "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _strategy(operation, mode):
    """The operation's cases; where a path names a story, half of them name a real one (a
    random UUID only ever meets 404), so the fuzz reaches moderation, reports, translations."""
    cases = operation.as_strategy(generation_mode=mode)
    if "{story_id}" in operation.path:
        story = str(demo_story_id(REAL_STORY))
        cases = st.one_of(cases, operation.as_strategy(generation_mode=mode, path_parameters={"story_id": story}))
    return cases


# Generating is most of the cost (schemas as large as a push's), and derandomized it gives the
# same cases every time: so each operation's cases are made once per run and sent to every
# role's app on both databases.
_CASES: dict[tuple[str, str, str], list] = {}


def _cases(operation, mode) -> list:
    key = (operation.method.upper(), operation.path, mode.value)
    if key not in _CASES:
        made = []

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=_strategy(operation, mode))
        def collect(case):
            made.append(case)

        try:
            collect()
        except Unsatisfiable:
            pass  # nothing to get wrong (no parameters, no body): no negative cases
        _CASES[key] = made
    return _CASES[key]


def _send(case, app, headers) -> str | None:
    """What is wrong with the answer to this case, or None."""
    try:
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure, report all
        return str(exc)
    return None


@pytest.mark.parametrize("role", ROLES)
def test_no_server_errors_and_answers_as_documented(fuzz_app, role):
    tokens = _tokens(fuzz_app)
    # identity: the WSGI client does not undo Flask-Compress's gzip or brotli, as an HTTP client would
    headers = {"Accept-Encoding": "identity"}
    if tokens[role]:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20, "the document lost its operations"
    failures, sent, fuzzed = [], 0, 0
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        fuzzed += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in _cases(operation, mode):
                sent += 1
                problem = _send(case, fuzz_app, headers)
                if problem is not None:
                    failures.append(f"--- {operation.method.upper()} {operation.path} ({mode.value}, {role}):\n"
                                    f"{problem}")
                    break  # one per operation and mode is enough to act on
    print(f"{role}: {fuzzed} operations, {sent} cases")
    assert sent > 10 * fuzzed, "the fuzz sent too few cases to mean anything"
    assert not failures, "\n\n".join(failures)


def test_the_fuzz_app_leaves_rate_limits_on_for_the_next_app(app_config):
    """Flask-Limiter keeps one process-wide enabled flag; the next app must set it again."""
    create_app({**app_config, "RATELIMIT_ENABLED": False})
    assert limiter.enabled is False
    create_app(app_config)
    assert limiter.enabled is True
