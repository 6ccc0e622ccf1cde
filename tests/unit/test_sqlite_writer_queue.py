"""SQLite's writers queue on one lock across threads and processes (database.WriterLock), so a
second server process waits in the kernel for the first, not in SQLite's sleeping busy handler."""
import os
import subprocess
import sys
import threading

import pytest

from kultialogo.database import WriterLock, write_transaction
from kultialogo.extensions import db

# Another process asks for the lock without waiting: 0 if it got it, 1 if someone holds it.
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""


def free_elsewhere(path) -> bool:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)], check=False).returncode == 0


def waiting_writer(lock) -> tuple[threading.Thread, threading.Event]:
    """A thread of this process that takes the lock (the event is set once it has it) and lets go."""
    got = threading.Event()

    def write():
        lock.acquire()
        got.set()
        lock.release()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, got


def test_the_outermost_writer_holds_the_file_lock_until_it_lets_go(tmp_path):
    lock = WriterLock(str(tmp_path / "k.sqlite3"))
    assert lock.path == f"{tmp_path / 'k.sqlite3'}-writers"
    lock.acquire()
    assert not free_elsewhere(lock.path)
    lock.acquire()  # a write transaction inside another (reentrant)
    lock.release()
    assert not free_elsewhere(lock.path), "the inner one let go of the outer one's lock"
    lock.release()
    assert free_elsewhere(lock.path)


def test_threads_of_one_process_queue_too(tmp_path):
    lock = WriterLock(str(tmp_path / "k.sqlite3"))
    lock.acquire()
    thread, got = waiting_writer(lock)
    assert not got.wait(0.3)  # held here: the other thread waits
    lock.release()
    assert got.wait(10)
    thread.join(10)
    assert free_elsewhere(lock.path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_process_queues_with_its_parent_not_through_its_open_file(tmp_path):
    """flock() belongs to the open file: had the child kept the parent's, both would "hold" it."""
    lock = WriterLock(str(tmp_path / "k.sqlite3"))
    lock.acquire()  # the parent opened its file before the fork (gunicorn's master, say)
    lock.release()
    held_r, held_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: hold the lock until told to let go
        try:
            lock.acquire()
            os.write(held_w, b"1")
            os.read(go_r, 1)
            lock.release()
        finally:
            os._exit(0)
    try:
        assert os.read(held_r, 1) == b"1"
        thread, got = waiting_writer(lock)
        assert not got.wait(0.3), "the parent got in while its child held the lock"
        os.write(go_w, b"1")
        assert got.wait(10)
        thread.join(10)
    finally:
        os.write(go_w, b"1")
        os.waitpid(pid, 0)
        for fd in (held_r, held_w, go_r, go_w):
            os.close(fd)


def test_where_no_file_can_be_made_the_thread_lock_alone(tmp_path):
    assert WriterLock(":memory:").path is None
    assert WriterLock(None).path is None
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        lock = WriterLock(str(folder / "k.sqlite3"))
        lock.acquire()  # cannot create the lock file: as before, the busy timeout between processes
        lock.release()
        if os.geteuid() != 0:  # root writes into a read-only folder anyway
            assert lock.path is None
    finally:
        folder.chmod(0o700)


def test_a_write_transaction_queues_on_the_databases_lock_file(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's writers queue on the revision counter's row lock")
    path = f"{db.engine.url.database}-writers"
    with write_transaction():
        assert os.path.exists(path)
        assert not free_elsewhere(path)
    assert free_elsewhere(path)
