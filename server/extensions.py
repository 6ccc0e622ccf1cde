"""Extensions, created unbound here and bound in create_app()."""
import time

from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Predictable constraint names: Alembic needs them to alter tables, SQLite's batch mode too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
compress = Compress()


# Who a rate limit counts against (a token, an account, an address) is for the accounts
# domain to say; plumbing knows no domain, so accounts registers its key function here.
_rate_limit_key_func = get_remote_address


def set_rate_limit_key(func) -> None:
    global _rate_limit_key_func
    _rate_limit_key_func = func


def _rate_limit_key():
    return _rate_limit_key_func()


limiter = Limiter(key_func=_rate_limit_key, default_limits=[], headers_enabled=True)


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage (``kultialogo-memory://``, the default without Redis), with
    expired counters swept out at most once a second.

    MemoryStorage starts a thread (a 10 ms Timer) on every hit that finds the last one done:
    one thread for every rate-limited request, 0.2 ms of CPU each (a push of 100 stories costs
    14). Its reads drop an expired counter themselves, so the sweep only frees memory.
    """
    STORAGE_SCHEME = ["kultialogo-memory"]
    SWEEP_EVERY = 1.0  # seconds
    _swept_at = float("-inf")

    def _MemoryStorage__schedule_expiry(self) -> None:  # MemoryStorage's private name for it
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_EVERY:
            self._swept_at = now
            super()._MemoryStorage__schedule_expiry()


def unlimited(view):
    """Mark a view that declares no rate limit of its own: the limiter then skips resolving and
    checking limits for it, a tenth of an empty pull's time (bench/hotpaths.py). The app sets
    no default or application-wide limit (above); should an operator set one, it applies."""
    view.kultialogo_unlimited = True
    return view


@limiter.request_filter
def _unlimited_view() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "kultialogo_unlimited", False) and not current_app.config.get("RATELIMIT_DEFAULT") \
        and not current_app.config.get("RATELIMIT_APPLICATION")
