"""/api/v1/openapi.json is a valid OpenAPI 3 document that matches the routes really served."""
import re

from openapi_spec_validator import validate

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def served(app) -> set[tuple[str, str]]:
    """(path, method) pairs the app answers, in OpenAPI spelling. HEAD and OPTIONS count only
    where a view handles them itself (tus does), not Flask's automatic ones."""
    out = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        methods = set(rule.methods)
        if "GET" in methods:
            methods.discard("HEAD")
        if rule.provide_automatic_options is not False:
            methods.discard("OPTIONS")
        out.update((path, method.lower()) for method in methods)
    return out


def documented(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS}


def test_the_document_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_every_documented_operation_is_served(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    missing = documented(doc) - served(app)
    assert not missing, f"documented but not served: {sorted(missing)}"


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    api_routes = {(p, m) for p, m in served(app) if p.startswith("/api/v1/") or p == "/healthz"}
    undocumented = api_routes - documented(doc)
    assert not undocumented, f"served but not documented: {sorted(undocumented)}"


def test_documented_limits_match_the_published_ones(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    published = client.get("/api/v1/limits").get_json()
    push_items = doc["paths"]["/api/v1/sync/push"]["post"]["requestBody"]["content"]["application/json"]
    assert push_items["schema"]["properties"]["items"]["maxItems"] == published["push"]["max_items"]
    limit = next(p for p in doc["paths"]["/api/v1/sync/pull"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == published["pull"]["max_limit"]
    assert limit["schema"]["default"] == published["pull"]["default_limit"]


def test_every_problem_code_the_server_uses_is_in_the_documented_enum(client):
    from kultialogo.errors import MESSAGES
    doc = client.get("/api/v1/openapi.json").get_json()
    assert set(doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]) == set(MESSAGES)


def test_every_record_kind_is_described(client):
    from kultialogo import records
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert doc["components"]["schemas"]["PushItem"]["properties"]["type"]["enum"] == records.names()
    for name in records.names():
        if name == "story":
            continue
        title = "".join(part.title() for part in name.split("_"))
        assert schemas[f"{title}Data"]["properties"], name
        # Records phones pull carry their revision; camp-node-only kinds (accounts) travel whole.
        node_only = records.get(name).ops == (records.REPLICATE,)
        expected = {"type", "id"} if node_only else {"type", "id", "revision"}
        assert expected <= set(schemas[f"{title}Record"]["properties"]), name
