"""The loop that runs jobs: as ``kultialogo worker`` processes, or a thread of ``kultialogo run``."""
import logging
import threading

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..extensions import db
from . import QUEUED, run_pending, schedule_periodic

log = logging.getLogger(__name__)

# Set when this process commits a new job, so its own worker thread starts it at once instead
# of at its next look (JOBS_IDLE_SECONDS); other processes' workers find it when they look.
_wake = threading.Event()


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop(QUEUED, False):
        _wake.set()


def work(app, *, stop: threading.Event | None = None, drain: bool = False) -> int:
    """Run due jobs until ``stop`` is set (or, with ``drain``, until none is due); returns how
    many ran. A database that is down is waited out, never a reason to exit."""
    stop = stop or threading.Event()
    idle = float(app.config["JOBS_IDLE_SECONDS"])
    total = 0
    while not stop.is_set():
        _wake.clear()
        with app.app_context():
            try:
                schedule_periodic()
                ran = run_pending(limit=100)
            except SQLAlchemyError as error:
                log.warning("job worker: database unavailable (%s)", type(error).__name__)
                ran = 0
            finally:
                db.session.remove()
        total += ran
        if ran == 0:
            if drain:
                break
            _wake.wait(idle)
        if stop.is_set():
            break
    return total


def start_thread(app) -> tuple[threading.Thread, threading.Event]:
    """A daemon thread running ``work`` for this process (``kultialogo run``)."""
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(app,), kwargs={"stop": stop}, name="kultialogo-jobs", daemon=True)
    thread.start()
    return thread, stop


def wake() -> None:
    _wake.set()
