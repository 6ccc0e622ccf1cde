"""Configuration: one class with safe defaults; only this module reads os.environ.

Every setting can be overridden by an environment variable with the KULTIALOGO_ prefix
(Flask's ``from_prefixed_env``), plus the conventional ``DATABASE_URL`` and ``REDIS_URL``.
"""
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url


def data_dir() -> Path:
    """The folder that holds everything local: SQLite file, media, keys."""
    return Path(os.environ.get("KULTIALOGO_DATA_DIR") or Path.cwd() / "kultialogo-data").resolve()


def _persistent_secret_key(folder: Path) -> str:
    """Generate the secret key once and keep it, so sessions survive restarts."""
    path = folder / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once agree on whichever key was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_url(folder: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'kultialogo.sqlite3'}"
    # Operators paste plain libpq URLs; SQLAlchemy needs the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class ConfigError(RuntimeError):
    """A setting the app cannot start with; the message says which and why."""


def sqlite_file_ready(url: str) -> str:
    """A SQLite URL with a relative path names a file in the working folder (Flask-SQLAlchemy
    would otherwise put it in the package's instance folder, which need not exist, and every
    request would fail): make it absolute and create its folder, or refuse to start."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.query.get("uri") == "true":
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = Path.cwd() / path
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
        raise ConfigError(f"The SQLite database {path} cannot be made: its folder {path.parent} cannot be "
                          f"created ({why or exc}). Set DATABASE_URL to a file in a writable folder.") from None
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def sqlite_engine_options(config) -> dict:
    """The engine options, with SQLite's statement cache size when the database is SQLite."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        connect = dict(options.get("connect_args") or {})
        connect.setdefault("cached_statements", int(config["SQLITE_CACHED_STATEMENTS"]))
        options["connect_args"] = connect
    return options


class Config:
    SUPPORTED_LOCALES = ["en", "it", "sr_Latn", "sr_Cyrl", "nl", "uk", "ar", "fa", "ur", "ps", "fr"]
    RTL_LOCALES = {"ar", "fa", "ur", "ps", "he"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = "i18n/translations"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # turned on per request when reached over HTTPS (security.py)
    PERMANENT_SESSION_LIFETIME = 90 * 24 * 3600
    WTF_CSRF_HEADERS = ["X-CSRF-Token", "X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone for hours must still post

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL: a pooled connection idle longer than this is checked before use (database.py);
    # pool_pre_ping (in SQLALCHEMY_ENGINE_OPTIONS) would check it on every request.
    DATABASE_PING_IDLE_SECONDS = 5
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # Prepared statements each SQLite connection keeps (Python's default 128): memory in C that
    # grows with every kind of query served, times every pooled connection (bench/memory_soak.py).
    SQLITE_CACHED_STATEMENTS = 32

    # Sign-in and API rate limits (Flask-Limiter syntax). Redis when REDIS_URL is set; else in
    # the process (extensions.SweptMemoryStorage: limits' memory storage, fewer threads).
    RATELIMIT_STORAGE_URI = "kultialogo-memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Said outright for every app: Flask-Limiter keeps the last app's setting when an app leaves
    # it out, so one app with limits off (a test, a bench) would turn them off for the next.
    RATELIMIT_ENABLED = True
    SIGNIN_RATE_LIMIT = "10 per minute"
    PUSH_RATE_LIMIT_PER_MINUTE = 120

    TOKEN_LIFETIME_DAYS = 30
    # argon2id parameters (argon2-cffi defaults: 3 passes over 64 MiB).
    PASSWORD_TIME_COST = 3
    PASSWORD_MEMORY_COST = 65536
    PASSWORD_CONCURRENCY = 2  # hashes computed at once (accounts/auth.py); a camp node: 1

    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "text/javascript", "application/javascript",
        "application/json", "application/problem+json", "application/manifest+json",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 500
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_REGISTER = True

    FEED_PAGE_SIZE = 20
    # Distinct people whose reports hide a story at once, until a facilitator looks at it
    # (a community may set its own number).
    REPORTS_TO_HIDE = 3
    # Web Push (webpush/): the contact push services see in each VAPID signature; set a real one.
    WEBPUSH_SUBJECT = "mailto:webpush@kultialogo.invalid"
    AUDIT_PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # safety net; each endpoint sets its own, smaller limit
    MAINTENANCE = False  # True: writes (API and forms) answer 503 with Retry-After
    RETRY_AFTER_SECONDS = 30  # told to clients on 503
    TRUST_PROXY = 0  # number of proxies in front (ProxyFix); 0 = serve directly
    # Where finished media files live (media/store.py): "local" (DATA_DIR/media) or "s3", an
    # S3-compatible bucket shared by every app server (credentials from the AWS_* variables).
    MEDIA_STORE = "local"
    S3_BUCKET = ""
    S3_ENDPOINT_URL = ""  # MinIO, Garage, Ceph...; empty: AWS
    S3_REGION = ""
    S3_PREFIX = "media/"
    MEDIA_CACHE_MAX_BYTES = 2 << 30  # local copies of bucket files kept for serving (s3 only)
    # How `kultialogo run` keeps glibc's malloc from holding freed memory (cli.tune_malloc):
    # at most this many arenas (0: glibc's defaults, no tuning), malloc_trim() this often.
    MALLOC_ARENAS = 2
    MALLOC_TRIM_SECONDS = 5

    # Logs and metrics (observability/; README, Observability).
    LOG_FORMAT = "text"  # or "json": one object per line, for a log collector
    LOG_LEVEL = "INFO"
    ACCESS_LOG = None  # one line per request; None: on with json, off with text (a terminal)
    LOG_IPS = False  # the client's address in access lines: off, it is personal data
    METRICS_TOKEN = None  # /metrics wants this bearer token; unset: only from this machine
    HEALTHZ_CACHE_SECONDS = 1.0  # /healthz reuses a pass this long (a failure never)

    # Background jobs (jobs/; README, Background jobs). `kultialogo run` runs them on a thread
    # of its own unless JOBS_IN_PROCESS is false (then run `kultialogo worker` processes).
    JOBS_IN_PROCESS = True
    JOBS_LEASE_SECONDS = 300  # a job running longer is taken to have died with its worker
    JOBS_IDLE_SECONDS = 5.0  # how often an idle worker looks for due jobs (a commit wakes its own)


def load_environment(app) -> None:
    """Fill in what depends on the machine: data folder, database, secret key, Redis."""
    folder = data_dir()
    app.config.setdefault("DATA_DIR", str(folder))
    app.config.from_prefixed_env("KULTIALOGO")
    folder = Path(app.config["DATA_DIR"])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        folder.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(folder)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _persistent_secret_key(folder)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url and app.config.get("RATELIMIT_STORAGE_URI") in ("kultialogo-memory://", "memory://"):
        app.config["RATELIMIT_STORAGE_URI"] = redis_url
