"""Background jobs: a queue in the application's own database, safe for several workers.

Why a table and not a queue library over Redis: a job is queued in the same transaction as
what caused it (a reply and the push notification it owes commit together or not at all),
a camp node's laptop has no Redis, and PostgreSQL's ``FOR UPDATE SKIP LOCKED`` lets any
number of workers claim different jobs without waiting on each other. On SQLite (one box,
one writer) a claim is an ``IMMEDIATE`` write transaction, which serialises claims.

A domain registers its kinds (``register``) and queues work with ``enqueue`` inside its own
transaction; a worker (``kultialogo worker``, or the thread ``kultialogo run`` starts) calls
``run_pending``. A job runs at least once: a worker that dies mid-job leaves a lease that
ends, and another worker runs it again, so every job must be safe to repeat. Plumbing: this
package imports no domain.
"""
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..observability.metrics import register_backlog
from ..timeutil import utcnow
from .models import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[dict], None]
    max_attempts: int = 5
    every: timedelta | None = None  # periodic: queued once per slot of this length


KINDS: dict[str, Kind] = {}


def register(name: str, run: Callable[[dict], None], *, max_attempts: int = 5,
             every: timedelta | None = None) -> None:
    """Make ``name`` a kind of job: ``run(payload)`` is called in an app context, and commits
    its own work (or uses write_transaction). ``every``: also queue it once per period."""
    KINDS[name] = Kind(name, run, max_attempts, every)


QUEUED = "kultialogo.jobs_queued"  # session.info: this transaction queued a job (worker.py wakes)


def enqueue(kind: str, payload: dict | None = None, *, delay: timedelta | None = None, session=None) -> Job:
    """Queue a job in the caller's session (or ``session``, from a session event): it exists
    once the caller commits, and not if the caller rolls back. The payload is JSON of ids and
    codes (never text people wrote)."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    session = session if session is not None else db.session()
    job = Job(kind=kind, payload=json.dumps(payload or {}, separators=(",", ":"), sort_keys=True),
              state="waiting", run_at=utcnow() + (delay or timedelta(0)), attempts=0)
    session.add(job)
    session.info[QUEUED] = True
    return job


def waiting() -> int:
    """Jobs queued or running (/metrics: kultialogo_queue_depth{queue="jobs"})."""
    return db.session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(("waiting", "running")))) or 0


def dead() -> int:
    """Jobs that failed their last attempt (/metrics: kultialogo_queue_depth{queue="jobs_dead"})."""
    return db.session.scalar(select(func.count()).select_from(Job).where(Job.state == "dead")) or 0


register_backlog("jobs", waiting)
register_backlog("jobs_dead", dead)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 2 min, 8 min, ... at most 6 hours, with jitter so
    jobs that failed together (a push service down) do not all come back together."""
    seconds = min(30 * 4 ** (attempts - 1), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOBS_LEASE_SECONDS"])


def _due(now: datetime):
    # waiting and due, or running with a lease that ended (its worker died)
    return (Job.kind.in_(sorted(KINDS)) & (
        ((Job.state == "waiting") & (Job.run_at <= now))
        | ((Job.state == "running") & (Job.locked_until < now))))


def claim(now: datetime | None = None) -> Job | None:
    """Take the next due job of a kind this process knows, with a lease; None when none is due.
    Committed before the job runs, so other workers skip it (SKIP LOCKED on PostgreSQL; on
    SQLite the IMMEDIATE transaction holds the only write lock)."""
    now = now or utcnow()
    if db.session().in_transaction():
        db.session.commit()  # as write_transaction would: and a fresh read sees the latest commits
    if db.session.scalar(select(Job.id).where(_due(now)).limit(1)) is None:
        db.session.rollback()
        return None  # a read: an idle worker takes no write lock
    with write_transaction() as session:
        query = select(Job).where(_due(now)).order_by(Job.run_at, Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query).first()
        if job is None:
            return None
        job.state, job.locked_until, job.attempts = "running", now + lease(), job.attempts + 1
    return job


def _finish(job_id: int, error: BaseException | None, kind: Kind, attempts: int, periodic: bool) -> None:
    with write_transaction() as session:
        if error is None and periodic:  # kept as done until its slot has passed: it holds the slot
            session.execute(update(Job).where(Job.id == job_id).values(state="done", locked_until=None))
        elif error is None:
            session.execute(delete(Job).where(Job.id == job_id))
        elif attempts >= kind.max_attempts:
            session.execute(update(Job).where(Job.id == job_id).values(
                state="dead", locked_until=None, last_error=type(error).__name__))
        else:
            session.execute(update(Job).where(Job.id == job_id).values(
                state="waiting", locked_until=None, run_at=utcnow() + backoff(attempts),
                last_error=type(error).__name__))


def run_one(now: datetime | None = None) -> bool:
    """Claim and run one due job; False when there was none. Never raises for a job's failure:
    the job waits for its next attempt, or is dead after its last."""
    job = claim(now)
    if job is None:
        return False
    job_id, attempts, kind, periodic = job.id, job.attempts, KINDS[job.kind], job.unique_key is not None
    payload = json.loads(job.payload)
    error = None
    try:
        kind.run(payload)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001  a bad job must not stop the worker
        db.session.rollback()
        error = exc
        # the kind and the error's type: never the payload or the message (personal data)
        log.warning("job %s failed (attempt %d of %d): %s", kind.name, attempts, kind.max_attempts,
                    type(exc).__name__)
    _finish(job_id, error, kind, attempts, periodic)
    return True


def schedule_periodic(now: datetime | None = None) -> int:
    """Queue each periodic kind's job for the current slot, once across every worker (the slot's
    unique key). Returns how many were queued by this call. A read when nothing is owed: an
    idle worker takes no write lock (SQLite has one)."""
    now = now or utcnow()
    owed = {}
    for kind in KINDS.values():
        if kind.every is not None:
            period = int(kind.every.total_seconds())
            owed[f"{kind.name}@{int(now.timestamp()) // period * period}"] = kind
    if not owed:
        return 0
    have = set(db.session.scalars(select(Job.unique_key).where(Job.unique_key.in_(sorted(owed)))))
    db.session.rollback()  # end the read before writing (SQLite's one writer)
    queued = 0
    for key, kind in owed.items():
        if key in have:
            continue
        try:
            with write_transaction() as session:
                # the slots before this one have passed: their done rows hold nothing any more
                session.execute(delete(Job).where(Job.kind == kind.name, Job.state == "done",
                                                  Job.unique_key != key))
                session.add(Job(kind=kind.name, payload="{}", state="waiting", run_at=now, attempts=0,
                                unique_key=key))
            queued += 1
        except IntegrityError:  # another worker queued it first
            db.session.rollback()
    return queued


def run_pending(limit: int | None = None, now: datetime | None = None) -> int:
    """Run due jobs until none is due (or ``limit`` ran); returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        if not run_one(now):
            break
        ran += 1
    return ran


def counts() -> dict[tuple[str, str], int]:
    """(kind, state) -> jobs, for /metrics."""
    rows = db.session.execute(select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state))
    return {(kind, state): n for kind, state, n in rows}


def dead_jobs() -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.state == "dead").order_by(Job.id)))


def retry_dead(job_ids=None) -> int:
    """Give dead jobs (all, or these) their attempts back: an operator's command after fixing
    what made them fail."""
    with write_transaction() as session:
        query = update(Job).where(Job.state == "dead")
        if job_ids:
            query = query.where(Job.id.in_([int(i) for i in job_ids]))
        result = session.execute(query.values(state="waiting", attempts=0, run_at=utcnow(), last_error=None))
    return result.rowcount
