"""The OpenAPI 3 description of /api/v1, built from the same limits the server enforces.

tests/api/test_openapi.py checks it is valid and that every documented path and method is
served (and every API route documented), so it cannot drift from the code.
"""
from .. import limits, records
from ..errors import MESSAGES
from ..stories.models import AUTHOR_DISPLAYS, CONSENT_KINDS, STATUSES, VISIBILITIES
from ..moderation.models import MODERATION_REASONS, REASON_REPORTED, REPORT_REASONS

PUSH_RESULTS = ["created", "updated", "unchanged", "conflict", "rejected", "media_missing"]


def _problem_ref(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_CHECK = {"type": "string", "enum": ["ok", "failed"]}
_HEALTH = {"type": "object", "required": ["status", "checks"], "properties": {
    "status": {"type": "string", "enum": ["ok", "unavailable"]},
    "checks": {"type": "object", "properties": {"database": _CHECK, "media": _CHECK}},
    "code": {"type": "string", "enum": ["database_unavailable", "media_store_unavailable"]},
    "database": {"type": "string", "description": "The database's kind (sqlite, postgresql)"}}}
def _problem_or_page(description: str) -> dict:
    """An error outside /api/: a page, unless the client asks for JSON (errors.wants_json)."""
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
        "text/html": {"schema": {"type": "string"}}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    errors = {
        "400": _problem_ref("Malformed request (bad_json, too_deep, bad_encoding, bad_request, bad_cursor, bad_limit)"),
        "401": _problem_ref("Missing, expired, revoked or malformed token (bad_token, unauthorized)"),
        "403": _problem_ref("Authenticated but not allowed (forbidden, csrf_failed)"),
        "413": _problem_ref("Over the published limits (too_many_items, too_large)"),
        "429": _problem_ref("Rate limited; see Retry-After"),
        "503": _problem_ref("Overloaded or in maintenance; see Retry-After"),
    }
    # Every registered record kind, described by its own schemas (records.Kind); stories by the
    # StoryData and Story schemas below, which grew here before kinds had schemas of their own.
    title = lambda name: "".join(part.title() for part in name.split("_"))  # noqa: E731
    data_ref = lambda name: ref("StoryData" if name == "story" else f"{title(name)}Data")  # noqa: E731
    kind_schemas = {}
    for name in records.names():
        if name != "story":
            kind = records.get(name)
            kind_schemas[f"{title(name)}Data"] = kind.data_schema
            kind_schemas[f"{title(name)}Record"] = kind.view_schema
    record_refs = [ref("Story"), ref("Tombstone")] + [ref(f"{title(n)}Record") for n in records.names() if n != "story"]
    translation_result = {"allOf": [ref("Translation"), {"type": "object", "properties": {
        "result": {"type": "string", "enum": ["created", "updated", "unchanged"]},
        "story": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["published", "pending"]}}}]}
    content_props = {
        "title": {"type": "string", "maxLength": limits.STORY_TITLE_MAX},
        "body": {"type": "string", "maxLength": limits.STORY_BODY_MAX},
        "language": {"type": "string", "description": "BCP 47 tag", "example": "ar"},
        "community": {"type": "string", "description": "community slug"},
        "visibility": {"type": "string", "enum": list(VISIBILITIES)},
        "author_display": {"type": "string", "enum": list(AUTHOR_DISPLAYS), "default": "pseudonym"},
        "consent": ref("Consent"),
        "media": {"type": "array", "maxItems": limits.STORY_MEDIA_MAX,
                  "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        "place": {"type": "string", "maxLength": limits.STORY_PLACE_MAX, "default": "",
                  "description": "A town or a few words; coordinates and map links are refused "
                                 "(place_coordinates)"},
        "about_minor": {"type": "boolean", "default": False,
                        "description": "About or by a minor: needs consent.guardian, and goes public "
                                       "only after a second facilitator's look"},
        "event": {"type": "integer", "nullable": True, "minimum": 1, "default": None,
                  "description": "The event (of the story's community) where the story was told; an id "
                                 "the requester may see, else rejected with unknown_event"},
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Kultialogo sync API", "version": "1.0.0",
                 "description": "The contract between phones, camp nodes and the server "
                                "(docs/sync.md). Error bodies are application/problem+json "
                                "with a machine-readable code and a localised message."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "nodeToken": {"type": "http", "scheme": "bearer",
                              "description": "A camp node's token (kn_...), issued on the Camp nodes page"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "Browser session; unsafe requests also send X-CSRF-Token."},
            },
            "schemas": {
                "Problem": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": sorted(MESSAGES)},
                    "message": {"type": "string"}, "field": {"type": "string"}}},
                "Consent": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": list(CONSENT_KINDS)},
                    "recorded_by": {"type": "string", "nullable": True},
                    "at": {"type": "string", "format": "date-time", "nullable": True},
                    "guardian": {"type": "boolean", "default": False,
                                 "description": "A parent or guardian consented (required with about_minor)"}}},
                "StoryData": {"type": "object", "required": ["title", "body", "language", "community", "visibility"],
                              "properties": {"id": {"type": "string", "format": "uuid"},
                                             "created_at": {"type": "string", "format": "date-time", "nullable": True},
                                             **content_props}},
                "Story": {"type": "object", "required": ["id", "status", "revision", "etag"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, **content_props,
                    "author": {"type": "string", "nullable": True},
                    "created_at": {"type": "string", "format": "date-time", "nullable": True},
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "revision": {"type": "integer"},
                    "received_at": {"type": "string", "format": "date-time"},
                    "etag": {"type": "string"},
                    "moderation_reason": {"type": "string",
                                          "description": "Only for the author of a rejected or hidden story: "
                                                         "the facilitator's note"},
                    "moderation_reason_code": {"type": "string", "enum": list(MODERATION_REASONS) + [REASON_REPORTED],
                                               "description": "Only for the author of a rejected or hidden story"},
                    "moderation_reason_text": {"type": "string",
                                               "description": "The reason code in words, in the requester's language"},
                    "conflicts": {"type": "array", "description": "Only for the author", "items": {"type": "object"}},
                    "translations": {"type": "array", "items": ref("Translation"),
                                     "description": "People's published translations; adding, changing or removing "
                                                    "one gives the story a new revision"}}},
                "Translation": {"type": "object", "required": ["language", "title", "body", "translator", "updated_at"],
                                "properties": {
                    "language": {"type": "string", "description": "BCP 47 tag, never the story's own language"},
                    "title": {"type": "string", "maxLength": limits.STORY_TITLE_MAX},
                    "body": {"type": "string", "maxLength": limits.STORY_BODY_MAX},
                    "translator": {"type": "string", "nullable": True,
                                   "description": "As the translator chose to be shown; null when anonymous"},
                    "updated_at": {"type": "string", "format": "date-time"}}},
                "Tombstone": {"type": "object", "required": ["id", "deleted", "revision"], "properties": {
                    "type": {"type": "string", "description": "The record kind (absent in the story-only shape)"},
                    "id": {"type": "string", "format": "uuid"}, "deleted": {"type": "boolean", "enum": [True]},
                    "revision": {"type": "integer"}}},
                "PushItem": {"type": "object", "required": ["id"], "properties": {
                    "type": {"type": "string", "enum": records.names(), "default": "story",
                             "description": "The record kind (docs/sync.md, Record kinds)"},
                    "op": {"type": "string", "enum": sorted({op for name in records.names()
                                                              for op in records.get(name).ops}),
                           "default": "upsert", "description": "Which a kind takes: see its *Data schema"},
                    "id": {"type": "string", "format": "uuid"},
                    "base_etag": {"type": "string", "nullable": True},
                    # anyOf: the item's type says which applies; a body may fit several kinds' schemas
                    "data": {"anyOf": [data_ref(name) for name in records.names()]}}},
                "PushResult": {"type": "object", "required": ["id", "result", "record", "error", "missing_media"],
                               "properties": {
                                   "type": {"type": "string", "nullable": True},
                                   "id": {"type": "string", "nullable": True},
                                   "result": {"type": "string", "enum": PUSH_RESULTS},
                                   "record": {"nullable": True, "anyOf": record_refs},
                                   "story": {"nullable": True, "anyOf": [ref("Story"), ref("Tombstone")],
                                             "description": "Story items, to clients of protocol 3 and older "
                                                            "(no protocol in the push): the same as record"},
                                   "error": {"nullable": True, "allOf": [ref("Problem")]},
                                   "missing_media": {"type": "array", "items": {"type": "string"}}}},
                **kind_schemas,
            },
        },
        "paths": {
            "/healthz": {"get": {"summary": "Health: the database answers a query and the media store takes, "
                                            "gives back and deletes a tiny file", "security": [], "responses": {
                "200": _json(_HEALTH, "Every check passed"),
                "503": _json(_HEALTH, "A check failed: `checks` says which, `code` is the first failure "
                                      "(database_unavailable, media_store_unavailable)")}}},
            "/api/v1/limits": {"get": {"summary": "Every limit the server enforces", "security": [],
                                       "responses": {"200": _json({"type": "object"})}}},
            "/api/v1/communities": {"get": {"summary": "Communities and the requester's role in each",
                                            "responses": {"200": _json({"type": "array", "items": {
                                                "type": "object", "properties": {
                                                    "slug": {"type": "string"}, "name": {"type": "string"},
                                                    "role": {"type": "string", "nullable": True,
                                                             "enum": ["participant", "facilitator", "admin", None]}}}}),
                                                "401": errors["401"]}}},
            "/api/v1/communities/{slug}/name-hashes": {"get": {
                "summary": "Salted short hashes of the other members' full names (members only), "
                           "for the phone's personal-data warning",
                "description": "Each hash is FNV-1a (32 bits) of the UTF-8 string \"<salt> <name>\", the name in "
                               "lower case with accents and combining marks removed and its words single-spaced, "
                               "cut to its low `bits`. Names of `words[0]` to `words[1]` words, the requester's "
                               "own left out. The phone hashes each such run of words in a text and points out "
                               "a match; collisions are expected and keep the list from revealing names.",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "required": ["salt", "bits", "words", "hashes"],
                                            "properties": {
                                                "community": {"type": "string"}, "salt": {"type": "string"},
                                                "bits": {"type": "integer"},
                                                "words": {"type": "array", "items": {"type": "integer"}},
                                                "hashes": {"type": "array", "items": {"type": "integer"}}}}),
                              "401": errors["401"],
                              "403": _problem_ref("Not a member of the community (not_member)"),
                              "404": _problem_ref("No such community (unknown_community)")}}},
            "/api/v1/auth/token": {"post": {
                "summary": "Exchange username and password for a bearer token", "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                                   "label": {"type": "string"}}}}}},
                "responses": {"200": _json({"type": "object", "properties": {
                    "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}}),
                    "400": errors["400"], "401": _problem_ref("Wrong username or password (bad_credentials)"),
                    "429": errors["429"]}}},
            "/api/v1/auth/revoke": {"post": {"summary": "Revoke the bearer token sent with this request",
                                             "security": [{"bearer": []}],
                                             "responses": {"204": {"description": "Revoked"}, "401": errors["401"]}}},
            "/api/v1/sync/push": {"post": {
                "summary": "Upload a batch of changes; each item is processed on its own",
                "security": [{"bearer": []}, {"session": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "maxItems": limits.PUSH_MAX_ITEMS,
                                             "items": ref("PushItem")},
                                   "protocol": {"type": "integer", "minimum": 1, "default": 3,
                                                "description": "The sync contract version the client speaks"}}}}}},
                "responses": {"200": _json({"type": "object", "properties": {
                    "results": {"type": "array", "items": ref("PushResult")},
                    "server_time": {"type": "string", "format": "date-time"},
                    "protocol": {"type": "integer", "description": "Version of the sync contract (docs/sync.md)"}}}),
                    **errors}}},
            "/api/v1/sync/pull": {"get": {
                "summary": "Records of the asked kinds visible to the requester changed after the cursor, oldest first",
                "security": [{}, {"bearer": []}, {"session": []}],
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                 "maximum": limits.PULL_MAX_LIMIT,
                                                                 "default": limits.PULL_DEFAULT_LIMIT}},
                    {"name": "kinds", "in": "query", "schema": {"type": "string"}, "example": ",".join(records.names()),
                     "description": "Comma-separated record kinds; absent: stories only, without 'type'"},
                    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    # anyOf: a record's own type says which; a story fits several kinds' open schemas
                    "items": {"type": "array", "items": {"anyOf": record_refs}},
                    "cursor": {"type": "string"}, "more": {"type": "boolean"},
                    "reset": {"type": "boolean", "description": "The requester's scope changed since the cursor: "
                              "from the start, and the phone drops what earlier pulls brought"},
                    "protocol": {"type": "integer", "description": "Version of the sync contract (docs/sync.md)"}}}),
                    "304": {"description": "Feed unchanged for this If-None-Match"},
                    "400": errors["400"], "401": errors["401"]}}},
            **_node_paths(errors),
            **_webpush_paths(errors),
            "/api/v1/stories/{story_id}/translations/{language}": {
                "put": {
                    "summary": "Add or replace the translation of a readable story into one language (one per "
                               "language). Published at once when the author or a facilitator of the story's "
                               "community sends it, otherwise it waits for a facilitator's review; only its "
                               "translator and the story's facilitators may replace it",
                    "security": [{"bearer": []}, {"session": []}],
                    "parameters": [{"name": "story_id", "in": "path", "required": True,
                                    "schema": {"type": "string", "format": "uuid"}},
                                   {"name": "language", "in": "path", "required": True,
                                    "schema": {"type": "string", "maxLength": 35}, "description": "BCP 47 tag"}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "properties": {
                            "title": {"type": "string", "maxLength": limits.STORY_TITLE_MAX},
                            "body": {"type": "string", "maxLength": limits.STORY_BODY_MAX,
                                     "description": "Required when the story has words"},
                            "translator_display": {"type": "string", "enum": list(AUTHOR_DISPLAYS),
                                                   "default": "pseudonym"}}}}}},
                    "responses": {
                        "201": _json(translation_result, "Added"),
                        "200": _json(translation_result, "Replaced (result updated) or the same again (unchanged)"),
                        "400": _problem_ref("Not a valid language tag (bad_language), the story's own language "
                                            "(translation_same_language), too long, missing text"),
                        "401": errors["401"], "413": errors["413"],
                        "403": _problem_ref("The story is not readable in full by the requester yet (forbidden)"),
                        "404": _problem_ref("No such story, or not one the requester may see"),
                        "409": _problem_ref("Someone else's translation into this language exists (translation_exists)")}},
                "delete": {
                    "summary": "Remove a translation (its translator, the story's facilitators)",
                    "security": [{"bearer": []}, {"session": []}],
                    "parameters": [{"name": "story_id", "in": "path", "required": True,
                                    "schema": {"type": "string", "format": "uuid"}},
                                   {"name": "language", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "Removed"},
                                  "400": _problem_ref("Not a valid language tag (bad_language)"), "401": errors["401"],
                                  "403": _problem_ref("Not its translator nor a facilitator (forbidden)"),
                                  "404": _problem_ref("No such story or translation")}}},
            "/api/v1/stories/{story_id}/moderation": {"post": {
                "summary": "Publish, reject, hide or unhide a story (facilitators of its community, admins)",
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [{"name": "story_id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["action"], "properties": {
                        "action": {"type": "string", "enum": ["publish", "reject", "hide", "unhide"]},
                        "reason": {"type": "string", "maxLength": limits.REPORT_NOTE_MAX,
                                   "description": "For reject and hide: a reason code (" + ", ".join(MODERATION_REASONS)
                                                  + "), shown to the author in their language; default other. "
                                                    "Any other text is taken as the note, with the code other."},
                        "note": {"type": "string", "maxLength": limits.REPORT_NOTE_MAX,
                                 "description": "The facilitator's note to the author (optional)"}}}}}},
                "responses": {"200": _json(ref("Story")), "400": errors["400"], "401": errors["401"],
                              "403": _problem_ref("Not a facilitator of the story's community nor an admin "
                                                  "(forbidden), or a minor's story needs another facilitator "
                                                  "(second_look_required)"),
                              "404": _problem_ref("No such story"),
                              "409": _problem_ref("The transition does not apply (bad_transition)")}}},
            "/api/v1/stories/{story_id}/reports": {"post": {
                "summary": "Report a story (anyone signed in who can read it, but its author); the same "
                           "person reporting again counts once. Enough distinct reporters hide it at once",
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [{"name": "story_id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["reason"], "properties": {
                        "reason": {"type": "string", "enum": list(REPORT_REASONS)},
                        "note": {"type": "string", "maxLength": limits.REPORT_NOTE_MAX}}}}}},
                "responses": {
                    "201": _json({"type": "object", "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "result": {"type": "string", "enum": ["reported"]}}}, "Reported"),
                    "200": _json({"type": "object", "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "result": {"type": "string", "enum": ["already_reported"]}}},
                        "This person had already reported the story: nothing changes"),
                    "400": _problem_ref("bad_reason, bad_type, missing_field, too_long, bad_text"),
                    "401": errors["401"], "403": errors["403"],
                    "404": _problem_ref("No such story, or not visible to the requester"),
                    "409": _problem_ref("Not a published story of someone else (not_reportable)"),
                    "429": _problem_ref("Too many reports (report_rate_limited); see Retry-After")}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                             "responses": {"200": _json({"type": "object"})}}},
            **_media_paths(errors),
        },
    }
    # Every body is read under a published limit (api/body.py, the form and upload limits): any
    # operation that takes one may answer 413 too_large.
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("413", errors["413"])
    return document


def _header(description: str, type_: str = "string") -> dict:
    return {"description": description, "schema": {"type": type_}}


def _media_paths(errors: dict) -> dict:
    """tus 1.0 (core, creation, checksum) and /media/<sha256>, as server/media/routes.py serves them.

    The protocol itself is tus's (https://tus.io/protocols/resumable-upload); this lists the
    operations, their headers and the problem codes this server adds.
    """
    tus = {"name": "Tus-Resumable", "in": "header", "required": True,
           "schema": {"type": "string", "enum": ["1.0.0"]}}
    upload_id = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
    auth = [{"bearer": []}, {"session": []}]
    tus_refused = _problem_ref("Missing or unsupported Tus-Resumable (bad_upload)")
    options = {"summary": "tus capabilities", "security": [], "responses": {"204": {
        "description": "Tus-Version, Tus-Extension (creation,checksum), Tus-Max-Size, Tus-Checksum-Algorithm",
        "headers": {"Tus-Version": _header("1.0.0"), "Tus-Extension": _header("creation,checksum"),
                    "Tus-Max-Size": _header("bytes", "integer")}}}}
    return {
        "/api/v1/media/disguised": {
            "post": {
                "summary": "A recording whose voice is disguised before it is stored: the whole file in one "
                           "request, held in memory (docs/sync.md); the story then names the returned sha256",
                "security": auth,
                "requestBody": {"required": True, "content": {"audio/*": {"schema": {
                    "type": "string", "format": "binary", "maxLength": limits.VOICE_DISGUISE_MAX_BYTES}}}},
                "responses": {
                    "201": {"description": "Stored disguised", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["sha256", "content_type", "disguised", "url"],
                        "properties": {"sha256": {"type": "string"}, "content_type": {"type": "string"},
                                       "duration_ms": {"type": "integer", "nullable": True},
                                       "disguised": {"type": "boolean"}, "url": {"type": "string"}}}}}},
                    "400": _problem_ref("empty_media"), "401": errors["401"],
                    "413": _problem_ref("Over the limit (too_large)"),
                    "415": _problem_ref("Not a recording (bad_media_type)"),
                    "422": _problem_ref("Unreadable (corrupt_media)"),
                    "429": _problem_ref("Too many in a minute (rate_limited)")}}},
        "/api/v1/media/uploads": {
            "options": options,
            "post": {
                "summary": "Create an upload (tus creation); Upload-Metadata holds sha256, type, filename",
                "security": auth,
                "parameters": [tus,
                               {"name": "Upload-Length", "in": "header", "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": limits.MEDIA_MAX_BYTES}},
                               {"name": "Upload-Metadata", "in": "header", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {
                    "201": {"description": "Created", "headers": {"Location": _header("upload URL")}},
                    "200": {"description": "A file with this sha256 is already stored: nothing to send",
                            "headers": {"Location": _header("upload URL"),
                                        "Upload-Offset": _header("the full length", "integer")}},
                    "400": _problem_ref("empty_media, bad_upload"), "401": errors["401"],
                    "412": tus_refused, "413": _problem_ref("Over Tus-Max-Size (too_large)"),
                    "429": _problem_ref("Too many unfinished uploads (too_many_uploads)")}}},
        "/api/v1/media/uploads/{upload_id}": {
            "parameters": [upload_id],
            "options": options,
            "head": {
                "summary": "Where an upload stands (tus core)", "security": auth,
                "parameters": [tus],
                "responses": {"200": {"description": "Offset and length",
                                      "headers": {"Upload-Offset": _header("bytes received", "integer"),
                                                  "Upload-Length": _header("bytes in all", "integer")}},
                              "401": errors["401"], "404": _problem_ref("No such upload (not yours, expired)"),
                              "412": tus_refused}},
            "patch": {
                "summary": "Append bytes at Upload-Offset (tus core, checksum)", "security": auth,
                "parameters": [tus,
                               {"name": "Upload-Offset", "in": "header", "required": True,
                                "schema": {"type": "integer", "minimum": 0}},
                               {"name": "Upload-Checksum", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "204": {"description": "Appended (or already complete)",
                            "headers": {"Upload-Offset": _header("new offset", "integer")}},
                    "401": errors["401"], "404": _problem_ref("No such upload"),
                    "409": _problem_ref("Wrong Upload-Offset (offset_mismatch) or busy (upload_busy)"),
                    "412": tus_refused,
                    "415": _problem_ref("Not application/offset+octet-stream, or bytes of a type not allowed "
                                        "(bad_media_type)"),
                    "422": _problem_ref("too_many_pixels, corrupt_media"),
                    "460": _problem_ref("Checksum mismatch: the chunk, or the whole file's SHA-256 "
                                        "(checksum_mismatch)")}}},
        "/media/{sha256}": {"get": {
            "summary": "A stored file, to those who may see a story that references it",
            "security": [{}, {"bearer": []}, {"session": []}],
            "parameters": [{"name": "sha256", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
            "responses": {"200": {"description": "The file (images re-encoded, audio as uploaded)",
                                  "content": {"image/*": {"schema": {"type": "string", "format": "binary"}},
                                              "audio/*": {"schema": {"type": "string", "format": "binary"}}}},
                          "304": {"description": "Not modified"},
                          "401": _problem_or_page("A token that is not a person's (bad_token)"),
                          "404": _problem_or_page("No such file, or not visible to the requester")}}},
    }


def _webpush_paths(errors) -> dict:
    """Opt-in Web Push (server/webpush): the VAPID key and a browser's subscription."""
    subscription = {"type": "object", "required": ["endpoint", "keys"], "properties": {
        "endpoint": {"type": "string", "format": "uri", "maxLength": limits.WEBPUSH_ENDPOINT_MAX},
        "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
            "p256dh": {"type": "string", "description": "base64url, 65 bytes (P-256 point)"},
            "auth": {"type": "string", "description": "base64url, 16 bytes"}}}}}
    result = {"type": "object", "properties": {"result": {"type": "string", "enum": ["created", "unchanged"]}}}
    auth = [{"bearer": []}, {"session": []}]
    return {
        "/api/v1/webpush/key": {"get": {
            "summary": "The server's VAPID public key (applicationServerKey), made on first need",
            "security": auth,
            "responses": {"200": _json({"type": "object", "properties": {"public_key": {"type": "string"}}}),
                          "401": errors["401"]}}},
        "/api/v1/webpush/subscriptions": {
            "post": {
                "summary": "Store this browser's push subscription for the requester (idempotent by endpoint)",
                "security": auth,
                "requestBody": {"required": True, "content": {"application/json": {"schema": subscription}}},
                "responses": {"201": _json(result, "Stored"), "200": _json(result, "Known already (keys updated)"),
                              "400": _problem_ref("Not a valid subscription (bad_subscription, with field)"),
                              "401": errors["401"], "413": errors["413"],
                              "409": _problem_ref("The account has the most subscriptions allowed (too_many_subscriptions)")}},
            "delete": {
                "summary": "Remove the requester's subscription with this endpoint (idempotent)",
                "security": auth,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["endpoint"], "properties": {"endpoint": {"type": "string"}}}}}},
                "responses": {"204": {"description": "Gone, or was never there"},
                              "400": _problem_ref("No endpoint (bad_subscription)"), "401": errors["401"],
                              "413": errors["413"]}}},
    }


def _node_paths(errors) -> dict:
    """A camp node's endpoints (docs/sync.md, Camp nodes): the engine's push and pull with the
    node's token, its start-up data and its media."""
    node = [{"nodeToken": []}]
    replica_list = {"type": "array", "items": {"type": "object", "description": "a replica: the whole record"}}
    sha = [{"name": "sha256", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}]
    return {
        "/api/v1/node/bootstrap": {"get": {
            "summary": "The node's community (same id), its events and its accounts (facilitators' password hashes)",
            "security": node, "responses": {"200": _json({"type": "object", "properties": {
                "community": {"type": "object"}, "events": {"type": "array", "items": {"type": "object"}},
                "accounts": replica_list, "node": {"type": "object"}, "protocol": {"type": "integer"}}}),
                "401": errors["401"]}}},
        "/api/v1/node/push": {"post": {
            "summary": "Up to 500 replicas (op replicate), applied by the replication rules; answered per item",
            "security": node,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "maxItems": limits.NODE_PUSH_MAX_ITEMS,
                                                           "items": {"type": "object"}},
                                                 "protocol": {"type": "integer", "minimum": 1, "default": 3}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "results": {"type": "array", "items": {"type": "object"}}, "protocol": {"type": "integer"}}}),
                "400": errors["400"], "401": errors["401"], "413": errors["413"]}}},
        "/api/v1/node/pull": {"get": {
            "summary": "Replicas of the node's community changed after the cursor, less what the node pushed",
            "security": node,
            "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "string"}},
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                        "maximum": limits.PULL_MAX_LIMIT}},
                           {"name": "kinds", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object", "properties": {
                "items": replica_list, "cursor": {"type": "string"}, "more": {"type": "boolean"},
                "head": {"type": "integer"}, "protocol": {"type": "integer"}}}),
                "400": errors["400"], "401": errors["401"]}}},
        "/api/v1/node/media/missing": {"post": {
            "summary": "Which of these files (by store key) central lacks",
            "security": node,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"hashes": {"type": "array", "maxItems": limits.NODE_PUSH_MAX_ITEMS,
                                                            "items": {"type": "string"}}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "missing": {"type": "array", "items": {"type": "string"}}}}),
                "400": _problem_ref("No list of hashes, or more than the limit (bad_request), or malformed JSON"),
                "401": errors["401"], "413": errors["413"]}}},
        "/api/v1/node/media/{sha256}": {
            "get": {"summary": "A file a story of the node's community names, as central stores it",
                    "security": node, "parameters": sha,
                    "responses": {"200": {"description": "The file"}, "401": errors["401"],
                                  "404": {"description": "Not in scope"}}},
            "put": {"summary": "A file as the node stores it (X-Content-SHA256: SHA-256 of the body); kept byte "
                               "for byte after its type, size and lack of metadata are checked",
                    "security": node, "parameters": sha,
                    "requestBody": {"required": True, "content": {"application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}}}},
                    "responses": {"204": {"description": "Stored (or held already)"},
                                  "400": _problem_ref("Not a SHA-256 in the path, or fewer bytes than "
                                                      "Content-Length (bad_request)"),
                                  "401": errors["401"],
                                  "413": _problem_ref("Over the media limit, or no Content-Length (too_large)"),
                                  "415": _problem_ref("Not a type the app accepts, or a photo with metadata "
                                                      "(bad_media_type)"),
                                  "422": _problem_ref("too_many_pixels, corrupt_media"),
                                  "460": _problem_ref("The body's SHA-256 is not X-Content-SHA256 "
                                                      "(checksum_mismatch)")}}},
    }
