"""Answers the fuzz test (tests/fuzz) found undocumented, each checked against the document.

Each answer here was once missing from /api/v1/openapi.json (a status, a content type) or did
not fit its schema. The check is schemathesis's own: status code documented, content type
documented, body matching the schema.
"""
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from kultialogo import limits
from kultialogo.nodes import tokens as node_tokens
from tests import factories as f
from tests.api.conftest import PULL, push_one
from tests.factories import item as story_item

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
UNKNOWN_SHA = "0" * 64


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_dict(openapi_document_of(app))


def openapi_document_of(app):
    with app.test_client() as c:
        return c.get("/api/v1/openapi.json").get_json()


def conforms(schema, method, path, response, expected_status, **path_parameters):
    """The answer has the expected status, and the document describes it exactly."""
    assert response.status_code == expected_status, response.get_data(as_text=True)[:300]
    operation = schema[path][method]
    case = operation.Case(path_parameters=path_parameters or None)
    case.validate_response(response, checks=CHECKS)


def test_a_pull_of_stories_fits_the_document(client, people, schema):
    """Stories fitted several record schemas at once, and 'oneOf' wants exactly one."""
    push_one(client, people["participant_a"], story_item())
    response = client.get(PULL, headers=people["participant_a"].headers)
    assert response.get_json()["items"], "nothing to check"
    conforms(schema, "GET", "/api/v1/sync/pull", response, 200)
    kinds = client.get(PULL, query_string={"kinds": "story,translation,report"},
                       headers=people["participant_a"].headers)
    conforms(schema, "GET", "/api/v1/sync/pull", kinds, 200)


def test_a_media_file_nobody_may_see_is_a_documented_page(client, people, schema):
    """Outside /api/ an error is a page unless the client asks for JSON."""
    page = client.get(f"/media/{UNKNOWN_SHA}", headers=people["participant_a"].headers)
    assert page.mimetype == "text/html"
    conforms(schema, "GET", "/media/{sha256}", page, 404, sha256=UNKNOWN_SHA)
    problem = client.get(f"/media/{UNKNOWN_SHA}", headers={**people["participant_a"].headers,
                                                           "Accept": "application/json"})
    assert problem.get_json()["code"] == "not_found"
    conforms(schema, "GET", "/media/{sha256}", problem, 404, sha256=UNKNOWN_SHA)


def test_a_node_token_on_media_is_a_documented_401(client, people, schema):
    token, _ = node_tokens.issue(people["admin"].account, f.community("siena"))
    response = client.get(f"/media/{UNKNOWN_SHA}", headers={**f.bearer(token), "Accept": "application/json"})
    assert response.get_json()["code"] == "bad_token"
    conforms(schema, "GET", "/media/{sha256}", response, 401, sha256=UNKNOWN_SHA)


def test_a_person_on_node_media_is_a_documented_401(client, people, schema):
    response = client.get(f"/api/v1/node/media/{UNKNOWN_SHA}", headers=people["admin"].headers)
    conforms(schema, "GET", "/api/v1/node/media/{sha256}", response, 401, sha256=UNKNOWN_SHA)


def test_node_refusals_are_documented(client, people, schema):
    token, _ = node_tokens.issue(people["admin"].account, f.community("siena"))
    node = f.bearer(token)
    missing = client.post("/api/v1/node/media/missing", json={}, headers=node)
    assert missing.get_json()["code"] == "bad_request"
    conforms(schema, "POST", "/api/v1/node/media/missing", missing, 400)
    short = client.put(f"/api/v1/node/media/{UNKNOWN_SHA}", data=b"\x89PNG",
                       headers={**node, "Content-Type": "application/octet-stream",
                                "X-Content-SHA256": "1" * 64})
    assert short.get_json()["code"] == "checksum_mismatch"
    conforms(schema, "PUT", "/api/v1/node/media/{sha256}", short, 460, sha256=UNKNOWN_SHA)


def test_a_too_large_push_subscription_is_a_documented_413(client, people, schema):
    body = b'{"endpoint": "' + b"x" * (limits.WEBPUSH_BODY_MAX + 1) + b'"}'
    for method in ("POST", "DELETE"):
        response = client.open("/api/v1/webpush/subscriptions", method=method, data=body,
                               headers={**people["participant_a"].headers, "Content-Type": "application/json"})
        assert response.get_json()["code"] == "too_large"
        conforms(schema, method, "/api/v1/webpush/subscriptions", response, 413)


def test_translation_refusals_are_documented(client, people, schema):
    story = push_one(client, people["participant_a"], story_item())["id"]
    bad_tag = client.delete(f"/api/v1/stories/{story}/translations/accept", headers=people["participant_a"].headers)
    assert bad_tag.get_json()["code"] == "bad_language"
    conforms(schema, "DELETE", "/api/v1/stories/{story_id}/translations/{language}", bad_tag, 400,
             story_id=story, language="accept")
    body = b'{"body": "' + b"x" * (limits.STORY_BODY_MAX * 4 + 16 * 1024) + b'"}'
    too_large = client.put(f"/api/v1/stories/{story}/translations/it", data=body,
                           headers={**people["participant_a"].headers, "Content-Type": "application/json"})
    assert too_large.get_json()["code"] == "too_large"
    conforms(schema, "PUT", "/api/v1/stories/{story_id}/translations/{language}", too_large, 413,
             story_id=story, language="it")
