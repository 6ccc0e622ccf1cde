"""Several gunicorn workers over one PostgreSQL database and Redis (#18, docs/production.md):
what one worker learns, the others know: a sign-in, a rate limit's count, a pushed record.

Needs Redis (conftest.py).
"""
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from bench._server import GunicornServer
from kultialogo import limits
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f

# One xdist worker runs every test that shares the Redis server on 6379 (make test).
pytestmark = pytest.mark.xdist_group("redis")


@pytest.fixture
def workers(app, app_config, redis_url):
    f.community("siena", moderation="trusted")
    for name in ("amina", "bilal"):
        f.account(name, community_slug="siena")
    db.session.commit()
    server = GunicornServer(app_config["SQLALCHEMY_DATABASE_URI"], Path(app_config["DATA_DIR"]), workers=2,
                            threads=4, extra_env={"REDIS_URL": redis_url,
                                                  "KULTIALOGO_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield server
    server.stop()


def fresh(method, url, **kwargs):
    """One request on a new connection, so the workers take turns as they do for many phones."""
    return requests.request(method, url, headers={"Connection": "close", **kwargs.pop("headers", {})},
                            timeout=30, **kwargs)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_workers_share_sign_ins_rate_limits_and_records(app, client, workers):
    assert len(workers.worker_pids()) == 2
    base = workers.url

    # A sign-in made on one worker holds on every worker (sessions live in the database).
    page = fresh("GET", base + "/signin")
    jar = page.cookies
    signed = fresh("POST", base + "/signin", cookies=jar, allow_redirects=False,
                   data={"username": "amina", "password": f.PASSWORD, "csrf_token": f.csrf_from(page.text)})
    assert signed.status_code == 302, signed.text[:300]
    jar.update(signed.cookies)
    statuses = {fresh("GET", base + "/activity", cookies=jar, allow_redirects=False).status_code for _ in range(12)}
    assert statuses == {200}

    # One address's sign-ins are counted once across the workers (Redis): the limit holds
    # exactly, whichever worker each try reaches (Amina's sign-in above was the first).
    tries = []
    for n in range(limits.SIGNIN_PER_MINUTE):
        page = fresh("GET", base + "/signin")
        tries.append(fresh("POST", base + "/signin", cookies=page.cookies, allow_redirects=False,
                           data={"username": f"nobody{n}", "password": "wrong",
                                 "csrf_token": f.csrf_from(page.text)}).status_code)
    assert 429 not in tries[:-1] and tries[-1] == 429, tries

    # Phones push at once, each item twice (an answer lost): every story stored once.
    token = f.bearer(f.token(client, "bilal"))
    items = [f.item() for _ in range(24)]

    def push(item):
        for _ in range(2):
            response = fresh("POST", base + "/api/v1/sync/push", json={"items": [item]}, headers=token)
            assert response.status_code == 200, response.text[:300]
            assert response.json()["results"][0]["result"] in ("created", "unchanged")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(push, items))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Story)) == 24
