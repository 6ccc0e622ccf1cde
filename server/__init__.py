"""Kultialogo: offline-first story sharing. ``create_app`` builds the Flask application."""
from pathlib import Path

from flask import Flask

from .config import Config, load_environment, sqlite_engine_options, sqlite_file_ready
from .json_encoding import JSONProvider

PACKAGE_DIR = Path(__file__).resolve().parent


class _App(Flask):
    """Flask, asking once per function whether it is async, not on every request: Flask's
    ensure_sync inspects each of a request's twenty-odd hooks and its view every time, 3 to 5%
    of an empty pull's CPU (bench/hotpaths.py). Its JSON is written by orjson (json_encoding.py)."""

    json_provider_class = JSONProvider

    def ensure_sync(self, func):
        sync = self.__dict__.setdefault("_sync_funcs", set())
        try:
            if func in sync:
                return func
        except TypeError:  # unhashable: asked every time, as Flask does
            return super().ensure_sync(func)
        result = super().ensure_sync(func)
        if result is func:
            sync.add(func)
        return result


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: nothing runs at import, so tests can build as many apps as they need."""
    app = _App(__name__, template_folder="templates", static_folder=None)
    app.json.ensure_ascii = False  # Arabic as UTF-8 is half the bytes of \uXXXX escapes
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    load_environment(app)
    if test_config:  # explicit test settings win over the environment
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlite_file_ready(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite_engine_options(app.config)

    # late, and in this order: importing the package loads nothing else; the models register
    # first, then the domains, whose hooks and data parts register in the order imported here
    from . import database, errors, extensions, i18n, observability, security
    from .accounts import models as _accounts  # noqa: F401  (register models)
    from .communities import models as _communities  # noqa: F401
    from .stories import models as _stories  # noqa: F401
    from .media import models as _media  # noqa: F401
    from .moderation import models as _moderation  # noqa: F401
    from .events import models as _events  # noqa: F401
    from .translations import models as _translations  # noqa: F401
    from .help import models as _help  # noqa: F401
    from .replies import models as _replies  # noqa: F401
    from .nodes import models as _nodes  # noqa: F401
    from .activity import models as _activity  # noqa: F401
    from .webpush import models as _webpush  # noqa: F401
    from . import revisions as _revisions  # noqa: F401
    from . import audit as _audit  # noqa: F401
    from .jobs import models as _jobs  # noqa: F401

    observability.init_app(app)  # first: its hooks wrap every other extension's
    extensions.db.init_app(app)
    database.configure_engine(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(migrations_dir()),
                                render_as_batch=True, compare_type=True)
    extensions.csrf.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.login_manager.login_view = "accounts.signin"
    extensions.login_manager.login_message = None
    extensions.limiter.init_app(app)
    extensions.compress.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from . import accounts, api, media, moderation, pwa, stories, sync
    app.register_blueprint(accounts.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(sync.bp)
    app.register_blueprint(stories.bp)
    app.register_blueprint(moderation.bp)
    from . import people
    app.register_blueprint(people.bp)
    from . import admin
    app.register_blueprint(admin.bp)
    from . import dashboard, events, exports
    app.register_blueprint(events.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(exports.bp)
    from . import translations
    app.register_blueprint(translations.bp)
    from . import help as help_requests  # mediation and coaching: private requests and their threads
    app.register_blueprint(help_requests.bp)
    from . import replies
    app.register_blueprint(replies.bp)
    from . import activity, webpush  # follows, /activity and opt-in Web Push
    app.register_blueprint(webpush.bp)
    app.register_blueprint(activity.bp)
    from . import privacy  # above every domain: a person's data across all of them
    app.register_blueprint(privacy.bp)
    from . import nodes  # camp nodes: /admin/nodes on central, /node and /node/admin on a node
    app.register_blueprint(nodes.bp)
    from .nodes import api as node_api  # and what central answers a node: /api/v1/node/
    app.register_blueprint(node_api.bp)
    media.init_app(app)
    pwa.init_app(app)
    from .sync import checkin  # a phone's pull with nothing new, answered in front of the app
    checkin.init_app(app)
    from . import health  # /healthz: the database and the media store
    health.init_app(app)

    return app


def migrations_dir() -> Path:
    """Migrations ship inside the package when installed, beside server/ in a checkout."""
    installed = PACKAGE_DIR / "migrations"
    if (installed / "env.py").exists():
        return installed
    return PACKAGE_DIR.parent / "migrations"
