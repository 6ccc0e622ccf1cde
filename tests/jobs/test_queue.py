"""The job queue: jobs commit with their cause, run once, are retried with backoff, die after
their last attempt, survive a dead worker's lease, and several workers share them safely."""
import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kultialogo import create_app, jobs
from kultialogo.cli import cli as kultialogo_cli
from kultialogo.extensions import db
from kultialogo.jobs import worker
from kultialogo.jobs.models import Job
from kultialogo.timeutil import utcnow

RAN: list = []
_ran_lock = threading.Lock()
FAIL_TIMES: dict = {}


def _record(payload):
    with _ran_lock:
        RAN.append(payload["n"])


def _flaky(payload):
    """Fails the first ``fails`` times for this n, then records it."""
    with _ran_lock:
        left = FAIL_TIMES.get(payload["n"], payload["fails"])
        FAIL_TIMES[payload["n"]] = left - 1
    if left > 0:
        raise ValueError("the secret words of a story")  # a message that must never be logged
    _record(payload)


def _slow(payload):
    time.sleep(0.002)  # long enough for two workers to overlap on the queue
    _record(payload)


jobs.register("test.record", _record)
jobs.register("test.flaky", _flaky, max_attempts=3)
jobs.register("test.slow", _slow)
jobs.register("test.periodic", lambda _payload: RAN.append("periodic"), every=timedelta(hours=1))


@pytest.fixture(autouse=True)
def clean():
    RAN.clear()
    FAIL_TIMES.clear()
    yield
    # periodic kinds of these tests must not run in other tests' workers
    RAN.clear()


def rows(**where):
    db.session.commit()
    query = select(Job)
    for name, value in where.items():
        query = query.where(getattr(Job, name) == value)
    return list(db.session.scalars(query))


def test_a_job_exists_once_its_cause_commits_and_not_if_it_rolls_back(app):
    jobs.enqueue("test.record", {"n": 1})
    db.session.rollback()
    assert rows() == []
    assert jobs.run_pending() == 0

    jobs.enqueue("test.record", {"n": 2})
    db.session.commit()
    assert [job.kind for job in rows()] == ["test.record"]
    assert jobs.run_pending() == 1
    assert RAN == [2]
    assert rows() == []  # a job that ran is gone
    assert jobs.run_pending() == 0 and RAN == [2]  # and never runs twice


def test_an_unknown_kind_is_refused_when_queued(app):
    with pytest.raises(ValueError):
        jobs.enqueue("no.such.kind", {})


def test_a_failing_job_is_retried_later_then_dead_after_its_last_attempt(app, caplog):
    caplog.set_level(logging.WARNING)
    jobs.enqueue("test.flaky", {"n": 7, "fails": 5})
    db.session.commit()

    assert jobs.run_pending() == 1  # ran and failed
    [job] = rows()
    assert (job.state, job.attempts, job.last_error) == ("waiting", 1, "ValueError")
    assert job.run_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None) + timedelta(seconds=20)
    assert jobs.run_pending() == 0  # not due yet: its backoff

    later = utcnow() + timedelta(days=1)
    assert jobs.run_pending(limit=1, now=later) == 1
    assert rows()[0].attempts == 2
    assert jobs.run_pending(limit=1, now=later + timedelta(days=1)) == 1
    [job] = rows()
    assert (job.state, job.attempts) == ("dead", 3)  # max_attempts=3
    assert jobs.run_pending(now=later + timedelta(days=30)) == 0  # dead jobs are never retried by themselves
    assert jobs.dead() == 1 and RAN == []

    # the log names the kind and the error's type, never the payload or the message
    assert "test.flaky" in caplog.text and "ValueError" in caplog.text
    assert "secret words" not in caplog.text

    FAIL_TIMES[7] = 0  # an operator fixed what made it fail
    assert jobs.retry_dead() == 1
    assert jobs.run_pending() == 1
    assert RAN == [7] and rows() == []


def test_a_job_whose_worker_died_runs_again_when_its_lease_ends(app):
    jobs.enqueue("test.record", {"n": 3})
    db.session.commit()
    job = jobs.claim()  # a worker took it, then died (kill -9) before finishing
    assert job is not None and rows()[0].state == "running"
    assert jobs.run_pending() == 0  # another worker leaves it alone while the lease holds

    after_lease = utcnow() + timedelta(seconds=app.config["JOBS_LEASE_SECONDS"] + 1)
    assert jobs.run_pending(now=after_lease) == 1
    assert RAN == [3] and rows() == []


def test_a_periodic_job_is_queued_once_per_slot_by_any_number_of_workers(app):
    now = utcnow()
    assert jobs.schedule_periodic(now) >= 1
    assert jobs.schedule_periodic(now) == 0  # a second worker in the same slot
    assert len(rows(kind="test.periodic")) == 1
    jobs.run_pending(now=now)
    assert RAN.count("periodic") == 1
    assert [job.state for job in rows(kind="test.periodic")] == ["done"]
    assert jobs.schedule_periodic(now) == 0  # ran in this slot: not again

    next_hour = now + timedelta(hours=1)
    assert jobs.schedule_periodic(next_hour) >= 1
    [job] = rows(kind="test.periodic")  # the last slot's row is gone, the new one waits
    assert job.state == "waiting"


def test_two_workers_run_every_job_exactly_once(app, app_config):
    total = 120
    for n in range(total):
        jobs.enqueue("test.slow", {"n": n})
    db.session.commit()

    apps = [create_app(app_config) for _ in range(2)]  # two processes' worth of engines and sessions
    ran_by = [0, 0]
    errors = []

    def run(i):
        try:
            with apps[i].app_context():
                ran_by[i] = jobs.run_pending()
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in apps:  # close their pools now: a connection left to the garbage collector warns
        with other.app_context():
            db.engine.dispose()
    assert errors == []
    assert sorted(RAN) == list(range(total))  # none lost, none twice
    assert sum(ran_by) == total
    assert rows(kind="test.slow") == []


def test_kultialogo_worker_drain_runs_what_is_due(app):
    for n in range(3):
        jobs.enqueue("test.record", {"n": n})
    db.session.commit()
    result = app.test_cli_runner().invoke(kultialogo_cli, ["worker", "--drain"])
    assert result.exit_code == 0, result.output
    # the three, and the periodic kinds' jobs for this hour (media clean-up, face checks, ...)
    assert int(result.output.split()[0]) >= 3
    assert sorted(n for n in RAN if n != "periodic") == [0, 1, 2]
    assert jobs.run_pending() == 0


def test_kultialogo_jobs_lists_and_retries_dead_jobs(app):
    jobs.enqueue("test.flaky", {"n": 9, "fails": 5})
    db.session.commit()
    assert jobs.run_pending(now=utcnow() + timedelta(days=1)) == 3  # every attempt, then dead
    runner = app.test_cli_runner()
    listed = runner.invoke(kultialogo_cli, ["jobs", "list"])
    assert listed.exit_code == 0
    assert "test.flaky\tdead\t1" in listed.output and "ValueError" in listed.output
    retried = runner.invoke(kultialogo_cli, ["jobs", "retry"])
    assert "1 jobs queued again" in retried.output
    FAIL_TIMES[9] = 0
    assert jobs.run_pending() == 1 and RAN == [9]


def test_the_worker_thread_starts_a_committed_job_without_waiting_for_its_next_look(app, app_config):
    app.config["JOBS_IDLE_SECONDS"] = 60.0  # its next look would be a minute away
    thread, stop = worker.start_thread(app)
    try:
        jobs.enqueue("test.record", {"n": 11})
        db.session.commit()  # wakes the thread
        deadline = time.monotonic() + 30
        while 11 not in RAN and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 11 in RAN
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_metrics_report_the_jobs_waiting_and_dead(app, client):
    jobs.enqueue("test.record", {"n": 1})
    jobs.enqueue("test.record", {"n": 2})
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'kultialogo_queue_depth{queue="jobs"} 2.0' in text
    assert 'kultialogo_queue_depth{queue="jobs_dead"} 0.0' in text
    assert db.session.scalar(select(func.count()).select_from(Job)) == 2


@pytest.mark.slow
def test_kultialogo_run_runs_jobs_on_a_thread_of_its_own(app, live_server_factory):
    live_server_factory(extra_env={"KULTIALOGO_JOBS_IN_PROCESS": "true"})
    deadline = time.monotonic() + 60
    done = []
    while not done and time.monotonic() < deadline:  # the hourly clean-up, due at start
        done = rows(kind="media.gc", state="done")
        time.sleep(0.2)
    assert len(done) == 1
