"""Domain errors and how they reach people: JSON problem bodies for the API, pages otherwise.

Services raise ``Problem`` (or a subclass); the message is looked up by code at the moment it
is shown, so it comes out in the requester's language.
"""
from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

# One human message per machine-readable code. Parameters come from Problem.params.
MESSAGES = {
    "bad_id": _l("The story id is not a valid UUID."),
    "id_mismatch": _l("The story id inside the data differs from the item's id."),
    "missing_field": _l("A required field is missing: %(field)s."),
    "bad_type": _l("The field %(field)s has the wrong type."),
    "unknown_field": _l("The field %(field)s is not part of a story."),
    "too_long": _l("%(field)s is too long: at most %(max)s characters."),
    "empty": _l("%(field)s cannot be empty."),
    "bad_text": _l("%(field)s contains characters that are not allowed."),
    "bad_language": _l("The language is not a valid language tag."),
    "unknown_community": _l("There is no such community."),
    "bad_visibility": _l("Choose who may see the story: public, community or facilitators."),
    "bad_author_display": _l("Choose how the author is shown: pseudonym, name or anonymous."),
    "bad_consent": _l("The consent record is not valid."),
    "bad_media": _l("Media must be listed by their SHA-256."),
    "bad_date": _l("The date %(field)s is not a valid ISO 8601 time."),
    "forbidden": _l("You are not allowed to do this."),
    "bad_region": _l("Choose a place inside the photo to blur."),
    "withdrawn": _l("This story was withdrawn and cannot be changed."),
    "deleted": _l("This was deleted and cannot be sent again."),
    "bad_kinds": _l("Ask for kinds of records this server knows, separated by commas."),
    "bad_op": _l("Unknown operation."),
    "bad_item": _l("Each item must be an object with type, op, id and data."),
    "bad_json": _l("The request body is not valid JSON."),
    "too_deep": _l("The request body nests too deeply: at most %(max)s levels."),
    "bad_encoding": _l("The request body is not valid UTF-8."),
    "bad_request": _l("The request is not valid."),
    "bad_subscription": _l("This push subscription is not valid (%(field)s)."),
    "too_many_subscriptions": _l("Too many devices get notifications already: at most %(max)s. Turn one off first."),
    "too_many_follows": _l("You follow too much already: at most %(max)s. Stop following something first."),
    "bad_cursor": _l("The cursor is not valid."),
    "bad_limit": _l("The limit must be a whole number between 1 and %(max)s."),
    "too_many_items": _l("Too many items in one request: at most %(max)s."),
    "too_large": _l("The request is too large: at most %(max)s bytes."),
    "unauthorized": _l("Please sign in."),
    "bad_token": _l("The token is missing, expired, revoked or malformed."),
    "bad_credentials": _l("Wrong username or password."),
    "csrf_failed": _l("The form expired or was sent from elsewhere. Please try again."),
    "rate_limited": _l("Too many requests. Please wait a moment and try again."),
    "not_found": _l("Not found."),
    "method_not_allowed": _l("This method is not allowed here."),
    "unsupported_media_type": _l("Send JSON (application/json)."),
    "bad_transition": _l("This change of status does not apply to the story now."),
    "bad_span": _l("This is not a part of the story that can be removed."),
    "stale_span": _l("The story has changed since you opened the page. Look at it again."),
    "bad_action": _l("Unknown moderation action."),
    # Moderation, reports and administration.
    "bad_reason": _l("Choose one of the listed reasons."),
    "not_reportable": _l("Only published stories by other people can be reported."),
    "report_rate_limited": _l("You sent many reports in a short time (at most %(max)s). Facilitators read every report; please wait a while before sending more."),
    "bad_role": _l("Choose the role participant or facilitator."),
    "no_such_account": _l("There is no account with this username."),
    "already_member": _l("This person is already a member of this community."),
    "bad_slug": _l("Use 2 to 40 lower-case letters, digits, dashes or underscores, starting with a letter or a digit."),
    "slug_taken": _l("Another community already uses this short name."),
    "name_required": _l("Give the community a name in at least one language."),
    "bad_threshold": _l("Choose a number of reports between 1 and %(max)s, or leave it empty."),
    "bad_moderation_mode": _l("Choose whether stories are reviewed first or trusted members publish directly."),
    "unavailable": _l("The server is busy or in maintenance. Please try again later."),
    "server_error": _l("Something went wrong on the server. Nothing you sent was lost."),
    "username_taken": _l("This username is taken."),
    "bad_username": _l("Usernames use %(min)s to %(max)s letters, digits, dots, dashes or underscores."),
    "bad_password": _l("The password needs at least %(min)s characters."),
    "password_mismatch": _l("The two passwords differ."),
    "not_member": _l("You are not a member of this community."),
    # People: join and reset codes, safety choices, consent.
    "bad_join_code": _l("This join code does not work. It may be mistyped, expired or used up. Ask your facilitator for a new one."),
    "bad_reset_code": _l("This reset code does not work for this username. It may be mistyped, expired or already used."),
    "bad_code_settings": _l("Choose a value for %(field)s between 1 and %(max)s."),
    "bad_pin": _l("Use a password of at least 8 characters, or a PIN of exactly 6 digits."),
    "place_coordinates": _l("Describe the place in words or name a town; coordinates and map links are not allowed, to keep people safe."),
    "guardian_consent_required": _l("A story about or by a child needs the consent of a parent or guardian."),
    "second_look_required": _l("A public story about or by a child needs a second look by another facilitator."),
    "confirm_required": _l("Please confirm that you understand what will happen."),
    # Media (tus uploads and /media/<sha256>).
    "empty_media": _l("The file is empty."),
    "bad_media_type": _l("This kind of file is not accepted. Send a photo (JPEG, PNG, WebP) or a sound recording (Opus, Ogg, M4A, MP3, WAV)."),
    "too_many_pixels": _l("The picture is too large: at most %(max)s pixels."),
    "corrupt_media": _l("The file is damaged and cannot be read. Please try again."),
    "checksum_mismatch": _l("The file arrived damaged (its checksum differs). Please send it again."),
    "bad_upload": _l("The upload request is not valid: %(field)s."),
    "offset_mismatch": _l("The upload offset differs from the server's (%(offset)s bytes)."),
    "upload_busy": _l("This upload is receiving data from another request. Please try again."),
    "bad_checksum_algorithm": _l("This checksum algorithm is not supported."),
    "too_many_uploads": _l("Too many unfinished uploads: at most %(max)s. Finish or wait for some first."),
    # Events, attendance, the dashboard and exports.
    "unknown_event": _l("There is no such event in this story's community."),
    "bad_event_kind": _l("Choose what kind of event it was."),
    "bad_event_date": _l("Enter a real date (year, month and day)."),
    "bad_event_dates": _l("The last day cannot be before the first day."),
    "bad_count": _l("Enter a whole number from 0 to %(max)s."),
    "linked_over_head_count": _l("%(total)s people are ticked as present, more than the %(head)s people counted. Raise the head count or untick someone."),
    "attendance_over_head_count": _l("%(what)s add up to %(total)s, more than the %(head)s people counted. Raise the head count or lower these numbers."),
    "unknown_attendee": _l("Only members of this community can be ticked as present."),
    "bad_answer": _l("This answer is not one of the choices."),
    "unknown_story": _l("There is no such story in this event's community, or you may not see it."),
    "unknown_help_request": _l("This message belongs to a request for help that is not here yet."),
    "wrong_event": _l("This attendance record belongs to another event."),
    "wrong_line_id": _l("This id was not handed out for this story at this event."),
    "bad_period": _l("Choose a period of week or month."),
    "bad_date_range": _l("The start date must be before the end date, and both real dates."),
    "bad_export": _l("There is no such export."),
    "bad_format": _l("Choose the format CSV or JSON."),
    "not_a_node": _l("This is not a camp node: link it to a central server first (kultialogo node init)."),
    "bundle_damaged": _l("The file is damaged or incomplete: cut short, or changed after the node wrote it. "
                         "Nothing was imported. Export it again from the node."),
    "bundle_unknown": _l("This is not a camp node's export, or it comes from a newer Kultialogo. Nothing was imported."),
    "bundle_wrong_node": _l("This file was signed by a node this server does not know, or whose token was "
                            "stopped. Nothing was imported."),
    # Translations of stories.
    "translation_same_language": _l("The story is already in this language. Choose another language for the translation."),
    "translation_exists": _l("Someone else has already translated this story into this language."),
    # Help requests (mediation and coaching).
    "bad_help_topic": _l("Choose one of the listed topics."),
    "bad_help_outcome": _l("Choose how the request ended from the listed outcomes."),
    "help_closed": _l("This request is closed. Ask again if you need more help."),
    "help_not_claimable": _l("Someone else is already helping with this request."),
    "help_wrong_community": _l("The person is not a member of the community chosen for the request."),
    "helps_need_facilitator": _l("Only a facilitator of the community can be a mediator or coach."),
    "help_rate_limited": _l("You sent many requests or messages in a short time (at most %(max)s). Please wait a while before sending more."),
    # Replies and reactions.
    "replies_off": _l("The author turned replies off for this story."),
    "bad_reaction": _l("This reaction is not one of the choices."),
    "record_id_taken": _l("This id already belongs to another reply or reaction. Send it again with a new id."),
    # Camp nodes.
    "unknown_node_event": _l("There is no such event in this community."),
    "rename_not_undoable": _l("This is not a rename that can be undone, or it was undone already."),
}


class Problem(Exception):
    """A refusal with an HTTP status, a machine code and a localised message."""
    status = 400

    def __init__(self, code: str, status: int | None = None, field: str | None = None, **params):
        super().__init__(code)
        self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.params = params
        self.headers: dict[str, str] = {}

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code, MESSAGES["bad_request"])
        params = dict(self.params)
        if self.field is not None:
            params.setdefault("field", self.field)
        return str(template) % params if params else str(template)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


def problem_response(problem: Problem):
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    response.mimetype = "application/problem+json"
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited", 503: "unavailable"}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _page(status: int, code: str, headers=None, **params):
    problem = Problem(code, status, **params)
    if wants_json():
        response = problem_response(problem)
    else:
        response = current_app.response_class(
            render_template("errors/error.html", status=status, message=problem.message), status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def init_app(app) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem):
        if wants_json():
            return problem_response(problem)
        return _page(problem.status, problem.code, problem.headers)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = getattr(exc, "kultialogo_code", None) or _HTTP_CODES.get(exc.code, "bad_request")
        if isinstance(exc, CSRFError):
            code = "csrf_failed"  # a form left open too long or posted from elsewhere: say so
        params = {}
        limit = getattr(exc, "limit", None)  # Flask-Limiter's RateLimitExceeded
        if exc.code == 429 and getattr(limit, "error_message", None) in MESSAGES:
            # A limit with its own explanation (reports): say which limit, and how many.
            code = limit.error_message
            params["max"] = getattr(getattr(limit, "limit", None), "amount", "")
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return _page(exc.code or 500, code, headers, **params)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc):
        # The database is unreachable, restarting, or (SQLite) still locked after the busy
        # timeout: the request did nothing, so the client retries later (sync backs off).
        db.session.rollback()
        app.logger.warning("database unavailable: %s", exc.orig if hasattr(exc, "orig") else exc)
        return _page(503, "unavailable", {"Retry-After": str(app.config["RETRY_AFTER_SECONDS"])})

    @app.before_request
    def _maintenance():
        # Maintenance mode: reads keep working, writes are refused with 503 + Retry-After so
        # phones keep their outbox and try again later.
        if app.config.get("MAINTENANCE") and request.method not in ("GET", "HEAD", "OPTIONS"):
            return _page(503, "unavailable", {"Retry-After": str(app.config["RETRY_AFTER_SECONDS"])})
        return None

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        return _page(500, "server_error")
