"""The load test at CI size (#18; bench/load.py runs 200 phones): phones reading the feed,
pulling and pushing (each story twice) against two gunicorn workers on PostgreSQL with Redis
get no error, and every story pushed is stored once. Latencies are printed by the bench, not
asserted here."""
from pathlib import Path

import pytest

from bench._server import GunicornServer
from bench.load import prepare, run_locust, stored_stories

# One xdist worker runs every test that shares the Redis server on 6379 (make test).
pytestmark = pytest.mark.xdist_group("redis")

PHONES, SECONDS = 20, 10


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_phones_under_load_get_no_error_and_every_story_is_stored_once(app, app_config, redis_url, tmp_path):
    tokens = prepare(app, PHONES, 50, tmp_path)
    before = stored_stories(app)
    server = GunicornServer(app_config["SQLALCHEMY_DATABASE_URI"], Path(app_config["DATA_DIR"]), workers=2, threads=8,
                            start_timeout=120, extra_env={"REDIS_URL": redis_url,
                                                          "KULTIALOGO_RATELIMIT_KEY_PREFIX": f"load-{tmp_path.name}"})
    try:
        stats = run_locust(server.url, tokens, PHONES, PHONES, SECONDS, tmp_path)
    finally:
        server.stop()
    assert stats["Aggregated"]["failures"] == 0, stats["_failures"]
    assert min(stats[name]["count"] for name in ("feed page", "pull", "push")) > 0
    new = [i for i in stored_stories(app) if i not in set(before)]
    acked = stats["_acked"]
    assert acked and set(acked) <= set(new)  # every story the server said it created is stored
    assert len(new) - len(acked) <= PHONES  # at most the pushes in flight when the run stopped
