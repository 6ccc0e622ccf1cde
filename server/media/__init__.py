"""Media: photos and voice recordings, uploaded over tus 1.0 and served by SHA-256."""
import io

from flask import Blueprint, Request, request

from .. import limits

bp = Blueprint("media", __name__)


def init_app(app) -> None:
    """Register the blueprint, what media adds to stories and the hook that deletes withdrawn
    stories' files."""
    # late: importing the package (for its models or store) must not load its views and
    # service: they import other domains, which register hooks and data parts in import order
    from . import routes  # noqa: F401  (attach the views to bp)
    from . import service
    from .service import count_received, duration_seconds, format_duration, install_release_hook, story_media
    from ..personal_data import register as register_personal_data
    from ..stories import hooks as story_hooks
    from . import personal_data as part
    register_personal_data(part.PART)  # its share of a person's data download and account deletion
    # What media adds to stories (stories/hooks.py): which files are stored, the write form's
    # photo and recording, and the files' release when a story is withdrawn.
    story_hooks.register_media_store(service.stored_hashes)
    story_hooks.register_form_content(service.form_content)
    story_hooks.register_withdrawal_hook(service.release_with_story)
    # What media does for records other than stories that carry a recording (attachments.py).
    from .. import attachments
    attachments.register_store(service.ingest_recording, service.release_after_commit, service.describe,
                               service.recordings_missing, service.recordings_disguised)
    app.register_blueprint(bp)
    app.request_class = FormRequest
    install_release_hook()
    from ..observability.metrics import register_backlog  # /metrics: kultialogo_queue_depth{queue=...}
    register_backlog("media_expired_uploads", service.expired_uploads_waiting)
    register_backlog("media_faces_unchecked", service.photos_unchecked_for_faces)
    # Background jobs (jobs/): clean-up hourly, and photos not yet looked at for faces (stored
    # before detection existed, or whose check failed) every ten minutes, a batch at a time.
    # New photos are checked during their upload, within its time budget (README).
    from datetime import timedelta
    from .. import jobs
    jobs.register("media.gc", lambda _payload: service.collect_garbage(), every=timedelta(hours=1))
    jobs.register("media.faces", lambda _payload: service.check_unchecked_faces(limit=200),
                  every=timedelta(minutes=10))
    if app.config.get("MEDIA_COUNT_RECEIVED"):
        count_received(app)
    app.jinja_env.globals["story_media"] = story_media
    app.jinja_env.globals["story_faces"] = service.story_faces
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["duration_seconds"] = duration_seconds
    # First in line: CSRFProtect (registered earlier) parses the form, under the app-wide
    # body limit, before any view runs; the write form may carry a photo and a recording.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_form_media)


# Forms that may carry a file: the story write form, and a reply or help request with a recording.
FORM_ENDPOINTS = {"stories.write", "replies.add", "help.index", "help.answer"}


def _allow_form_media() -> None:
    if request.method == "POST" and request.endpoint in FORM_ENDPOINTS:
        request.max_content_length = limits.FORM_UPLOAD_MAX_BYTES


class FormRequest(Request):
    """A form's file parts stay in memory on the forms that carry a recording: werkzeug would
    spool a part over 500 KB to a temporary file, and a voice to be disguised must never reach
    the disk. Bounded by FORM_UPLOAD_MAX_BYTES (``_allow_form_media``) before it is read."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if self.endpoint in FORM_ENDPOINTS:
            return io.BytesIO()
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)
