"""The in-process rate-limit storage (extensions.SweptMemoryStorage): limits' MemoryStorage,
counting the same, with its clean-up thread started at most once a second instead of on nearly
every hit."""
import threading
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from kultialogo import create_app
from kultialogo.extensions import SweptMemoryStorage, limiter


@pytest.fixture
def timers(monkeypatch):
    """Count the Timer threads limits' memory storage starts."""
    started = []
    real = threading.Timer

    class Counted(real):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr("limits.storage.memory.threading.Timer", Counted)
    return started


def _hit_spaced(storage, hits=12, gap=0.02):
    # Each hit after the last clean-up thread has finished (10 ms), as requests on a server come.
    for _ in range(hits):
        storage.incr("push/t:abc", 60)
        time.sleep(gap)


def test_a_hit_starts_no_thread_when_one_ran_within_the_second(timers):
    plain = MemoryStorage()
    _hit_spaced(plain)
    per_hit = len(timers)
    timers.clear()
    swept = storage_from_string("kultialogo-memory://")
    assert isinstance(swept, SweptMemoryStorage)
    _hit_spaced(swept)
    # The plain one starts about one a hit (the control: this test fails if the override stops
    # working); ours one at creation and at most one for the first hit of the second.
    assert per_hit >= 10
    assert len(timers) <= 2


def test_it_limits_and_forgets_as_the_memory_storage_does():
    swept = SweptMemoryStorage()
    for strategy in (FixedWindowRateLimiter, MovingWindowRateLimiter):
        limiter_ = strategy(swept)
        limit = parse("3 per 1 second")
        assert [limiter_.hit(limit, "k", strategy.__name__) for _ in range(4)] == [True, True, True, False]
        time.sleep(1.1)  # the window over: counted from zero again, sweep or no sweep
        assert limiter_.hit(limit, "k", strategy.__name__) is True
    swept.incr("short", 0.05)
    time.sleep(1.1)
    swept.incr("other", 60)  # a hit past the second sweeps: the expired counter is gone for good
    time.sleep(0.1)
    assert "short" not in swept.storage and swept.get("other") == 1


def test_an_app_counts_in_it_by_default_without_redis(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    create_app({"TESTING": True, "SECRET_KEY": "test", "DATA_DIR": str(tmp_path)})  # Config's defaults
    assert isinstance(limiter.storage, SweptMemoryStorage)
