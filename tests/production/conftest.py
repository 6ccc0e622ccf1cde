"""The multi-worker tests need Redis (REDIS_URL for the app; here KULTIALOGO_TEST_REDIS, default
redis://127.0.0.1:6379/0): skipped when none answers, except in CI (`CI=true`), where `.ci/run`
starts one."""
import os

import pytest

REDIS_URL = os.environ.get("KULTIALOGO_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url():
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_URL} ({exc}); apt-get install redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL
