"""tus 1.0 endpoints (core + creation + checksum) and /media/<sha256>: thin views over service.py."""
from flask import current_app, jsonify, request, send_file, url_for

from .. import limits
from ..accounts.auth import api_requester
from ..errors import Problem
from ..extensions import csrf, limiter
from . import bp, service

# Authenticated per request in api_requester (bearer token, or session plus the CSRF header).
csrf.exempt(bp)

UPLOADS = "/api/v1/media/uploads"


@bp.after_app_request  # app-wide: 404s and 405s under the prefix carry it too
def _tus_resumable(response):
    if request.path.startswith(UPLOADS):
        response.headers["Tus-Resumable"] = service.TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
    return response


def _require_tus_version() -> None:
    if request.headers.get("Tus-Resumable") != service.TUS_VERSION:
        problem = Problem("bad_upload", status=412, field="Tus-Resumable")
        problem.headers["Tus-Version"] = service.TUS_VERSION
        raise problem


def _empty(status: int, headers: dict | None = None):
    response = current_app.response_class(status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.route(UPLOADS, methods=["OPTIONS"], provide_automatic_options=False)
@bp.route(UPLOADS + "/<upload_id>", methods=["OPTIONS"], provide_automatic_options=False)
def options(upload_id=None):
    return _empty(204, service.options_headers())


@bp.post(UPLOADS)
def create():
    _require_tus_version()
    owner = api_requester(required=True)
    upload, already_stored = service.create_upload(
        owner, request.headers.get("Upload-Length"), request.headers.get("Upload-Metadata"))
    location = url_for("media.upload", upload_id=upload.id)
    if already_stored:
        response = _empty(200, {"Location": location, "Upload-Offset": str(upload.length)})
        response.headers["Link"] = f'<{url_for("media.serve", sha256=upload.sha256)}>; rel="item"'
        return response
    return _empty(201, {"Location": location})


@bp.route(UPLOADS + "/<upload_id>", methods=["HEAD"])
def upload(upload_id):
    _require_tus_version()
    owner = api_requester(required=True)
    item = service.upload_for(owner, upload_id)
    return _empty(200, {"Upload-Offset": str(service.offset_of(item)), "Upload-Length": str(item.length)})


@bp.route(UPLOADS + "/<upload_id>", methods=["PATCH"])
def patch(upload_id):
    _require_tus_version()
    owner = api_requester(required=True)
    item = service.upload_for(owner, upload_id)
    request.max_content_length = item.length + 1  # the app-wide 8 MB net is for JSON bodies
    offset = service.append(item, offset_header=request.headers.get("Upload-Offset"),
                            content_type=request.headers.get("Content-Type"),
                            checksum_header=request.headers.get("Upload-Checksum"),
                            stream=request.stream, content_length=request.content_length)
    return _empty(204, {"Upload-Offset": str(offset)})


@bp.get("/media/<sha256>")
def serve(sha256):
    viewer = api_requester(required=False)
    media, path = service.file_for(viewer, sha256)
    response = send_file(path, mimetype=media.content_type, conditional=True, etag=sha256,
                         max_age=365 * 24 * 3600, download_name=None)
    response.cache_control.private = True
    response.cache_control.public = False
    response.cache_control.immutable = True
    response.headers["Content-Disposition"] = "inline"
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


# --- Faces (#17): a moderator blurs a story photo (plain form, works without JavaScript) ----

@bp.post("/review/<uuid:story_id>/media/<sha256>/blur")
def blur(story_id, sha256):
    """One click blurs the faces found; ``at.x``/``at.y`` (an <input type="image"> click on the
    preview, no JavaScript) blur a box around that point; ``box`` fields ("x,y,w,h", drawn with
    JavaScript) blur those regions. The session's CSRF token is required (the blueprint's API
    is exempt: checked here)."""
    from flask import flash, redirect
    from flask_babel import gettext as _
    from flask_login import current_user
    from flask_wtf.csrf import ValidationError, validate_csrf
    if not current_user.is_authenticated:
        raise Problem("unauthorized", status=401)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        raise Problem("bad_request", status=400) from None
    point = boxes = None
    if "at.x" in request.form or "at.y" in request.form:
        point = _click_point(sha256)
    elif request.form.getlist("box"):
        try:
            boxes = [[int(v) for v in raw.split(",")] for raw in request.form.getlist("box")[:20]]
        except ValueError:
            raise Problem("bad_region", status=400, field="box") from None
        if any(len(b) != 4 for b in boxes):
            raise Problem("bad_region", status=400, field="box")
    service.blur_story_photo(current_user, story_id, sha256, boxes=boxes, point=point)
    flash(_("The photo is blurred; the original is deleted."), "success")
    return redirect(url_for("moderation.queue", community=request.args.get("community") or None))


def _click_point(sha256: str) -> tuple[int, int]:
    """``at.x``/``at.y`` arrive in the preview's shown pixels (``shown`` wide): in the photo's."""
    from .models import MediaFile
    from ..extensions import db
    media = db.session.get(MediaFile, sha256)
    if media is None or not media.width:
        raise Problem("not_found", status=404)
    values = []
    for name in ("at.x", "at.y", "shown"):
        value = request.form.get(name, "")
        if not value.isdigit() or len(value) > 6:
            raise Problem("bad_region", status=400, field=name)
        values.append(int(value))
    x, y, shown = values
    if not shown:
        raise Problem("bad_region", status=400, field="shown")
    scale = media.width / shown
    return min(round(x * scale), media.width - 1), min(round(y * scale), (media.height or 1) - 1)


def _disguise_limit() -> str:
    return f"{limits.VOICE_DISGUISE_RATE_LIMIT_PER_MINUTE} per minute"


@bp.post("/api/v1/media/disguised")
@limiter.limit(_disguise_limit)
def disguised():
    """A recording whose voice is disguised before it is stored: the body is the recording,
    read into memory in one request (a tus upload would stage the original on disk)."""
    owner = api_requester(required=True)
    request.max_content_length = limits.VOICE_DISGUISE_MAX_BYTES
    data = service.read_body_in_memory(request.stream, request.content_length, limits.VOICE_DISGUISE_MAX_BYTES)
    media = service.ingest_disguised(owner, data)
    return jsonify({"sha256": media.sha256, "content_type": media.content_type,
                    "duration_ms": media.duration_ms, "disguised": True,
                    "url": url_for("media.serve", sha256=media.sha256)}), 201
