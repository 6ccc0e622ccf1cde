"""Media: photos and voice recordings, uploaded over tus 1.0 and served by SHA-256."""
from flask import Blueprint

bp = Blueprint("media", __name__)


def init_app(app) -> None:
    """Register the blueprint, the store, the ``kultialogo media`` commands' hooks."""
    from . import routes  # noqa: F401  (attach the views to bp)
    from .service import install_release_hook
    app.register_blueprint(bp)
    install_release_hook()
